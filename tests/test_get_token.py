"""terraform/environments/get_token.py: SRP sign-in from the command line, MFA included.

Against moto's Cognito, which runs the same challenge sequence as Cognito
(PASSWORD_VERIFIER, MFA_SETUP, SOFTWARE_TOKEN_MFA, NEW_PASSWORD_REQUIRED) but does
not check the SRP proof itself (pycognito's arithmetic is its own tested code).
"""

from __future__ import annotations

import importlib.util
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

SCRIPT = Path(__file__).resolve().parents[1] / "terraform" / "environments" / "get_token.py"
REGION = "eu-west-1"
EMAIL = "someone@example.com"
PASSWORD = "Correct-Horse-42!"  # pragma: allowlist secret


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("get_token", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


get_token = _load_script()


@pytest.fixture
def cognito(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("cognito-idp", region_name=REGION)


def _pool(cognito: Any, *, mfa: str) -> tuple[str, str]:
    """A pool and an SRP-only app client, as modules/auth makes them for prod."""
    pool_id = cognito.create_user_pool(PoolName="aipic-prod", UsernameAttributes=["email"])[
        "UserPool"
    ]["Id"]
    if mfa != "OFF":
        cognito.set_user_pool_mfa_config(
            UserPoolId=pool_id,
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration=mfa,
        )
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="app",
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


def _user(cognito: Any, pool_id: str, *, permanent: bool = True) -> None:
    cognito.admin_create_user(UserPoolId=pool_id, Username=EMAIL, TemporaryPassword=PASSWORD)
    if permanent:
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=EMAIL, Password=PASSWORD, Permanent=True
        )


class Console:
    """Answers prompts in order and records what the script shows."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []
        self.shown: list[str] = []

    def ask(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.answers.pop(0)

    def show(self, text: str) -> None:
        self.shown.append(text)


def _sign_in(cognito: Any, pool_id: str, client_id: str, console: Console) -> dict[str, Any]:
    result: dict[str, Any] = get_token.sign_in(
        cognito,
        user_pool_id=pool_id,
        client_id=client_id,
        username=EMAIL,
        password=PASSWORD,
        ask=console.ask,
        ask_secret=console.ask,
        show=console.show,
    )
    return result


def _token_use(token: str) -> str:
    import jwt

    return str(jwt.decode(token, options={"verify_signature": False})["token_use"])


def test_srp_sign_in_without_mfa_returns_tokens(cognito: Any) -> None:
    pool_id, client_id = _pool(cognito, mfa="OFF")
    _user(cognito, pool_id)
    console = Console()

    tokens = _sign_in(cognito, pool_id, client_id, console)

    assert set(tokens) >= {"IdToken", "AccessToken", "RefreshToken"}
    assert _token_use(tokens["IdToken"]) == "id"
    assert console.prompts == []


def test_required_mfa_is_set_up_at_the_first_sign_in_then_asked_for(cognito: Any) -> None:
    pool_id, client_id = _pool(cognito, mfa="ON")
    _user(cognito, pool_id)

    first = Console("123456")
    tokens = _sign_in(cognito, pool_id, client_id, first)
    assert "IdToken" in tokens
    (setup,) = first.shown
    assert "secret: " in setup
    assert "otpauth://totp/" in setup
    assert first.prompts == ["Code from your authenticator app: "]

    second = Console("654321")
    tokens = _sign_in(cognito, pool_id, client_id, second)
    assert "IdToken" in tokens
    assert second.shown == []  # enrolled: only the code is asked for
    assert second.prompts == ["Code from your authenticator app: "]


def test_an_admin_created_user_sets_a_new_password(cognito: Any) -> None:
    pool_id, client_id = _pool(cognito, mfa="OFF")
    _user(cognito, pool_id, permanent=False)
    console = Console("Another-Horse-43!")

    tokens = _sign_in(cognito, pool_id, client_id, console)

    assert "IdToken" in tokens
    assert console.prompts == ["New password: "]


def test_the_command_prints_only_the_token_on_stdout(
    cognito: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pool_id, client_id = _pool(cognito, mfa="OFF")
    _user(cognito, pool_id)
    monkeypatch.setenv("AIPIC_PASSWORD", PASSWORD)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    status = get_token.main(
        ["--user-pool-id", pool_id, "--client-id", client_id, "--username", EMAIL]
    )

    out = capsys.readouterr().out.strip()
    assert status == 0
    assert "\n" not in out
    assert _token_use(out) == "id"


def test_an_unknown_user_fails_with_a_message(
    cognito: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pool_id, client_id = _pool(cognito, mfa="OFF")
    monkeypatch.setenv("AIPIC_PASSWORD", PASSWORD)

    status = get_token.main(
        ["--user-pool-id", pool_id, "--client-id", client_id, "--username", "nobody@example.com"]
    )

    captured = capsys.readouterr()
    assert status == 1
    assert captured.out == ""
    assert captured.err.startswith("get_token: ")
