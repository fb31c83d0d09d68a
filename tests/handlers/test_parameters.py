"""SSM parameters: decrypted, stripped, kept for max_age, read on the shared boto3 session."""

from __future__ import annotations

import boto3
import pytest
from aipic import clients, parameters
from aipic.parameters import ParameterUnavailableError, read_secure_parameter

from tests.conftest import REPLICATE_TOKEN, TOKEN_PARAMETER, AwsAccount


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(parameters.time, "monotonic", fake)
    return fake


def overwrite(aws: AwsAccount, name: str, value: str) -> None:
    aws.ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)


def test_reads_the_decrypted_value_stripped(aws: AwsAccount) -> None:
    overwrite(aws, TOKEN_PARAMETER, f"  {REPLICATE_TOKEN}\n")

    assert read_secure_parameter(TOKEN_PARAMETER, max_age_seconds=60) == REPLICATE_TOKEN


def test_value_is_kept_for_max_age_then_read_again(aws: AwsAccount, clock: Clock) -> None:
    assert read_secure_parameter(TOKEN_PARAMETER, max_age_seconds=60) == REPLICATE_TOKEN
    overwrite(aws, TOKEN_PARAMETER, "rotated")

    clock.now += 59
    assert read_secure_parameter(TOKEN_PARAMETER, max_age_seconds=60) == REPLICATE_TOKEN
    clock.now += 1
    assert read_secure_parameter(TOKEN_PARAMETER, max_age_seconds=60) == "rotated"


def test_missing_parameter_is_a_clear_error(aws: AwsAccount) -> None:
    with pytest.raises(ParameterUnavailableError, match="SSM parameter /no/such could not be"):
        read_secure_parameter("/no/such", max_age_seconds=60)


def test_empty_parameter_is_an_error_and_not_kept(aws: AwsAccount) -> None:
    overwrite(aws, TOKEN_PARAMETER, "   ")

    with pytest.raises(ParameterUnavailableError, match=f"SSM parameter {TOKEN_PARAMETER} is"):
        read_secure_parameter(TOKEN_PARAMETER, max_age_seconds=60)

    # Fixed by the operator: the next invocation reads it, not an empty value kept for 60 s.
    overwrite(aws, TOKEN_PARAMETER, REPLICATE_TOKEN)
    assert read_secure_parameter(TOKEN_PARAMETER, max_age_seconds=60) == REPLICATE_TOKEN


def test_reads_on_the_shared_session_without_building_another(
    aws: AwsAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients.s3_client()  # the handler's other clients exist already
    created: list[boto3.Session] = []
    original_init = boto3.Session.__init__

    def counting_init(self: boto3.Session, *args: object, **kwargs: object) -> None:
        created.append(self)
        original_init(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(boto3.Session, "__init__", counting_init)

    assert read_secure_parameter(TOKEN_PARAMETER, max_age_seconds=60) == REPLICATE_TOKEN
    assert created == []
