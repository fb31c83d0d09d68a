"""webhook: what it fetches — only what both URL parsers agree is allowed, only from a
public address (loopback only when the local stack asks), and within one deadline."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
from aipic import failure_reasons

from local.replicate.standin import ReplicateStandIn
from tests.conftest import AwsAccount
from tests.handlers.webhook_support import PIC_ID, call_webhook, processing_pic, webhook_event


def failed_with(aws: AwsAccount, reason: str) -> None:
    item = aws.item(PIC_ID)
    assert item is not None
    assert (item["completionStatus"], item.get("failureReason")) == ("FAILED", reason)
    assert aws.object_keys() == []


def deliver(replicate: ReplicateStandIn, aws: AwsAccount, output_url: str | None = None) -> int:
    prediction_id = processing_pic(aws, replicate)
    prediction = replicate.final_prediction(prediction_id)
    if output_url is not None:
        prediction["output"] = [output_url.format(id=prediction_id)]
    status, _ = call_webhook(webhook_event(prediction))
    return status


@pytest.fixture
def record_lookups(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """From the call on, the names the process asks DNS about (all "unknown host")."""

    def start() -> list[str]:
        calls: list[str] = []

        def no_internet(host: str, *args: object, **kwargs: object) -> Any:
            calls.append(host)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

        monkeypatch.setattr(socket, "getaddrinfo", no_internet)
        return calls

    return start


@pytest.fixture
def dns_pointing_at(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, int], None]:
    """Make every name resolve to ``address:port`` (a DNS answer chosen by an attacker)."""
    real_getaddrinfo = socket.getaddrinfo

    def point(address: str, port: int) -> None:
        def answer(host: str, _port: object, *args: Any, **kwargs: Any) -> Any:
            return real_getaddrinfo(address, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", answer)

    return point


# ---------------------------------------------------------------- parser differentials


def test_a_backslash_before_userinfo_cannot_smuggle_another_host(
    aws: AwsAccount, replicate: ReplicateStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """urllib.parse reads host replicate.delivery; requests would connect to 127.0.0.1."""
    monkeypatch.setenv("IMAGE_HOST_ALLOWLIST", "replicate.delivery")
    smuggled = f"http://127.0.0.1:{replicate.port}\\@replicate.delivery/files/{{id}}.png"

    assert deliver(replicate, aws, smuggled) == 200

    failed_with(aws, failure_reasons.IMAGE_SOURCE_REFUSED)
    assert replicate.file_requests == []


def test_a_redirect_cannot_smuggle_another_host_either(
    aws: AwsAccount, replicate: ReplicateStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAGE_HOST_ALLOWLIST", "localhost")
    smuggled = f"http://127.0.0.1:{replicate.port}\\@localhost/files/{{id}}.png"
    first_hop = replicate.redirect_url(smuggled).replace("127.0.0.1", "localhost", 1)

    assert deliver(replicate, aws, first_hop) == 200

    failed_with(aws, failure_reasons.IMAGE_SOURCE_REFUSED)
    assert [r.path.split("?")[0] for r in replicate.requests if r.method == "GET"] == ["/redirect"]


@pytest.mark.parametrize(
    "output_url",
    [
        "https://user@replicate.delivery/out.png",
        "https://replicate.delivery./out.png",
        "https://replicate.delivery:8443/out.png",
        "https://replicate.delivery\t/out.png",
    ],
)
def test_non_canonical_urls_are_refused_without_a_lookup(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    monkeypatch: pytest.MonkeyPatch,
    record_lookups: Callable[[], list[str]],
    output_url: str,
) -> None:
    monkeypatch.setenv("IMAGE_HOST_ALLOWLIST", "replicate.delivery")
    prediction_id = processing_pic(aws, replicate)
    prediction = replicate.final_prediction(prediction_id) | {"output": [output_url]}
    lookups = record_lookups()

    assert call_webhook(webhook_event(prediction))[0] == 200

    failed_with(aws, failure_reasons.IMAGE_SOURCE_REFUSED)
    assert lookups == []


# ---------------------------------------------------------------- the address connected


def test_a_name_resolving_to_loopback_is_not_fetched(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    monkeypatch: pytest.MonkeyPatch,
    dns_pointing_at: Callable[[str, int], None],
) -> None:
    """The name is allowed; the address DNS gives for it is not (e.g. DNS rebinding)."""
    monkeypatch.setenv("IMAGE_HOST_ALLOWLIST", "replicate.delivery")
    monkeypatch.setenv("IMAGE_FETCH_ALLOW_LOOPBACK", "false")
    prediction_id = processing_pic(aws, replicate)
    prediction = replicate.final_prediction(prediction_id)
    prediction["output"] = [f"http://replicate.delivery/files/{prediction_id}.png"]
    dns_pointing_at("127.0.0.1", replicate.port)

    assert call_webhook(webhook_event(prediction))[0] == 200

    failed_with(aws, failure_reasons.IMAGE_SOURCE_REFUSED)
    assert replicate.file_requests == []


def test_the_local_stack_may_fetch_from_loopback(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    monkeypatch: pytest.MonkeyPatch,
    dns_pointing_at: Callable[[str, int], None],
) -> None:
    monkeypatch.setenv("IMAGE_HOST_ALLOWLIST", "replicate.delivery")
    monkeypatch.setenv("IMAGE_FETCH_ALLOW_LOOPBACK", "true")
    prediction_id = processing_pic(aws, replicate)
    prediction = replicate.final_prediction(prediction_id)
    prediction["output"] = [f"http://replicate.delivery/files/{prediction_id}.png"]
    dns_pointing_at("127.0.0.1", replicate.port)

    assert call_webhook(webhook_event(prediction))[0] == 200

    assert len(aws.object_keys()) == 1


def test_loopback_is_refused_by_default_even_when_listed(
    aws: AwsAccount, replicate: ReplicateStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IMAGE_FETCH_ALLOW_LOOPBACK")

    assert deliver(replicate, aws) == 200

    failed_with(aws, failure_reasons.IMAGE_SOURCE_REFUSED)
    assert replicate.file_requests == []


# ---------------------------------------------------------------- the deadline


@pytest.mark.parametrize("drip_headers", [False, True], ids=["body", "headers"])
def test_a_dripping_file_host_fails_the_picture_on_the_deadline(
    aws: AwsAccount,
    replicate: ReplicateStandIn,
    monkeypatch: pytest.MonkeyPatch,
    drip_headers: bool,
) -> None:
    """Every read arrives well within the read timeout; only the deadline can stop it."""
    monkeypatch.setenv("IMAGE_DOWNLOAD_DEADLINE_SECONDS", "1.5")
    replicate.drip_interval, replicate.drip_headers = 0.2, drip_headers
    started = time.monotonic()

    assert deliver(replicate, aws) == 200

    assert time.monotonic() - started < 4.0
    failed_with(aws, failure_reasons.IMAGE_TOO_SLOW)
    assert aws.s3.list_multipart_uploads(Bucket=aws.bucket).get("Uploads", []) == []
