"""webhook: Replicate's signed callbacks ("start", "logs", "completed"), behind an API
Gateway HTTP API.

Answers: 401 unless the signature verifies (checked before anything in the body is
trusted), 400 for a request it cannot use (too large, not a JSON object, nested deeper
than ``MAX_JSON_DEPTH``, no prediction id or status), 404 for an unknown picture, 409
when the body's prediction is not the one recorded on the picture or while another
delivery of it is storing the image, 500 for a transient transfer failure (Replicate
retries its webhook for about a minute), 200 otherwise. A transient failure is counted on
the picture; the third one marks it FAILED, so retries stay bounded.

A picture that generate claimed but holds no prediction id yet (its write was lost, or is
still coming) adopts the webhook's prediction with a conditional write: generate asks
Replicate once per picture, so the only prediction that can call back with this picture's
``?id=`` is that one.

A running prediction's events (``start`` and ``logs``, status starting or processing)
record its progress (:mod:`aipic.progress`). A final picture (one its owner CANCELED too)
answers 200 and changes nothing.

A repeated ``succeeded`` delivery stores nothing: the store is claimed on the picture
(a lease until this invocation's own timeout) before the download, and the S3 write is
conditional. ``failureReason`` is always a sentence from :mod:`aipic.failure_reasons`;
what went wrong in detail is logged.

The image is streamed synchronously: Replicate's outputs are a few MB, the transfer
timeouts keep it within the seconds Replicate waits, and an asynchronous step would add a
queue, a function and a failure destination for no gain at this size.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from dataclasses import replace
from typing import Any, cast

from aipic import failure_reasons
from aipic.clients import s3_client
from aipic.events import HttpApiEvent
from aipic.image_transfer import (
    ImagePolicy,
    ImageRejectedError,
    ImageTransferError,
    store_image,
)
from aipic.observability import LambdaContext, logger
from aipic.parameters import ParameterUnavailableError, read_secure_parameter
from aipic.pics import Pic, Status, StoreClaim, pics_repository
from aipic.progress import progress_to_record
from aipic.settings import WebhookSettings, webhook_settings
from aipic.signature import InvalidSecretError, InvalidSignatureError, verify_signature

MAX_TRANSIENT_FAILURES = 3
FAILED_PREDICTION_STATUSES = frozenset({"failed", "canceled", "aborted"})
# A running prediction's events ("start", "logs"): they carry its logs so far.
RUNNING_PREDICTION_STATUSES = frozenset({"starting", "processing"})
# A prediction is a few KB; these bound what parsing a signed body may cost.
MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
# The lease outlives this invocation by this much, so it never lapses while we store.
STORE_LEASE_MARGIN_SECONDS = 2

Response = dict[str, Any]


class MalformedWebhookError(ValueError):
    """The request cannot be understood; answered with 400."""


def _respond(status_code: int, message: str, **details: str) -> Response:
    return {
        "statusCode": status_code,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"message": message, **details}),
    }


def _raw_body(request: HttpApiEvent) -> bytes:
    body = request.get("body") or ""
    # base64 is 4/3 of the bytes it encodes; either way this bounds the work below.
    if len(body) > MAX_BODY_BYTES * 4 // 3 + 4:
        raise MalformedWebhookError(f"body is larger than {MAX_BODY_BYTES} bytes")
    if not request.get("isBase64Encoded", False):
        raw = body.encode(errors="surrogatepass")
    else:
        try:
            raw = base64.b64decode(body, validate=True)
        except binascii.Error:
            raise MalformedWebhookError("body is flagged base64 but is not") from None
    if len(raw) > MAX_BODY_BYTES:
        raise MalformedWebhookError(f"body is larger than {MAX_BODY_BYTES} bytes")
    return raw


def _depth(value: object) -> int:
    """Nesting depth of parsed JSON, without recursion; stops past MAX_JSON_DEPTH."""
    deepest = 0
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if not isinstance(item, dict | list):
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            break
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children)
    return deepest


def _parse_prediction(body: bytes) -> dict[str, Any]:
    try:
        prediction = json.loads(body)
    except (ValueError, RecursionError):
        # RecursionError: json's C decoder refuses nesting deeper than the stack allows.
        raise MalformedWebhookError("body is not JSON, or is nested too deeply") from None
    if not isinstance(prediction, dict):
        raise MalformedWebhookError("body is not a JSON object")
    if _depth(prediction) > MAX_JSON_DEPTH:
        raise MalformedWebhookError(f"body is nested deeper than {MAX_JSON_DEPTH} levels")
    for field in ("id", "status"):
        if not isinstance(prediction.get(field), str) or not prediction[field]:
            raise MalformedWebhookError(f"body lacks the prediction {field}")
    return prediction


def _output_url(output: object) -> str | None:
    """Replicate's ``output``: a list of file URLs (the first is ours) or a single URL."""
    if isinstance(output, list) and output:
        output = output[0]
    return output if isinstance(output, str) and output else None


def _error_text(error: object) -> str:
    if error is None or error == "":
        return "no error given"
    return error if isinstance(error, str) else json.dumps(error)


def _adopt_if_claimed(pic: Pic, prediction_id: str) -> Pic | None:
    """The picture after recording ``prediction_id`` on it if generate claimed it and
    recorded none; unchanged otherwise (None if it vanished)."""
    if pic.prediction_id is not None or not pic.claimed or pic.is_final:
        return pic
    pics = pics_repository()
    if pics.adopt_prediction(pic.id, prediction_id):
        logger.info("prediction adopted from its webhook")
        return replace(pic, status=Status.PROCESSING, prediction_id=prediction_id)
    return pics.get(pic.id)  # generate (or the sweeper) wrote first: decide on that


def _prediction_failure_reason(status: str, error: str) -> str:
    if status == "canceled":
        return failure_reasons.PREDICTION_CANCELED
    # Replicate's safety checker: "NSFW content detected. Try running it again, ..."
    if "nsfw" in error.lower():
        return failure_reasons.PREDICTION_BLOCKED
    return failure_reasons.PREDICTION_FAILED


def _fail(pic: Pic, reason: str, detail: str) -> Response:
    """FAILED with the user-facing ``reason``; ``detail`` goes to the logs only."""
    logger.warning("picture failed", extra={"reason": reason, "detail": detail})
    if not pics_repository().mark_failed(pic.id, reason):
        return _respond(200, "picture already final")
    return _respond(200, "picture marked FAILED", reason=reason)


def _record_progress(pic: Pic, prediction: dict[str, Any]) -> Response:
    step = progress_to_record(prediction.get("logs"), pic.progress)
    if step is None:
        return _respond(200, "no new progress step")
    if not pics_repository().record_progress(pic.id, prediction["id"], step):
        return _respond(
            200, "progress not recorded: a higher one is stored or the picture moved on"
        )
    return _respond(200, "progress recorded", progress=str(step))


def _image_policy(settings: WebhookSettings) -> ImagePolicy:
    return ImagePolicy(
        allowed_schemes=settings.allowed_image_url_schemes,
        host_allowlist=settings.image_host_allowlist,
        max_bytes=settings.max_image_bytes,
        deadline_seconds=settings.image_download_deadline_seconds,
        allow_loopback=settings.image_fetch_allow_loopback,
    )


def _store_output(
    pic: Pic, prediction: dict[str, Any], settings: WebhookSettings, context: LambdaContext
) -> Response:
    url = _output_url(prediction.get("output"))
    if url is None:
        return _fail(pic, failure_reasons.NO_OUTPUT, "prediction succeeded without an output URL")
    pics = pics_repository()
    lease = str(uuid.uuid4())
    now = int(time.time())
    # Lambda ends this invocation at its timeout, so the lease cannot outlive a crash.
    lease_seconds = context.get_remaining_time_in_millis() // 1000 + STORE_LEASE_MARGIN_SECONDS
    claim = pics.claim_image_store(pic.id, prediction["id"], lease, now, now + lease_seconds)
    if claim is StoreClaim.STORED:
        return _respond(200, "image already stored")
    if claim is StoreClaim.BUSY:
        logger.info("another delivery is storing the image")
        return _respond(409, "the image is being stored by another delivery; retry later")
    if claim is StoreClaim.NOT_PROCESSING:
        return _respond(200, "picture already final")
    try:
        stored = store_image(
            url,
            policy=_image_policy(settings),
            s3=s3_client(),
            bucket=settings.bucket_name,
            key_stem=f"pics/{pic.owner}/{pic.id}",
            metadata={"pic-id": pic.id, "owner": pic.owner},
        )
    except ImageRejectedError as error:
        return _fail(pic, error.reason, f"output image rejected: {error}")
    except ImageTransferError as error:
        pics.release_image_store(pic.id, lease)
        return _transient_failure(pic, error)
    pics.record_image_stored(pic.id, lease, stored.key)
    if not stored.newly_stored:
        logger.info("image was already stored", extra={"key": stored.key})
        return _respond(200, "image already stored", key=stored.key)
    logger.info("image stored", extra={"key": stored.key, "bytes": stored.size})
    return _respond(200, "image stored", key=stored.key)


def _transient_failure(pic: Pic, error: ImageTransferError) -> Response:
    failures = pics_repository().record_webhook_attempt(pic.id, pic.prediction_id or "")
    if failures is None:
        return _respond(200, "picture already final")
    if failures >= MAX_TRANSIENT_FAILURES:
        return _fail(pic, error.reason, f"image transfer failed {failures} times, last: {error}")
    logger.warning("image transfer failed; Replicate will retry", extra={"detail": str(error)})
    return _respond(500, "image transfer failed; retry later")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> Response:
    request = cast(HttpApiEvent, event)
    settings = webhook_settings()
    try:
        secret = read_secure_parameter(
            settings.secret_parameter, settings.parameters_max_age_seconds
        )
    except ParameterUnavailableError:
        logger.exception("webhook signing secret unavailable")
        return _respond(500, "webhook not configured")

    try:
        body = _raw_body(request)
        headers = {name.lower(): value for name, value in (request.get("headers") or {}).items()}
        verify_signature(secret=secret, headers=headers, body=body)
        pic_id = (request.get("queryStringParameters") or {}).get("id") or ""
        if not pic_id:
            raise MalformedWebhookError("query parameter id is missing")
        prediction = _parse_prediction(body)
    except InvalidSignatureError as error:
        logger.warning("webhook signature rejected", extra={"reason": str(error)})
        return _respond(401, "invalid signature")
    except InvalidSecretError:
        logger.exception("webhook signing secret is malformed")
        return _respond(500, "webhook not configured")
    except MalformedWebhookError as error:
        logger.warning("malformed webhook", extra={"reason": str(error)})
        return _respond(400, str(error))

    logger.append_keys(pic_id=pic_id, prediction_id=prediction["id"])
    pic = pics_repository().get(pic_id)
    if pic is not None:
        pic = _adopt_if_claimed(pic, prediction["id"])
    if pic is None:
        return _respond(404, "unknown picture")
    if pic.prediction_id != prediction["id"]:
        logger.warning("prediction id does not match the picture's")
        return _respond(409, "prediction does not belong to this picture")
    if pic.is_final:
        return _respond(200, "picture already final")

    status = prediction["status"]
    if status == "succeeded":
        return _store_output(pic, prediction, settings, context)
    if status in FAILED_PREDICTION_STATUSES:
        error_text = _error_text(prediction.get("error"))
        reason = _prediction_failure_reason(status, error_text)
        return _fail(pic, reason, f"Replicate prediction {status}: {error_text}")
    if status in RUNNING_PREDICTION_STATUSES:
        return _record_progress(pic, prediction)
    return _respond(200, f"status {status} needs no action")
