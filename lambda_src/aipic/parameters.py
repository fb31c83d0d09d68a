"""SecureString parameters from SSM, decrypted and cached (Powertools Parameters)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.parameters import GetParameterError, get_parameter


class ParameterUnavailableError(Exception):
    """The parameter is missing, empty or unreadable; the message names it."""


def read_secure_parameter(name: str, max_age_seconds: int) -> str:
    try:
        value = get_parameter(name, decrypt=True, max_age=max_age_seconds)
    except GetParameterError as error:
        raise ParameterUnavailableError(
            f"SSM parameter {name} could not be read: {error}"
        ) from None
    if not value.strip():
        raise ParameterUnavailableError(f"SSM parameter {name} is empty")
    return value.strip()
