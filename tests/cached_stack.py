"""What the demo and `make up` tests share: one set of ports and one apply cache per test
session, so only the first whole-stack start pays terraform apply and the others replay it
(the cache key includes the ports), plus process and port probes."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from local.net import LOOPBACK, port_is_listening

REPO_ROOT = Path(__file__).resolve().parents[1]
PORT_COUNT = 3  # emulator, AppSync endpoint, Replicate stand-in

needs_tools = pytest.mark.skipif(
    shutil.which("terraform") is None or shutil.which("node") is None,
    reason="the whole local stack needs terraform and node on PATH",
)


@dataclass(frozen=True)
class SessionStack:
    base_port: int
    cache_dir: Path

    @property
    def ports(self) -> list[int]:
        return [self.base_port + offset for offset in range(PORT_COUNT)]

    def arguments(self) -> list[str]:
        return ["--base-port", str(self.base_port), "--cache-dir", str(self.cache_dir)]


def _consecutive_free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports on 127.0.0.1, below Linux's ephemeral
    range (32768+), so no client connection takes one of ours meanwhile."""
    for base in range(21000 + (os.getpid() % 500) * 10, 29000, 10):
        sockets = []
        try:
            for port in range(base, base + count):
                probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(probe)
                probe.bind((LOOPBACK, port))
            return base
        except OSError:
            continue
        finally:
            for probe in sockets:
                probe.close()
    raise RuntimeError("no free consecutive ports on 127.0.0.1")


@functools.cache
def session_stack() -> SessionStack:
    cache_dir = Path(tempfile.mkdtemp(prefix="aipic-stack-cache-"))
    atexit.register(shutil.rmtree, cache_dir, True)
    return SessionStack(_consecutive_free_ports(PORT_COUNT), cache_dir)


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that contain ``text`` (Linux /proc)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # the process ended while we looked
        if text in command:
            found.append(command)
    return found


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (Linux /proc: each one's parent)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def assert_ports_closed(ports: list[int]) -> None:
    open_ports = [port for port in ports if port_is_listening(port)]
    assert open_ports == [], f"still listening: {open_ports}"
    # The emulator's command line names its port; terraform's environment its URL.
    assert processes_mentioning(f"--port {ports[0]}") == []
