"""SecureString parameters from SSM, decrypted and kept for a bounded time.

Read with the shared session's SSM client (``clients``): Powertools' Parameters utility
builds a boto3 session of its own, which costs a cold start's first read several times
the SSM call's own setup, and importing it runs Powertools' package ``__init__``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from aipic.clients import ssm_client
from aipic.coldstart import cached
from aipic.errors import PermanentError


class ParameterUnavailableError(PermanentError):
    """The parameter is missing, empty or unreadable; the message names it."""


@dataclass(frozen=True)
class _Fetched:
    value: str
    expires_at: float  # time.monotonic()


@cached
def _fetched() -> dict[str, _Fetched]:
    """Values read in this execution environment, by parameter name."""
    return {}


def read_secure_parameter(name: str, max_age_seconds: int) -> str:
    """The parameter's value, stripped; read again once it is older than ``max_age_seconds``."""
    now = time.monotonic()
    fetched = _fetched().get(name)
    if fetched is not None and now < fetched.expires_at:
        return fetched.value
    try:
        response = ssm_client().get_parameter(Name=name, WithDecryption=True)
    except (BotoCoreError, ClientError) as error:
        raise ParameterUnavailableError(
            f"SSM parameter {name} could not be read: {error}"
        ) from None
    value = str(response["Parameter"]["Value"]).strip()
    if not value:
        raise ParameterUnavailableError(f"SSM parameter {name} is empty")
    _fetched()[name] = _Fetched(value, now + max_age_seconds)
    return value
