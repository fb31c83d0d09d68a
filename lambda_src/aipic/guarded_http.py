"""HTTP GETs to URLs an outsider chose, without server-side request forgery.

Three defences, because each alone has a gap:

- :func:`check_url` accepts only URLs that ``urllib.parse`` and urllib3's ``parse_url``
  read identically: printable ASCII, no backslash, no userinfo, a canonical host
  (lowercase letters, digits and hyphens; no trailing dot, no percent-encoding, no
  numeric forms such as ``2130706433`` or ``127.1``; an IP literal only when the
  allow-list names exactly that address), the scheme's default port (any port only to a
  loopback host when loopback is allowed). The host must be on the allow-list (or a
  subdomain of an entry). The ``Url`` it returns is what :func:`open_get` connects to
  (its scheme, host and port pick the connection, its path and query are sent), so no
  second parser ever reads the URL.
- The address a connection actually reaches is checked right after ``connect`` and
  before a byte is sent (:class:`_GuardedHTTPConnection`): loopback, private,
  link-local, multicast, reserved and other non-global addresses are refused, so DNS
  answers that change between check and connect (rebinding) gain nothing. Loopback is
  allowed only when the local stack asks for it (``IMAGE_FETCH_ALLOW_LOOPBACK``).
- A :class:`Deadline` bounds the whole transfer, not each read: when it passes, every
  socket opened under it is shut down, which ends any blocked TLS handshake, header or
  body read (a host dripping a few bytes a second cannot keep us busy); each connect
  is bounded by the connect timeout or the time left, whichever is shorter.

No proxy (a ``PoolManager`` never reads proxy variables), no retries, no redirects
followed by urllib3, no connection reuse across transfers: each transfer gets a fresh
pool manager whose sockets all pass the check under that transfer's deadline.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from botocore.httpsession import get_cert_path
from urllib3 import BaseHTTPResponse, PoolManager, Timeout
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import LocationParseError
from urllib3.util import Url, parse_url

from aipic.errors import PermanentError
from aipic.hosts import is_address_refused, is_canonical_host, is_host_allowed, is_loopback_host

DEFAULT_PORTS = {"http": 80, "https": 443}


class UrlRefusedError(PermanentError):
    """The URL is not one we fetch (the message says why; it is for the logs)."""


class AddressRefusedError(PermanentError):
    """A connection reached an address we never talk to. Not an OSError on purpose:
    urllib3 retries OSErrors, and this must end the request at once."""


@dataclass(frozen=True)
class UrlRules:
    allowed_schemes: tuple[str, ...]
    host_allowlist: tuple[str, ...]
    allow_loopback: bool = False


# ---------------------------------------------------------------- URL check


def check_url(url: str, rules: UrlRules) -> Url:
    """The URL as urllib3 parses it, if both parsers agree it is an allowed one."""
    if not url.isascii() or not url.isprintable() or " " in url:
        raise UrlRefusedError(f"URL {url!r} has characters outside printable ASCII")
    if "\\" in url:
        raise UrlRefusedError(f"URL {url!r} has a backslash, which parsers read differently")
    try:
        opened = parse_url(url)
        split = urlsplit(url)
        split_port = split.port
    except (LocationParseError, ValueError) as error:
        raise UrlRefusedError(f"URL {url!r} is malformed: {error}") from None
    scheme = (opened.scheme or "").lower()
    if scheme not in rules.allowed_schemes:
        raise UrlRefusedError(f"URL scheme {scheme or '(none)'!r} is not allowed: {url!r}")
    host = opened.host or ""
    _check_authority(url, opened, split, split_port)
    if not is_canonical_host(host):
        raise UrlRefusedError(f"URL host {host!r} is not in canonical form: {url!r}")
    if not is_host_allowed(host, rules.host_allowlist):
        raise UrlRefusedError(f"URL host {host!r} is not allowed: {url!r}")
    port = opened.port
    if (
        port is not None
        and port != DEFAULT_PORTS[scheme]
        and not (rules.allow_loopback and is_loopback_host(host))
    ):
        raise UrlRefusedError(f"URL port {port} is not allowed: {url!r}")
    return opened


def _check_authority(url: str, opened: Url, split: SplitResult, split_port: int | None) -> None:
    host = opened.host or ""
    expected = host if opened.port is None else f"{host}:{opened.port}"
    if (
        opened.auth is not None
        or split.username is not None
        or split.netloc.lower() != expected
        or (split.hostname or "") != host
        or split_port != opened.port
        or split.scheme.lower() != (opened.scheme or "").lower()
    ):
        raise UrlRefusedError(f"URL authority {split.netloc!r} is not canonical: {url!r}")


# ---------------------------------------------------------------- deadline


@dataclass
class Deadline:
    """Shuts down every socket it watches once ``seconds`` have passed."""

    seconds: float
    _expires_at: float = field(init=False)
    _expired: threading.Event = field(init=False, default_factory=threading.Event)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _watched: list[socket.socket] = field(init=False, default_factory=list)
    _timer: threading.Timer = field(init=False)

    def __post_init__(self) -> None:
        self._expires_at = time.monotonic() + self.seconds
        self._timer = threading.Timer(self.seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    @property
    def expired(self) -> bool:
        return self._expired.is_set() or time.monotonic() >= self._expires_at

    def remaining(self) -> float:
        return max(0.0, self._expires_at - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        # A duplicate descriptor of the same socket: TLS wrapping detaches the original
        # object, but shutting down any descriptor of a socket ends reads on all of them.
        duplicate = socket.fromfd(sock.fileno(), sock.family, sock.type)
        with self._lock:
            self._watched.append(duplicate)
            if self._expired.is_set():
                _shut_down(duplicate)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._watched:
                sock.close()
            self._watched.clear()

    def _expire(self) -> None:
        with self._lock:
            self._expired.set()
            for sock in self._watched:
                _shut_down(sock)


def _shut_down(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


# ---------------------------------------------------------------- guarded connections


@dataclass(frozen=True)
class _TransferGuard:
    allow_loopback: bool
    deadline: Deadline


# Set for the duration of one transfer (one thread, one handler call).
_active_guard: ContextVar[_TransferGuard | None] = ContextVar("guarded_http", default=None)


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        guard = _active_guard.get()
        sock = super()._new_conn()
        try:
            if guard is None:
                raise AddressRefusedError("connection opened outside a guarded transfer")
            peer = str(sock.getpeername()[0])
            if is_address_refused(peer, allow_loopback=guard.allow_loopback):
                raise AddressRefusedError(f"{self.host} connected to refused address {peer}")
            guard.deadline.watch(sock)
        except BaseException:
            sock.close()
            raise
        return sock


class _GuardedHTTPSConnection(_GuardedHTTPConnection, HTTPSConnection):
    pass


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


def _guarded_pool_manager() -> PoolManager:
    # botocore's CA bundle: the same trust as every AWS call the function makes.
    manager = PoolManager(retries=False, ca_certs=get_cert_path(True), cert_reqs="CERT_REQUIRED")
    manager.pool_classes_by_scheme = {
        "http": _GuardedHTTPConnectionPool,
        "https": _GuardedHTTPSConnectionPool,
    }
    return manager


@contextlib.contextmanager
def guarded_pool(*, allow_loopback: bool, deadline: Deadline) -> Iterator[PoolManager]:
    """A fresh pool manager whose connections pass the address check under ``deadline``."""
    manager = _guarded_pool_manager()
    token = _active_guard.set(_TransferGuard(allow_loopback=allow_loopback, deadline=deadline))
    try:
        yield manager
    finally:
        _active_guard.reset(token)
        manager.clear()


def open_get(manager: PoolManager, checked: Url, *, timeout: Timeout) -> BaseHTTPResponse:
    """GET ``checked`` (from :func:`check_url`) on a connection to exactly its host and
    port, the body unread; a redirect is answered as it came, never followed."""
    pool = manager.connection_from_host(
        checked.host, port=checked.port, scheme=checked.scheme or "https"
    )
    return pool.urlopen(
        "GET",
        checked.request_uri,
        redirect=False,
        retries=False,
        preload_content=False,
        decode_content=True,
        timeout=timeout,
    )
