"""Settings: read once per cold start, a clear error naming a missing or invalid variable."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from aipic import settings
from aipic.settings import SettingsError

from tests.conftest import handler_environment

Loader = Callable[[Mapping[str, str]], Any]


def env(**changes: str | None) -> dict[str, str]:
    values: dict[str, str] = {**handler_environment(), "AWS_REGION": "eu-west-1"}
    for name, value in changes.items():
        if value is None:
            values.pop(name, None)
        else:
            values[name] = value
    return values


@pytest.mark.parametrize(
    ("loader", "variable"),
    [
        (settings.load_table_settings, "PICS_TABLE_NAME"),
        (settings.load_generate_settings, "REPLICATE_API_TOKEN_PARAMETER"),
        (settings.load_generate_settings, "REPLICATE_MODEL"),
        (settings.load_generate_settings, "WEBHOOK_URL"),
        (settings.load_webhook_settings, "PICS_BUCKET_NAME"),
        (settings.load_webhook_settings, "WEBHOOK_SECRET_PARAMETER"),
        (settings.load_publish_settings, "APPSYNC_GRAPHQL_URL"),
    ],
)
def test_missing_required_variable_is_named(loader: Loader, variable: str) -> None:
    with pytest.raises(SettingsError, match=f"{variable} is required"):
        loader(env(**{variable: None}))
    with pytest.raises(SettingsError, match=f"{variable} is required"):
        loader(env(**{variable: "   "}))


def test_defaults_are_https_only_to_replicate() -> None:
    generate = settings.load_generate_settings(env())
    webhook = settings.load_webhook_settings(env())
    assert generate.api_url == "https://api.replicate.com/v1"
    assert (generate.max_attempts, generate.timeout_seconds) == (4, 10.0)
    assert webhook.allowed_image_url_schemes == ("https",)
    assert webhook.image_host_allowlist == ("replicate.delivery",)
    assert webhook.max_image_bytes == 20 * 1024 * 1024
    assert webhook.parameters_max_age_seconds == 300
    # No loopback, and a bound on the whole download below the function's 28 s timeout.
    assert webhook.image_fetch_allow_loopback is False
    assert webhook.image_download_deadline_seconds == 20.0


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://api.replicate.com/v1/", True),
        ("http://127.0.0.1:8123/v1", True),
        ("http://localhost:8123/v1", True),
        ("http://api.replicate.com/v1", False),
        ("ftp://127.0.0.1/v1", False),
        ("api.replicate.com/v1", False),
    ],
)
def test_service_urls_must_be_https_except_to_loopback(url: str, accepted: bool) -> None:
    if accepted:
        assert settings.load_generate_settings(env(REPLICATE_API_URL=url)).api_url == url.rstrip(
            "/"
        )
    else:
        with pytest.raises(SettingsError, match="REPLICATE_API_URL"):
            settings.load_generate_settings(env(REPLICATE_API_URL=url))


def test_replicate_timeout_may_be_a_fraction_of_a_second() -> None:
    loaded = settings.load_generate_settings(env(REPLICATE_TIMEOUT_SECONDS="0.25"))
    assert loaded.timeout_seconds == 0.25


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("REPLICATE_MAX_ATTEMPTS", "many", "must be an integer"),
        ("REPLICATE_MAX_ATTEMPTS", "0", "between 1 and 10"),
        ("REPLICATE_TIMEOUT_SECONDS", "600", "between 0.1 and 60.0"),
        ("REPLICATE_TIMEOUT_SECONDS", "0.05", "between 0.1 and 60.0"),
        ("REPLICATE_TIMEOUT_SECONDS", "nan", "between 0.1 and 60.0"),
        ("REPLICATE_TIMEOUT_SECONDS", "soon", "must be a number"),
        ("WEBHOOK_URL", "https://x.example.com/hook?id=1", "must not carry a query"),
    ],
)
def test_invalid_generate_values_are_named(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=f"{variable}.*{message}"):
        settings.load_generate_settings(env(**{variable: value}))


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("MAX_IMAGE_BYTES", "-1", "between"),
        ("ALLOWED_IMAGE_URL_SCHEMES", "https,ftp", "only https and http, got ftp"),
        ("IMAGE_HOST_ALLOWLIST", " , ", "at least one value"),
        ("IMAGE_HOST_ALLOWLIST", "replicate.delivery.", "canonical form"),
        ("IMAGE_HOST_ALLOWLIST", "https://replicate.delivery", "canonical form"),
        ("IMAGE_HOST_ALLOWLIST", "replicate.delivery:443", "canonical form"),
        ("IMAGE_HOST_ALLOWLIST", "2130706433", "canonical form"),
        ("IMAGE_HOST_ALLOWLIST", "127.000.000.001", "canonical form"),
        ("IMAGE_DOWNLOAD_DEADLINE_SECONDS", "0", "between"),
        ("IMAGE_DOWNLOAD_DEADLINE_SECONDS", "soon", "must be a number"),
        ("IMAGE_FETCH_ALLOW_LOOPBACK", "yes", "must be true or false"),
        ("POWERTOOLS_PARAMETERS_MAX_AGE", "soon", "must be an integer"),
    ],
)
def test_invalid_webhook_values_are_named(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=f"{variable}.*{message}"):
        settings.load_webhook_settings(env(**{variable: value}))


def test_lists_are_trimmed_and_lowercased() -> None:
    loaded = settings.load_webhook_settings(
        env(IMAGE_HOST_ALLOWLIST=" Replicate.Delivery , pbxt.example.com ")
    )
    assert loaded.image_host_allowlist == ("replicate.delivery", "pbxt.example.com")


@pytest.mark.parametrize(("raw", "allowed"), [("true", True), ("TRUE", True), ("false", False)])
def test_loopback_is_allowed_only_when_asked(raw: str, allowed: bool) -> None:
    loaded = settings.load_webhook_settings(env(IMAGE_FETCH_ALLOW_LOOPBACK=raw))
    assert loaded.image_fetch_allow_loopback is allowed


def test_publish_region_comes_from_the_runtime() -> None:
    assert settings.load_publish_settings(env()).region == "eu-west-1"
    with pytest.raises(SettingsError, match="AWS_REGION"):
        settings.load_publish_settings(env(AWS_REGION=None))


def test_settings_are_read_once_per_cold_start(
    cold_start: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PICS_TABLE_NAME", "first")
    assert settings.table_settings().table_name == "first"
    monkeypatch.setenv("PICS_TABLE_NAME", "second")
    assert settings.table_settings().table_name == "first"
