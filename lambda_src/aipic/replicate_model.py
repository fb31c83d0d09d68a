"""Which Replicate model the generate function runs (REPLICATE_MODEL), and how to ask for it.

Replicate runs a model in one of two ways, and REPLICATE_MODEL names either:

- an official model, ``owner/name`` (e.g. ``stability-ai/stable-diffusion-3.5-large``):
  ``POST /models/{owner}/{name}/predictions``, no version in the body (Replicate keeps
  official models on their latest version, with a stable API);
- a model version, its 64-hex id alone or as ``owner/name:<id>``:
  ``POST /predictions`` with ``{"version": "<id>"}``.

Pure and standard-library only, so settings, the client and the tests share one reading.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from aipic.errors import PermanentError

# Replicate's owner and model names: lowercase letters, digits, '.', '_' and '-'.
_NAME = r"[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?"
_VERSION_ID = r"[0-9a-f]{64}"
_OFFICIAL_MODEL = re.compile(rf"(?P<owner>{_NAME})/(?P<name>{_NAME})")
_VERSION = re.compile(rf"(?:{_NAME}/{_NAME}:)?(?P<version>{_VERSION_ID})")


class InvalidReplicateModelError(PermanentError, ValueError):
    """The value is neither ``owner/name`` nor a version id."""


@dataclass(frozen=True)
class ReplicateModel:
    """Where a prediction of this model is created, and the body fields that name it."""

    predictions_path: str
    """Path under the API base URL (``https://api.replicate.com/v1``), starting with '/'."""
    body_fields: Mapping[str, str] = field(default_factory=dict)
    """Fields added to the request body beside ``input`` and the webhook."""


def parse_replicate_model(value: str) -> ReplicateModel:
    """``owner/name`` → the official model's endpoint; a version id → ``/predictions``."""
    text = value.strip()
    version = _VERSION.fullmatch(text)
    if version:
        return ReplicateModel("/predictions", {"version": version["version"]})
    official = _OFFICIAL_MODEL.fullmatch(text)
    if official:
        return ReplicateModel(f"/models/{official['owner']}/{official['name']}/predictions")
    raise InvalidReplicateModelError(
        "a Replicate model must be an official model's owner/name "
        "(e.g. stability-ai/stable-diffusion-3.5-large) or a version id "
        f"(64 lowercase hex characters, optionally as owner/name:<id>), got {value!r}"
    )
