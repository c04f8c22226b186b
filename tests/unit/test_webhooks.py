"""Webhook URLs, the guard against private targets, and Standard Webhooks signatures."""

import socket

import pytest

from engine import webhooks


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "100.127.255.254", "0.0.0.0", "224.0.0.1", "239.255.255.250", "240.0.0.1",
        "255.255.255.255", "192.0.2.1", "198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "fd12::1",
        "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::1",
        "2002:a00:1::1", "2001:db8::1", "64:ff9b::a00:1", "::127.0.0.1", "::a9fe:a9fe", "::ffff:0:7f00:1",
        "fec0::1",
    ],
)  # fmt: skip
def test_private_and_reserved_addresses_are_refused(address):
    host = f"[{address}]" if ":" in address else address
    assert webhooks.literal_refused(f"http://{host}:8080/hook") is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    host = f"[{address}]" if ":" in address else address
    assert webhooks.literal_refused(f"https://{host}/hook") is None


@pytest.mark.parametrize(
    "host", ["127.1", "2130706433", "0x7f.1", "0x7f000001", "0177.0.0.1", "017700000001", "0", "127.0.0.1."]
)
def test_the_numeric_forms_resolvers_read_as_ipv4_are_literals(host):
    assert webhooks.literal_refused(f"http://{host}/hook") is not None


def test_names_are_checked_when_called_not_when_asked():
    assert webhooks.literal_refused("https://hooks.example.com/x") is None


@pytest.mark.parametrize(
    "url",
    ["", "ftp://example.com/", "javascript:alert(1)", "http://", "//example.com/", "http://a b/",
     "http://user:pw@example.com/", "http://:@example.com/", "http://@example.com/", "https://example.com:99999/",
     "http://[::1/", "x" * 3000, "http://example.com/\x00", "http://exa\x7fmple.com/", "http://example.com/ä",
     "http://\uff11\uff12\uff17.0.0.1/", "http://example.com:0/"],
)  # fmt: skip
def test_malformed_urls_are_refused(url):
    with pytest.raises(webhooks.Refused):
        webhooks.parse(url)


def test_a_url_keeps_its_path_and_query():
    assert webhooks.parse("https://Example.com/a/b?c=1&d=2") == webhooks.Target(
        "https", "example.com", 443, "/a/b?c=1&d=2"
    )
    assert webhooks.parse("http://example.com").path == "/"


def fake_dns(monkeypatch, *addresses):
    def getaddrinfo(host, port, type=0):
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, type, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_every_resolved_address_is_checked(monkeypatch):
    target = webhooks.parse("https://hooks.example.com/x")
    fake_dns(monkeypatch, "93.184.216.34", "10.0.0.7")  # one good answer does not excuse a bad one
    with pytest.raises(webhooks.Refused, match=r"10\.0\.0\.7"):
        webhooks.resolve(target, allow_private=False)
    assert webhooks.resolve(target, allow_private=True) == "93.184.216.34"
    fake_dns(monkeypatch, "::ffff:127.0.0.1")
    with pytest.raises(webhooks.Refused):
        webhooks.resolve(target, allow_private=False)
    fake_dns(monkeypatch, "93.184.216.34")
    assert webhooks.resolve(target, allow_private=False) == "93.184.216.34"


def test_the_connection_goes_to_the_checked_address(monkeypatch):
    """A name that would resolve differently a second time (DNS rebinding) is not looked up
    again: the POST connects to the address that was checked."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])

    def getaddrinfo(host, port, type=0):
        return [(socket.AF_INET, type, 6, "", (a, port)) for a in next(answers)]

    connected = []

    def create_connection(address, timeout=None, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError("stop here")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    with pytest.raises(ConnectionRefusedError):
        webhooks.post("http://rebind.example.com/x", b"", {}, timeout=1, allow_private=False)
    assert connected == [("93.184.216.34", 80)]


def test_a_name_that_does_not_resolve_is_worth_another_try(monkeypatch):
    def getaddrinfo(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(OSError, match="does not resolve") as caught:
        webhooks.resolve(webhooks.parse("https://nowhere.example/"), allow_private=False)
    assert not isinstance(caught.value, webhooks.Refused)


def test_the_standard_webhooks_reference_signature():
    """The example of the Standard Webhooks specification's reference libraries."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    signature = webhooks.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert webhooks.verify(
        secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, f"v1,bm90IGl0 {signature}"
    )
    assert not webhooks.verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, body, signature)


def test_signatures_are_compared_in_constant_time(monkeypatch):
    compared = []

    def compare_digest(a, b):
        compared.append((a, b))
        return a == b

    monkeypatch.setattr(webhooks.hmac, "compare_digest", compare_digest)
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    signature = webhooks.sign(secret, "msg_1", 1614265330, b"x")
    assert webhooks.verify(secret, "msg_1", 1614265330, b"x", f"v1,other {signature}")
    assert [b for _, b in compared] == ["v1,other", signature]  # every candidate, by compare_digest


def test_new_secrets_are_random_and_shaped_like_the_spec_says():
    first, second = webhooks.new_secret(), webhooks.new_secret()
    assert first != second and first.startswith("whsec_") and len(first) == 6 + 32


def test_https_checks_the_certificate_for_the_urls_host_at_the_checked_address(monkeypatch):
    import ssl

    fake_dns(monkeypatch, "93.184.216.34")
    connected, wrapped = [], []

    class Socket:
        def close(self):
            pass

    def create_connection(address, timeout=None, *args, **kwargs):
        connected.append(address)
        return Socket()

    def wrap_socket(self, sock, server_hostname=None, **kwargs):
        wrapped.append((server_hostname, self.check_hostname, self.verify_mode))
        raise ssl.SSLCertVerificationError("stop here")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(ssl.SSLContext, "wrap_socket", wrap_socket)
    with pytest.raises(ssl.SSLError):
        webhooks.post("https://hooks.example.com:8443/x", b"", {}, timeout=1, allow_private=False)
    assert connected == [("93.184.216.34", 8443)]
    assert wrapped == [("hooks.example.com", True, ssl.CERT_REQUIRED)]


def test_cloud_metadata_is_refused_even_where_private_targets_are_allowed(monkeypatch):
    target = webhooks.parse("http://metadata.example/")
    for address in ("169.254.169.254", "fd00:ec2::254"):
        fake_dns(monkeypatch, address)
        with pytest.raises(webhooks.Refused):
            webhooks.resolve(target, allow_private=True)
    fake_dns(monkeypatch, "10.0.0.1")
    assert webhooks.resolve(target, allow_private=True) == "10.0.0.1"


def test_a_receiver_that_drips_its_answer_is_cut_off_at_the_deadline():
    import threading
    import time

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]

        def drip():
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                try:
                    for part in (b"HTTP/1.1 200 OK\r\n", *[b"X-Slow: 1\r\n"] * 20, b"\r\n"):
                        connection.sendall(part)
                        time.sleep(0.3)  # each read is quick; the whole answer is not
                except OSError:
                    pass  # cut off

        threading.Thread(target=drip, daemon=True).start()
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="no answer within 1 s"):
            webhooks.post(f"http://127.0.0.1:{port}/", b"x", {}, timeout=1, allow_private=True)
        assert time.monotonic() - started < 2
