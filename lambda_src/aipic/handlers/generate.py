"""generate: start a Replicate prediction for a STARTED picture.

Invoked asynchronously by AppSync with ``{"id", "owner", "prompt", "settings"}``. The
Replicate token comes from SSM (decrypted, cached). On success the picture moves to
PROCESSING with the prediction id; on a permanent failure, or when retries run out, it
moves to FAILED with the reason.

At most one prediction per picture: the state machine in :mod:`aipic.decisions.generate`
(claim before calling Replicate; an in-doubt answer leaves the picture claimed for its
webhook or the sweeper) decides, and this module applies it through the repository and
the Replicate client.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aipic.clients import http_session
from aipic.decisions import generate as decide
from aipic.errors import PermanentError
from aipic.observability import LambdaContext, logger
from aipic.parameters import ParameterUnavailableError, read_secure_parameter
from aipic.pics import pics_repository
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


class InvalidGenerateEventError(PermanentError, ValueError):
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


def _fail(pic_id: str, fail: decide.Fail) -> dict[str, str]:
    """FAILED with the user-facing reason; the detail goes to the logs only."""
    logger.error(
        "picture failed", extra={"pic_id": pic_id, "reason": fail.reason, "detail": fail.detail}
    )
    if not pics_repository().mark_failed(pic_id, fail.reason):
        logger.warning("picture had already moved on; reason not stored", extra={"pic_id": pic_id})
    return {"id": pic_id, "outcome": decide.Outcome.FAILED}


def _finish(pic_id: str, finish: decide.Finish) -> dict[str, str]:
    if finish.outcome is decide.Outcome.PROCESSING:
        logger.info(finish.log, extra=dict(finish.extra))
    else:
        logger.warning(finish.log, extra=dict(finish.extra))
    return {"id": pic_id, "outcome": finish.outcome}


def _create(
    client: ReplicateClient, settings: GenerateSettings, request: GenerateRequest
) -> decide.CreateResult:
    """The Replicate client's answer as the state machine's input."""
    try:
        prediction = client.create_prediction(
            model=settings.model,
            model_input=request.replicate_input(),
            webhook=webhook_url_for(settings, request.pic_id),
        )
    except ReplicateError as error:
        return decide.Refused(error.reason, str(error))
    except PredictionInDoubtError as error:
        return decide.InDoubt(str(error))
    return decide.Created(prediction.id)


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

    finish = decide.on_invocation(pics.get(request.pic_id))
    if finish is not None:
        return _finish(request.pic_id, finish)

    try:
        token = read_secure_parameter(settings.token_parameter, settings.parameters_max_age_seconds)
    except ParameterUnavailableError as error:
        return _fail(request.pic_id, decide.token_unavailable(str(error)))

    finish = decide.after_claim(pics.claim_for_generation(request.pic_id))
    if finish is not None:
        return _finish(request.pic_id, finish)

    client = ReplicateClient(
        api_url=settings.api_url,
        token=token,
        timeout_seconds=settings.timeout_seconds,
        max_attempts=settings.max_attempts,
        session=http_session(),
        sleep=retry_sleep,
    )
    step = decide.after_create(_create(client, settings, request))
    if isinstance(step, decide.Fail):
        return _fail(request.pic_id, step)
    if isinstance(step, decide.Finish):
        return _finish(request.pic_id, step)

    recorded = pics.mark_processing(request.pic_id, step.prediction_id)
    current = None if recorded else pics.get(request.pic_id)
    ending = decide.after_record(recorded, current, step.prediction_id)
    if isinstance(ending, decide.Finish):
        return _finish(request.pic_id, ending)
    _finish(request.pic_id, ending.then)
    try:
        client.cancel_prediction(ending.prediction_id)
    except ReplicateError as error:
        logger.warning("could not cancel the prediction", extra={"reason": str(error)})
    return {"id": request.pic_id, "outcome": ending.then.outcome}
