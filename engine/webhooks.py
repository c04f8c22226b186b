"""Calling webhooks safely: Standard Webhooks signatures, and a guard against requests to
private networks (SSRF).

A webhook URL's host is resolved once; every address it resolves to is checked, and the
connection goes to the checked address (the Host header and TLS name stay the URL's), so
a DNS answer cannot change between the check and the connection. Refused: loopback,
private, link-local, shared (CGNAT), multicast, reserved and unspecified addresses, and
IPv6 forms of them (IPv4-mapped, 6to4, Teredo, NAT64), unless the operator allows private targets.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
import ssl
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
    if not isinstance(url, str) or not url or len(url) > MAX_URL or any(c.isspace() for c in url):
        raise Refused(f"must be an http or https URL of at most {MAX_URL} characters, without spaces")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise Refused(f"is not a URL: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("must be an http or https URL with a host")
    if parts.username or parts.password:
        raise Refused("must not hold credentials")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)


_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


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
    return not address.is_global or address.is_multicast


def literal_refused(url: str) -> str | None:
    """Why a URL whose host is an IP address literal may not be called (None: fine, or not
    a literal: those are checked when called)."""
    host = parse(url).host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
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
    if not allow_private:
        for text in addresses:
            if _refused_address(ipaddress.ip_address(text.split("%")[0])):
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
    """POST `body` to `url`; the response status. Refused (not sent), or OSError /
    http.client.HTTPException for failures on the way."""
    target = parse(url)
    address = resolve(target, allow_private=allow_private)
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(address, target.host, target.port, timeout)
    else:
        connection = http.client.HTTPConnection(address, target.port, timeout=timeout)
    default_port = 443 if target.scheme == "https" else 80
    host = target.host if target.port == default_port else f"{target.host}:{target.port}"
    if ":" in target.host:  # an IPv6 literal
        host = f"[{target.host}]" if target.port == default_port else f"[{target.host}]:{target.port}"
    try:
        connection.request("POST", target.path, body=body, headers={"Host": host, **headers})
        return connection.getresponse().status  # the body is not read: nothing in it counts
    finally:
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
