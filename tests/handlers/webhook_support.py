"""Helpers for webhook tests: a prediction started on the stand-in, its signed webhook."""

from __future__ import annotations

import json
from typing import Any

import requests
from aipic.handlers import webhook

from local.replicate.standin import ReplicateStandIn, signed_webhook_headers
from local.runtime.events import api_gateway_v2_event, lambda_context
from tests.conftest import WEBHOOK_SECRET, AwsAccount

PIC_ID = "8d3f2b1a-6c4e-4a9b-8f7d-1e2c3b4a5d6e"
PROMPT = "a red fox in fresh snow"


def start_prediction(replicate: ReplicateStandIn, prompt: str = PROMPT) -> str:
    """Create a prediction on the stand-in (no webhook: the test delivers it) → its id."""
    response = requests.post(
        f"{replicate.base_url}/predictions",
        json={"version": "v1", "input": {"prompt": prompt}},
        headers={"Authorization": f"Bearer {replicate.expected_token}"},
        timeout=5,
    )
    response.raise_for_status()
    return str(response.json()["id"])


def processing_pic(aws: AwsAccount, replicate: ReplicateStandIn, pic_id: str = PIC_ID) -> str:
    """A PROCESSING picture whose prediction exists on the stand-in; returns the prediction id."""
    prediction_id = start_prediction(replicate)
    aws.put_pic(pic_id, status="PROCESSING", prompt=PROMPT, prediction_id=prediction_id)
    return prediction_id


def webhook_event(
    prediction: dict[str, Any] | bytes,
    pic_id: str | None = PIC_ID,
    *,
    secret: str = WEBHOOK_SECRET,
    headers: dict[str, str] | None = None,
    timestamp: int | None = None,
    base64_encode: bool | None = None,
) -> dict[str, Any]:
    """The API Gateway event for Replicate's signed POST of ``prediction``."""
    body = prediction if isinstance(prediction, bytes) else json.dumps(prediction).encode()
    signed = signed_webhook_headers(secret, body, timestamp=timestamp)
    return api_gateway_v2_event(
        body=body,
        headers=signed if headers is None else headers,
        raw_query_string="" if pic_id is None else f"id={pic_id}",
        base64_encode=base64_encode,
    )


def call_webhook(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = webhook.handler(event, lambda_context("aipic-webhook"))
    return response["statusCode"], json.loads(response["body"])
