"""Values built once per Lambda execution environment (settings, clients, secrets).

Each is a ``functools.cache``d factory registered here, so tests (and the local demo)
can start a fresh "cold start" after changing the environment with :func:`reset`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Protocol, TypeVar

_T = TypeVar("_T")


class _Clearable(Protocol):
    def cache_clear(self) -> None: ...


_registered: list[_Clearable] = []


def cached(factory: Callable[[], _T]) -> Callable[[], _T]:
    """Build the factory's value on first use and keep it for the life of the environment."""
    wrapper = functools.cache(factory)
    _registered.append(wrapper)
    return wrapper


def reset() -> None:
    """Forget every cached value."""
    for wrapper in _registered:
        wrapper.cache_clear()
