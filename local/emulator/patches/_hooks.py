"""How a patch attaches to moto: replace a method that exists, or add one that does not.

Both check moto's side first, so an upgrade that renames, removes or implements what a
patch relies on stops the emulator at start-up with the method's name, instead of
silently serving something else. ``HOOKED`` lists every attachment for the patch tests
and the launcher's ``--list-patches``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

HOOKED: list[str] = []


class MotoChangedError(RuntimeError):
    """moto no longer has the shape a patch was written against (see the message)."""


def _qualified(owner: object, name: str) -> str:
    module = getattr(owner, "__module__", "")
    return f"{module}.{getattr(owner, '__qualname__', owner)}.{name}"


def original(
    owner: object, name: str, *, parameters: tuple[str, ...] | None = None
) -> Callable[..., Any]:
    """moto's ``owner.name``; raises ``MotoChangedError`` if it is gone or its parameters
    are not ``parameters`` (self included), the signature the patch was written for."""
    target = getattr(owner, name, None)
    if target is None:
        raise MotoChangedError(f"{_qualified(owner, name)} is gone: the patch needs review")
    if parameters is not None:
        found = tuple(inspect.signature(target).parameters)
        if found != parameters:
            raise MotoChangedError(
                f"{_qualified(owner, name)} now takes {found}, the patch expects {parameters}"
            )
    return target  # type: ignore[no-any-return]


def replace(owner: object, name: str, replacement: Callable[..., Any]) -> None:
    """Put ``replacement`` in place of moto's ``owner.name`` (which must exist)."""
    original(owner, name)
    setattr(owner, name, replacement)
    HOOKED.append(f"replaces {_qualified(owner, name)}")


def add(owner: object, name: str, implementation: Callable[..., Any]) -> None:
    """Add ``owner.name``, which moto must not have: if an upgrade implements it, the
    patch is to be dropped or reconciled, not layered over moto's version."""
    if name in vars(owner):
        raise MotoChangedError(
            f"{_qualified(owner, name)} exists now: moto implements it, review the patch"
        )
    setattr(owner, name, implementation)
    HOOKED.append(f"adds {_qualified(owner, name)}")
