"""generate: start a Replicate prediction for a STARTED picture.

Invoked asynchronously by AppSync with ``{"id", "owner", "prompt", "settings"}``. The
Replicate token comes from SSM (decrypted, cached). On success the picture moves to
PROCESSING with the prediction id; on a permanent failure, or when retries run out, it
moves to FAILED with the reason.

At most one prediction per picture: the picture is claimed with a conditional write
before Replicate is called, and an invocation that finds it claimed (Lambda's retry after
an error, a duplicate delivery) or no longer STARTED calls nothing. When the claimed
attempt cannot tell whether Replicate created the prediction (read timeout, dropped
connection, 5xx, or an error after Replicate answered, such as a throttled write), the
picture stays claimed: a prediction that exists sends its webhook with ``?id=<pic id>``
and the webhook adopts it; if none arrives, the sweeper fails the picture at its deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aipic import failure_reasons
from aipic.clients import http_session
from aipic.observability import LambdaContext, logger
from aipic.parameters import ParameterUnavailableError, read_secure_parameter
from aipic.pics import Status, pics_repository
from aipic.replicate import PredictionInDoubtError, ReplicateClient, ReplicateError
from aipic.settings import GenerateSettings, generate_settings

# GraphQL setting name → Replicate input name.
REPLICATE_INPUT_NAMES = {
    "negativePrompt": "negative_prompt",
    "width": "width",
    "height": "height",
    "numInferenceSteps": "num_inference_steps",
    "guidanceScale": "guidance_scale",
    "seed": "seed",
}


# How retries wait; a module attribute so tests can record the delays instead of sleeping.
retry_sleep: Callable[[float], None] = time.sleep


class InvalidGenerateEventError(ValueError):
    """The invocation event lacks a field AppSync always sends."""


@dataclass(frozen=True)
class GenerateRequest:
    pic_id: str
    owner: str
    prompt: str
    settings: Mapping[str, Any]

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> GenerateRequest:
        missing = [
            name
            for name in ("id", "owner", "prompt")
            if not isinstance(event.get(name), str) or not event[name].strip()
        ]
        if missing:
            raise InvalidGenerateEventError(
                f"generate event lacks non-empty string field(s): {', '.join(missing)}"
            )
        settings = event.get("settings") or {}
        if not isinstance(settings, Mapping):
            raise InvalidGenerateEventError("generate event field settings must be an object")
        return cls(event["id"], event["owner"], event["prompt"], settings)

    def replicate_input(self) -> dict[str, Any]:
        model_input: dict[str, Any] = {"prompt": self.prompt}
        for name, replicate_name in REPLICATE_INPUT_NAMES.items():
            if self.settings.get(name) is not None:
                model_input[replicate_name] = self.settings[name]
        return model_input


def webhook_url_for(settings: GenerateSettings, pic_id: str) -> str:
    return f"{settings.webhook_url}?{urlencode({'id': pic_id})}"


def _fail(pic_id: str, reason: str, detail: str) -> dict[str, str]:
    """FAILED with the user-facing ``reason``; ``detail`` goes to the logs only."""
    logger.error("picture failed", extra={"pic_id": pic_id, "reason": reason, "detail": detail})
    if not pics_repository().mark_failed(pic_id, reason):
        logger.warning("picture had already moved on; reason not stored", extra={"pic_id": pic_id})
    return {"id": pic_id, "outcome": Status.FAILED}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    try:
        request = GenerateRequest.from_event(event)
    except InvalidGenerateEventError:
        # Raising sends the event to the async invocation's on-failure destination.
        logger.exception("rejected generate event", extra={"event_keys": sorted(event)})
        raise
    logger.append_keys(pic_id=request.pic_id)
    settings = generate_settings()
    pics = pics_repository()

    pic = pics.get(request.pic_id)
    if pic is None or pic.status != Status.STARTED:
        logger.warning(
            "picture is unknown or not STARTED; no prediction created",
            extra={"status": pic.status if pic else None},
        )
        return {"id": request.pic_id, "outcome": "skipped"}
    if pic.claimed:
        # An earlier delivery of this event may have reached Replicate: never ask twice.
        logger.warning("picture already claimed by an earlier invocation; no prediction created")
        return {"id": request.pic_id, "outcome": "skipped"}

    try:
        token = read_secure_parameter(settings.token_parameter, settings.parameters_max_age_seconds)
    except ParameterUnavailableError as error:
        return _fail(request.pic_id, failure_reasons.SERVICE_MISCONFIGURED, str(error))

    if not pics.claim_for_generation(request.pic_id):
        logger.warning("a concurrent invocation claimed the picture; no prediction created")
        return {"id": request.pic_id, "outcome": "skipped"}

    client = ReplicateClient(
        api_url=settings.api_url,
        token=token,
        timeout_seconds=settings.timeout_seconds,
        max_attempts=settings.max_attempts,
        session=http_session(),
        sleep=retry_sleep,
    )
    try:
        prediction = client.create_prediction(
            model=settings.model,
            model_input=request.replicate_input(),
            webhook=webhook_url_for(settings, request.pic_id),
        )
    except ReplicateError as error:
        return _fail(request.pic_id, error.reason, str(error))
    except PredictionInDoubtError as error:
        logger.warning(
            "Replicate may have created the prediction; the picture stays claimed for its "
            "webhook (or the sweeper)",
            extra={"reason": str(error)},
        )
        return {"id": request.pic_id, "outcome": "in-doubt"}

    if pics.mark_processing(request.pic_id, prediction.id):
        logger.info("prediction started", extra={"prediction_id": prediction.id})
        return {"id": request.pic_id, "outcome": Status.PROCESSING}
    current = pics.get(request.pic_id)
    if current is not None and current.prediction_id == prediction.id:
        logger.info(
            "the webhook recorded the prediction first", extra={"prediction_id": prediction.id}
        )
        return {"id": request.pic_id, "outcome": Status.PROCESSING}
    # The picture went final meanwhile (the sweeper's deadline): stop the paid run.
    logger.warning(
        "picture moved on while the prediction was created; cancelling it",
        extra={"prediction_id": prediction.id, "status": current.status if current else None},
    )
    try:
        client.cancel_prediction(prediction.id)
    except ReplicateError as error:
        logger.warning("could not cancel the prediction", extra={"reason": str(error)})
    return {"id": request.pic_id, "outcome": "skipped"}
