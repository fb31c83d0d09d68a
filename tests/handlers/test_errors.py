"""Every exception aipic defines sits under one root, as exactly one of permanent,
transient or in doubt (aipic/errors.py), so a caller can tell what to do next."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import aipic
import pytest
from aipic.errors import AipicError, InDoubtError, PermanentError, TransientError

KINDS = (PermanentError, TransientError, InDoubtError)


def defined_exceptions() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for module_info in pkgutil.walk_packages(aipic.__path__, "aipic."):
        module = importlib.import_module(module_info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(value, BaseException)
                and value.__module__ == module.__name__
                and value not in (AipicError, *KINDS)
            ):
                found.append(value)
    return found


def test_the_package_defines_exceptions_to_classify() -> None:
    names = {error.__name__ for error in defined_exceptions()}
    # The ones the handlers branch on, so the walk above cannot silently find nothing.
    assert {"ImageRejectedError", "ImageTransferError", "PredictionInDoubtError"} <= names


@pytest.mark.parametrize("error", defined_exceptions(), ids=lambda error: error.__qualname__)
def test_each_exception_is_exactly_one_kind(error: type[BaseException]) -> None:
    kinds = [kind.__name__ for kind in KINDS if issubclass(error, kind)]
    assert len(kinds) == 1, f"{error.__module__}.{error.__qualname__}: {kinds or 'no kind'}"


def test_the_kinds_the_handlers_rely_on() -> None:
    from aipic.image_transfer import ImageRejectedError, ImageTransferError
    from aipic.replicate import PredictionInDoubtError, ReplicateError

    assert issubclass(ImageRejectedError, PermanentError)  # FAILED at once
    assert issubclass(ReplicateError, PermanentError)  # after generate's own retries
    assert issubclass(ImageTransferError, TransientError)  # 500: Replicate retries
    assert issubclass(PredictionInDoubtError, InDoubtError)  # never retried blindly
