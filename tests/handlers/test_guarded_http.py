"""guarded_http: the URL both parsers agree on, the address really connected, one deadline."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

import pytest
import urllib3
from aipic.guarded_http import (
    AddressRefusedError,
    Deadline,
    UrlRefusedError,
    UrlRules,
    check_url,
    guarded_pool,
    open_get,
)
from aipic.hosts import is_address_refused

from local.replicate.standin import ReplicateStandIn
from tests.handlers.webhook_support import start_prediction

REPLICATE = UrlRules(allowed_schemes=("https",), host_allowlist=("replicate.delivery",))
LOCAL = UrlRules(
    allowed_schemes=("https", "http"), host_allowlist=("127.0.0.1",), allow_loopback=True
)


@pytest.mark.parametrize(
    "url",
    [
        "https://replicate.delivery/pbxt/abc/out-0.png",
        "https://pbxt.replicate.delivery/abc/out-0.png",
        "https://Replicate.Delivery/x.png",  # hosts are case-insensitive; both parsers agree
        "https://replicate.delivery:443/x.png",
        "https://xn--80ak6aa92e.replicate.delivery/x.png",  # punycode label of a subdomain
    ],
)
def test_allowed_urls_pass(url: str) -> None:
    assert check_url(url, REPLICATE).host in (
        "replicate.delivery",
        "pbxt.replicate.delivery",
        "xn--80ak6aa92e.replicate.delivery",
    )


@pytest.mark.parametrize(
    "url",
    [
        # urllib.parse reads host replicate.delivery, urllib3 evil.example
        "https://evil.example\\@replicate.delivery/x.png",
        "https://replicate.delivery\\.evil.example/x.png",
        "https://user@replicate.delivery/x.png",
        "https://user:pw@replicate.delivery/x.png",
        "https://evil.example%40replicate.delivery/x.png",
        "https://replicate.delivery./x.png",
        "https://replicate.%64elivery/x.png",
        "https://\uff52eplicate.delivery/x.png",  # fullwidth r: IDNA maps it to ASCII
        "https://replicate.deliver\u0443/x.png",  # Cyrillic u
        "https://replicate.delivery\t/x.png",  # urllib.parse drops tabs, urllib3 does not
        "https://replicate.delivery\n.evil.example/x.png",
        "https://replicate.delivery /x.png",
        "https://replicate.delivery:8443/x.png",
        "https://replicate.delivery:/x.png",
        "https://replicate.delivery:0443/x.png",
        "https://replicate.delivery:99999/x.png",
        "https://-replicate.delivery/x.png",
        "https:///replicate.delivery/x.png",
        "https:replicate.delivery/x.png",
        "//replicate.delivery/x.png",
        "http://replicate.delivery/x.png",
        "ftp://replicate.delivery/x.png",
        "https://replicate.delivery.evil.example/x.png",
        "https://evilreplicate.delivery/x.png",
    ],
)
def test_urls_the_parsers_could_read_differently_or_not_allowed_are_refused(url: str) -> None:
    with pytest.raises(UrlRefusedError):
        check_url(url, REPLICATE)


@pytest.mark.parametrize(
    "host",
    ["2130706433", "0x7f000001", "0x7f.0.0.1", "127.1", "017700000001", "127.0.0.01", "[::1]"],
)
def test_numeric_hosts_are_refused_even_when_an_address_is_listed(host: str) -> None:
    with pytest.raises(UrlRefusedError):
        check_url(f"http://{host}:8000/x.png", LOCAL)


def test_an_ip_literal_must_be_listed_exactly_and_only_loopback_gets_odd_ports() -> None:
    assert check_url("http://127.0.0.1:8000/x.png", LOCAL).port == 8000
    with pytest.raises(UrlRefusedError, match="not allowed"):
        check_url("http://127.0.0.2:8000/x.png", LOCAL)
    with pytest.raises(UrlRefusedError, match="port 8000"):
        check_url("http://127.0.0.1:8000/x.png", UrlRules(("http",), ("127.0.0.1",)))


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.7", True),
        ("172.16.4.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),  # the instance metadata service
        ("fe80::1%eth0", True),
        ("fd00::1", True),
        ("100.64.0.1", True),  # carrier-grade NAT
        ("0.0.0.0", True),
        ("224.0.0.251", True),
        ("239.255.255.250", True),
        ("240.0.0.1", True),
        ("255.255.255.255", True),
        ("2002:7f00:1::", True),  # 6to4 of 127.0.0.1
        ("::ffff:10.0.0.1", True),
        ("not-an-address", True),
        ("151.101.1.1", False),
        ("2606:4700::6810:84e5", False),
    ],
)
def test_only_public_unicast_addresses_are_connected_to(address: str, refused: bool) -> None:
    assert is_address_refused(address, allow_loopback=False) is refused


def test_loopback_is_connected_to_only_when_allowed() -> None:
    assert is_address_refused("127.0.0.1", allow_loopback=True) is False
    assert is_address_refused("::1", allow_loopback=True) is False
    assert is_address_refused("10.0.0.7", allow_loopback=True) is True


@pytest.fixture
def file_host() -> Iterator[tuple[ReplicateStandIn, str]]:
    with ReplicateStandIn() as standin:
        yield standin, standin.file_url(start_prediction(standin))


def test_the_connected_address_is_checked_before_anything_is_sent(
    file_host: tuple[ReplicateStandIn, str],
) -> None:
    standin, url = file_host
    deadline = Deadline(5.0)
    try:
        with (
            guarded_pool(allow_loopback=False, deadline=deadline) as http,
            pytest.raises(AddressRefusedError, match=r"127\.0\.0\.1"),
        ):
            open_get(http, check_url(url, LOCAL), timeout=urllib3.Timeout(2))
    finally:
        deadline.close()
    assert standin.file_requests == []


def test_a_name_that_resolves_to_loopback_is_refused(
    file_host: tuple[ReplicateStandIn, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS can answer anything: the check is on the address connected, not on the name."""
    standin, _ = file_host
    real_getaddrinfo = socket.getaddrinfo

    def rebinding_dns(host: object, port: object, *args: object, **kwargs: object) -> object:
        return real_getaddrinfo("127.0.0.1", standin.port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    checked = check_url(
        "http://replicate.delivery/x.png", UrlRules(("http",), ("replicate.delivery",))
    )
    deadline = Deadline(5.0)
    try:
        with (
            guarded_pool(allow_loopback=False, deadline=deadline) as http,
            pytest.raises(AddressRefusedError),
        ):
            open_get(http, checked, timeout=urllib3.Timeout(2))
    finally:
        deadline.close()
    assert standin.file_requests == []


def test_connections_outside_a_guarded_session_fail_closed(
    file_host: tuple[ReplicateStandIn, str],
) -> None:
    from aipic.guarded_http import _guarded_pool_manager

    standin, url = file_host
    with pytest.raises(AddressRefusedError, match="outside a guarded transfer"):
        open_get(_guarded_pool_manager(), check_url(url, LOCAL), timeout=urllib3.Timeout(2))
    assert standin.file_requests == []


@pytest.mark.parametrize("drip_headers", [False, True])
def test_the_deadline_bounds_the_whole_transfer_not_each_read(
    file_host: tuple[ReplicateStandIn, str], drip_headers: bool
) -> None:
    standin, url = file_host
    standin.drip_interval, standin.drip_headers = 0.3, drip_headers  # each read well in time
    deadline = Deadline(1.0)
    started = time.monotonic()
    body = b""
    try:
        with (
            guarded_pool(allow_loopback=True, deadline=deadline) as http,
            # Cut off mid-body or mid-headers: an error, or what reads as an early end.
            contextlib.suppress(urllib3.exceptions.HTTPError),
        ):
            timeout = urllib3.Timeout(connect=2, read=2)
            body = open_get(http, check_url(url, LOCAL), timeout=timeout).read()
    finally:
        deadline.close()
    assert deadline.expired
    assert time.monotonic() - started < 2.5
    assert len(body) < 100  # a few drips at most, nowhere near the whole PNG
