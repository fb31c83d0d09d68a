"""Host names and addresses: which are canonical, allow-listed, or never connected to.

Kept apart from :mod:`aipic.guarded_http` so settings can validate the allow-list
without importing urllib3.
"""

from __future__ import annotations

import ipaddress
import socket

LOOPBACK_NAMES = frozenset({"localhost"})
MAX_HOST_LENGTH = 253
MAX_LABEL_LENGTH = 63
_LABEL_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def is_host_allowed(host: str, allowlist: tuple[str, ...]) -> bool:
    """``host`` is an entry or a subdomain of a DNS-name entry; an IP literal must be
    listed exactly."""
    if ip_literal(host) is not None:
        return host in allowlist
    return any(
        host == allowed or (ip_literal(allowed) is None and host.endswith(f".{allowed}"))
        for allowed in allowlist
    )


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def is_canonical_host(host: str) -> bool:
    """A lowercase DNS name or a dotted-quad IPv4 address, written the one way both URL
    parsers and the resolver agree on."""
    address = ip_literal(host)
    if address is not None:
        # ipaddress accepts only the dotted quad; IPv6 literals stay out (brackets).
        return address.version == 4 and str(address) == host
    if not host or len(host) > MAX_HOST_LENGTH:
        return False
    labels = host.split(".")
    if not all(_is_label(label) for label in labels):
        return False
    # "127.1", "0x7f.1", "2130706433": numeric forms the resolver reads as addresses.
    return not labels[-1].isdigit() and not _resolver_reads_as_address(host)


def _is_label(label: str) -> bool:
    return (
        0 < len(label) <= MAX_LABEL_LENGTH
        and set(label) <= _LABEL_CHARACTERS
        and not label.startswith("-")
        and not label.endswith("-")
    )


def _resolver_reads_as_address(host: str) -> bool:
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


def is_loopback_host(host: str) -> bool:
    address = ip_literal(host)
    return host in LOOPBACK_NAMES or (address is not None and address.is_loopback)


def is_address_refused(address: str, *, allow_loopback: bool) -> bool:
    """True for every address that is not a public unicast one (loopback only if allowed)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            ip = embedded
    if ip.is_loopback:
        return not allow_loopback
    return not ip.is_global or ip.is_multicast
