"""pre_sign_up: Cognito's PreSignUp trigger events, as Cognito sends them."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from aipic.handlers import pre_sign_up
from aipic.settings import SettingsError

from local.runtime.events import lambda_context


def pre_sign_up_event(
    email: str | None, trigger_source: str = "PreSignUp_SignUp"
) -> dict[str, Any]:
    """The event Cognito passes the trigger (version 1), e.g. for SignUp from the app client."""
    attributes: dict[str, str] = {} if email is None else {"email": email}
    return {
        "version": "1",
        "region": "eu-west-1",
        "userPoolId": "eu-west-1_AbCdEfGhI",
        "userName": "6f1e9c3a-2b4d-4e8f-9a0b-1c2d3e4f5a6b",
        "callerContext": {
            "awsSdkVersion": "aws-sdk-unknown-unknown",
            "clientId": "4s1ex2ampleclient7id0fd9k3",
        },
        "triggerSource": trigger_source,
        "request": {
            "userAttributes": attributes,
            "validationData": None,
            "clientMetadata": None,
        },
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }


@pytest.fixture
def allowlist(monkeypatch: pytest.MonkeyPatch, cold_start: None) -> None:
    monkeypatch.setenv("ALLOWED_EMAIL_DOMAINS", "example.com, Partner.Example.ORG")


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    return pre_sign_up.handler(event, lambda_context("aipic-test-pre-sign-up"))


@pytest.mark.parametrize(
    "email", ["ana@example.com", "Ana.Lopez@EXAMPLE.com", "bo@partner.example.org"]
)
def test_an_allowed_domain_signs_up_unchanged(allowlist: None, email: str) -> None:
    event = pre_sign_up_event(email)
    assert invoke(copy.deepcopy(event)) == event  # nobody auto-confirmed or auto-verified


@pytest.mark.parametrize(
    "email",
    [
        "mallory@evil.example",
        "mallory@mail.example.com",  # subdomains are other domains
        "mallory@example.com.evil.example",
        "mallory@notexample.com",
        "mallory@example.com@evil.example",  # the last @ decides
        "example.com",
        "@example.com",
        "",
        None,
    ],
)
def test_any_other_email_is_refused(allowlist: None, email: str | None) -> None:
    with pytest.raises(pre_sign_up.SignUpRefusedError) as refused:
        invoke(pre_sign_up_event(email))
    assert str(refused.value) == "Sign-up is not open to email addresses at this domain"


def test_federated_sign_ups_are_checked_too(allowlist: None) -> None:
    with pytest.raises(pre_sign_up.SignUpRefusedError):
        invoke(pre_sign_up_event("x@evil.example", "PreSignUp_ExternalProvider"))


def test_users_an_administrator_creates_always_pass(allowlist: None) -> None:
    event = pre_sign_up_event("ops@contractor.example", "PreSignUp_AdminCreateUser")
    assert invoke(copy.deepcopy(event)) == event


def test_the_refusal_log_names_the_domain_not_the_address(
    allowlist: None, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(pre_sign_up.SignUpRefusedError):
        invoke(pre_sign_up_event("mallory.secret@evil.example"))
    assert "evil.example" in caplog.text
    assert "mallory.secret" not in caplog.text


def test_without_an_allowlist_every_sign_up_fails_closed(
    monkeypatch: pytest.MonkeyPatch, cold_start: None
) -> None:
    monkeypatch.delenv("ALLOWED_EMAIL_DOMAINS", raising=False)
    with pytest.raises(SettingsError, match="ALLOWED_EMAIL_DOMAINS"):
        invoke(pre_sign_up_event("ana@example.com"))
