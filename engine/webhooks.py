"""Calling webhooks safely: Standard Webhooks signatures, and a guard against requests to
private networks (SSRF).

A webhook URL's host is resolved once; every address it resolves to is checked, and the
connection goes to the checked address (the Host header and TLS name stay the URL's), so
a DNS answer cannot change between the check and the connection. Refused: loopback,
private, link-local, shared (CGNAT), multicast, reserved and unspecified addresses, and
IPv6 forms of them (IPv4-mapped, 6to4, Teredo, NAT64), unless the operator allows private
targets; cloud metadata addresses are refused even then.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL = 2000


class Refused(ValueError):
    """The URL may not be called; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line


def parse(url: str) -> Target:
    """A webhook URL's parts, or Refused: http or https, a host, no credentials."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise Refused(f"must be an http or https URL of at most {MAX_URL} characters")
    if not url.isascii() or any(c.isspace() or not c.isprintable() for c in url):
        raise Refused(
            "must be ASCII without spaces or control characters (percent-encode the rest; punycode a host)"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise Refused(f"is not a URL: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("must be an http or https URL with a host")
    if "@" in parts.netloc:
        raise Refused("must not hold credentials")
    if port == 0:
        raise Refused("port 0 cannot be called")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)


_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
#: Cloud instance metadata: refused even where private targets are allowed.
METADATA = (ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries: IPv4-mapped, 6to4, Teredo (client), NAT64."""
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _refused_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None and _refused_address(inner):
            return True
    if not address.is_global or address.is_multicast or address.is_reserved:
        return True  # (is_global alone passes reserved IPv6 forms such as ::127.0.0.1)
    return isinstance(address, ipaddress.IPv6Address) and address.is_site_local


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host names by itself: 127.0.0.1 and ::1, and the forms the resolver
    also reads as IPv4 (127.1, 2130706433, 0x7f.1)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host.removesuffix(".")))
    except OSError:
        return None


def literal_refused(url: str) -> str | None:
    """Why a URL whose host is an IP address literal may not be called (None: fine, or not
    a literal: those are checked when called)."""
    host = parse(url).host
    address = _literal(host)
    if address is None:
        return None
    return f"{host} is not a public address" if _refused_address(address) else None


def resolve(target: Target, *, allow_private: bool) -> str:
    """The address to connect to: the host resolved once, every answer checked. Refused
    when one is not public (unless allowed); OSError when the host does not resolve."""
    try:
        answers = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:  # perhaps for now only: worth another try later
        raise OSError(f"{target.host} does not resolve: {error.strerror or error}") from None
    addresses = [answer[4][0] for answer in answers]
    for text in addresses:
        address = ipaddress.ip_address(text.split("%")[0])
        if address in METADATA or (not allow_private and _refused_address(address)):
            raise Refused(f"{target.host} resolves to {text}, which is not a public address")
    return addresses[0]


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address, with the certificate checked for the URL's host."""

    def __init__(self, address: str, hostname: str, port: int, timeout: float):
        super().__init__(address, port, timeout=timeout, context=ssl.create_default_context())
        self._hostname = hostname

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._hostname)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool) -> int:
    """POST `body` to `url` and return the response status, all within `timeout` seconds
    (a receiver that answers slowly, a byte at a time, is cut off at the deadline).
    Refused: not sent. OSError or http.client.HTTPException: a failure on the way."""
    target = parse(url)
    address = resolve(target, allow_private=allow_private)
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(address, target.host, target.port, timeout)
    else:
        connection = http.client.HTTPConnection(address, target.port, timeout=timeout)
    default_port = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host  # an IPv6 literal
    if target.port != default_port:
        host = f"{host}:{target.port}"
    expired = threading.Event()

    def cut_off() -> None:
        expired.set()
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a read that is waiting

    deadline = threading.Timer(timeout, cut_off)
    deadline.daemon = True
    deadline.start()
    try:
        connection.request("POST", target.path, body=body, headers={"Host": host, **headers})
        status = connection.getresponse().status  # the body is not read: nothing in it counts
        if expired.is_set():  # cut off mid-answer (headers end at the cut): not an answer
            raise TimeoutError(f"no answer within {timeout:g} s")
        return status
    except (OSError, http.client.HTTPException):
        if expired.is_set():
            raise TimeoutError(f"no answer within {timeout:g} s") from None
        raise
    finally:
        deadline.cancel()
        connection.close()


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks: v1,<base64 HMAC-SHA256 of "id.timestamp.body">."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def verify(secret: str, message_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """Whether one of the header's signatures is this secret's (constant-time compare)."""
    expected = sign(secret, message_id, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in header.split())
