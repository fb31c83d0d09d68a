"""Configuration from environment variables, validated once per cold start.

One small frozen dataclass per concern; each loader is cached (see ``coldstart``) and
raises :class:`SettingsError` naming the variable that is missing or invalid, so a
misconfigured function fails loudly on its first invocation instead of half-working.
The variables are documented in ``lambda_src/README.md``; their names come from the
contract (``aipic.contract``, modules/contract/contract.json), as Terraform's do.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from aipic.coldstart import cached
from aipic.contract import env_name
from aipic.errors import PermanentError
from aipic.hosts import is_canonical_host
from aipic.replicate_model import InvalidReplicateModelError, ReplicateModel, parse_replicate_model

DEFAULT_REPLICATE_API_URL = "https://api.replicate.com/v1"
DEFAULT_IMAGE_HOST_ALLOWLIST = ("replicate.delivery",)
DEFAULT_ALLOWED_IMAGE_URL_SCHEMES = ("https",)
DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024
DEFAULT_PARAMETERS_MAX_AGE_SECONDS = 300
# Below the webhook function's 28 s timeout, leaving time to finish the S3 write.
DEFAULT_IMAGE_DOWNLOAD_DEADLINE_SECONDS = 20.0
MAX_IMAGE_DOWNLOAD_DEADLINE_SECONDS = 900.0


class SettingsError(PermanentError, RuntimeError):
    """An environment variable is missing or invalid."""


@dataclass(frozen=True)
class TableSettings:
    table_name: str


@dataclass(frozen=True)
class GenerateSettings:
    token_parameter: str
    model: ReplicateModel
    webhook_url: str
    api_url: str
    max_attempts: int
    timeout_seconds: float
    parameters_max_age_seconds: int


@dataclass(frozen=True)
class WebhookSettings:
    bucket_name: str
    secret_parameter: str
    image_host_allowlist: tuple[str, ...]
    allowed_image_url_schemes: tuple[str, ...]
    max_image_bytes: int
    image_download_deadline_seconds: float
    image_fetch_allow_loopback: bool
    parameters_max_age_seconds: int


@dataclass(frozen=True)
class SweeperSettings:
    pending_index_name: str
    picture_deadline_minutes: int
    token_parameter: str
    api_url: str
    parameters_max_age_seconds: int


@dataclass(frozen=True)
class CleanupSettings:
    bucket_name: str
    token_parameter: str
    api_url: str
    parameters_max_age_seconds: int


@dataclass(frozen=True)
class PublishSettings:
    appsync_graphql_url: str
    region: str


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"environment variable {name} is required but not set")
    return value


def _number(
    env: Mapping[str, str],
    name: str,
    default: float,
    minimum: float,
    maximum: float,
    *,
    parse: Callable[[str], float] = float,
    kind: str = "a number",
) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise SettingsError(f"environment variable {name} must be {kind}, got {raw!r}") from None
    if not minimum <= value <= maximum:  # also refuses nan
        raise SettingsError(
            f"environment variable {name} must be between {minimum} and {maximum}, got {value}"
        )
    return value


def _integer(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    return int(_number(env, name, default, minimum, maximum, parse=int, kind="an integer"))


def _csv(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    values = tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    if not values:
        raise SettingsError(f"environment variable {name} must list at least one value")
    return values


def _boolean(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("true", "false"):
        raise SettingsError(f"environment variable {name} must be true or false, got {raw!r}")
    return raw == "true"


def _host_allowlist(env: Mapping[str, str]) -> tuple[str, ...]:
    hosts = _csv(env, env_name("image_host_allowlist"), DEFAULT_IMAGE_HOST_ALLOWLIST)
    odd = [host for host in hosts if not is_canonical_host(host)]
    if odd:
        raise SettingsError(
            f"environment variable {env_name('image_host_allowlist')} may list only DNS names "
            f"and IPv4 addresses in canonical form (no scheme, port, path or trailing dot), got "
            f"{', '.join(odd)}"
        )
    return hosts


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _service_url(env: Mapping[str, str], name: str, default: str | None = None) -> str:
    """An endpoint we call or hand out: https, or plain http to a loopback stand-in."""
    raw = env.get(name, "").strip() or default
    if raw is None:
        raise SettingsError(f"environment variable {name} is required but not set")
    parts = urlsplit(raw)
    host = parts.hostname or ""
    if not host:
        raise SettingsError(f"environment variable {name} must be an absolute URL, got {raw!r}")
    if parts.scheme != "https" and not (parts.scheme == "http" and _is_loopback(host)):
        raise SettingsError(
            f"environment variable {name} must be an https URL "
            f"(http only to a loopback host), got {raw!r}"
        )
    return raw.rstrip("/")


def _replicate_model(env: Mapping[str, str]) -> ReplicateModel:
    try:
        return parse_replicate_model(_required(env, env_name("replicate_model")))
    except InvalidReplicateModelError as error:
        raise SettingsError(
            f"environment variable {env_name('replicate_model')}: {error}"
        ) from None


def _parameters_max_age(env: Mapping[str, str]) -> int:
    return _integer(
        env, env_name("parameters_max_age"), DEFAULT_PARAMETERS_MAX_AGE_SECONDS, 0, 86_400
    )


def load_table_settings(env: Mapping[str, str]) -> TableSettings:
    return TableSettings(table_name=_required(env, env_name("pics_table_name")))


def load_generate_settings(env: Mapping[str, str]) -> GenerateSettings:
    webhook_url = _service_url(env, env_name("webhook_url"))
    if urlsplit(webhook_url).query:
        raise SettingsError(
            f"environment variable {env_name('webhook_url')} must not carry a query string"
        )
    return GenerateSettings(
        token_parameter=_required(env, env_name("replicate_api_token_parameter")),
        model=_replicate_model(env),
        webhook_url=webhook_url,
        api_url=_service_url(env, env_name("replicate_api_url"), DEFAULT_REPLICATE_API_URL),
        max_attempts=_integer(env, env_name("replicate_max_attempts"), 4, 1, 10),
        timeout_seconds=_number(env, env_name("replicate_timeout_seconds"), 10.0, 0.1, 60.0),
        parameters_max_age_seconds=_parameters_max_age(env),
    )


def load_webhook_settings(env: Mapping[str, str]) -> WebhookSettings:
    schemes = _csv(env, env_name("allowed_image_url_schemes"), DEFAULT_ALLOWED_IMAGE_URL_SCHEMES)
    unknown = sorted(set(schemes) - {"https", "http"})
    if unknown:
        raise SettingsError(
            f"environment variable {env_name('allowed_image_url_schemes')} may list only https "
            "and http, "
            f"got {', '.join(unknown)}"
        )
    return WebhookSettings(
        bucket_name=_required(env, env_name("pics_bucket_name")),
        secret_parameter=_required(env, env_name("webhook_secret_parameter")),
        image_host_allowlist=_host_allowlist(env),
        allowed_image_url_schemes=schemes,
        max_image_bytes=_integer(
            env, env_name("max_image_bytes"), DEFAULT_MAX_IMAGE_BYTES, 1, 5 * 1024 * 1024 * 1024
        ),
        image_download_deadline_seconds=_number(
            env,
            env_name("image_download_deadline_seconds"),
            DEFAULT_IMAGE_DOWNLOAD_DEADLINE_SECONDS,
            0.1,
            MAX_IMAGE_DOWNLOAD_DEADLINE_SECONDS,
        ),
        image_fetch_allow_loopback=_boolean(
            env, env_name("image_fetch_allow_loopback"), default=False
        ),
        parameters_max_age_seconds=_parameters_max_age(env),
    )


def load_sweeper_settings(env: Mapping[str, str]) -> SweeperSettings:
    return SweeperSettings(
        pending_index_name=_required(env, env_name("pending_index_name")),
        picture_deadline_minutes=_integer(env, env_name("picture_deadline_minutes"), 30, 1, 1440),
        token_parameter=_required(env, env_name("replicate_api_token_parameter")),
        api_url=_service_url(env, env_name("replicate_api_url"), DEFAULT_REPLICATE_API_URL),
        parameters_max_age_seconds=_parameters_max_age(env),
    )


def load_cleanup_settings(env: Mapping[str, str]) -> CleanupSettings:
    return CleanupSettings(
        bucket_name=_required(env, env_name("pics_bucket_name")),
        token_parameter=_required(env, env_name("replicate_api_token_parameter")),
        api_url=_service_url(env, env_name("replicate_api_url"), DEFAULT_REPLICATE_API_URL),
        parameters_max_age_seconds=_parameters_max_age(env),
    )


def load_publish_settings(env: Mapping[str, str]) -> PublishSettings:
    region = env.get("AWS_REGION", "").strip() or env.get("AWS_DEFAULT_REGION", "").strip()
    if not region:
        raise SettingsError("environment variable AWS_REGION is required but not set")
    return PublishSettings(
        appsync_graphql_url=_service_url(env, env_name("appsync_graphql_url")),
        region=region,
    )


@cached
def table_settings() -> TableSettings:
    return load_table_settings(os.environ)


@cached
def generate_settings() -> GenerateSettings:
    return load_generate_settings(os.environ)


@cached
def webhook_settings() -> WebhookSettings:
    return load_webhook_settings(os.environ)


@cached
def sweeper_settings() -> SweeperSettings:
    return load_sweeper_settings(os.environ)


@cached
def cleanup_settings() -> CleanupSettings:
    return load_cleanup_settings(os.environ)


@cached
def publish_settings() -> PublishSettings:
    return load_publish_settings(os.environ)


@dataclass(frozen=True)
class SignUpSettings:
    allowed_email_domains: tuple[str, ...]


def load_sign_up_settings(env: Mapping[str, str]) -> SignUpSettings:
    domains = _csv(env, env_name("allowed_email_domains"), ())
    if not domains:
        raise SettingsError(
            f"environment variable {env_name('allowed_email_domains')} is required but not set"
        )
    return SignUpSettings(allowed_email_domains=tuple(d.rstrip(".") for d in domains))


@cached
def sign_up_settings() -> SignUpSettings:
    return load_sign_up_settings(os.environ)
