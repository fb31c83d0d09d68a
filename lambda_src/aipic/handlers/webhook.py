"""webhook: Replicate's signed callbacks ("start", "logs", "completed"), behind an API
Gateway HTTP API.

Answers: 401 unless the signature verifies (checked before anything in the body is
trusted), 400 for a request it cannot use (too large, not a JSON object, nested too
deeply, no prediction id or status); past that, the answer table in
:mod:`aipic.decisions.webhook` decides (404, 409, 500 for a transient transfer failure,
200 otherwise) and this module applies it through the adapters.

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
from typing import Any, cast

from aipic.clients import s3_client
from aipic.decisions import webhook as decide
from aipic.decisions.webhook import MAX_BODY_BYTES, MalformedWebhookError, parse_prediction
from aipic.events import HttpApiEvent
from aipic.image_transfer import (
    ImagePolicy,
    ImageRejectedError,
    ImageTransferError,
    store_image,
)
from aipic.observability import LambdaContext, logger
from aipic.parameters import ParameterUnavailableError, read_secure_parameter
from aipic.pics import Pic, StoreClaim, pics_repository
from aipic.settings import WebhookSettings, webhook_settings
from aipic.signature import InvalidSecretError, InvalidSignatureError, verify_signature

# The lease outlives this invocation by this much, so it never lapses while we store.
STORE_LEASE_MARGIN_SECONDS = 2

Response = dict[str, Any]


def _respond(status_code: int, message: str, **details: str) -> Response:
    return {
        "statusCode": status_code,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"message": message, **details}),
    }


def _answer(answer: decide.Answer) -> Response:
    return _respond(answer.status, answer.message, **answer.details)


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


def _apply(
    pic: Pic,
    prediction: dict[str, Any],
    action: decide.Action,
    settings: WebhookSettings,
    context: LambdaContext,
) -> Response:
    """Carry out the answer table's ``action`` through the adapters."""
    if isinstance(action, decide.Answer):
        return _answer(action)
    if isinstance(action, decide.Fail):
        # FAILED with the user-facing reason; the detail goes to the logs only.
        logger.warning("picture failed", extra={"reason": action.reason, "detail": action.detail})
        marked = pics_repository().mark_failed(pic.id, action.reason)
        return _answer(decide.after_fail(marked, action.reason))
    if isinstance(action, decide.RecordProgress):
        recorded = pics_repository().record_progress(pic.id, prediction["id"], action.step)
        return _answer(decide.after_progress(recorded, action.step))
    if isinstance(action, decide.StoreImage):
        return _store_output(pic, prediction, action.url, settings, context)
    raise TypeError(f"no adapter applies {action!r}")  # Adopt is applied by the handler


def _image_policy(settings: WebhookSettings) -> ImagePolicy:
    return ImagePolicy(
        allowed_schemes=settings.allowed_image_url_schemes,
        host_allowlist=settings.image_host_allowlist,
        max_bytes=settings.max_image_bytes,
        deadline_seconds=settings.image_download_deadline_seconds,
        allow_loopback=settings.image_fetch_allow_loopback,
    )


def _store_output(
    pic: Pic,
    prediction: dict[str, Any],
    url: str,
    settings: WebhookSettings,
    context: LambdaContext,
) -> Response:
    pics = pics_repository()
    lease = str(uuid.uuid4())
    now = int(time.time())
    # Lambda ends this invocation at its timeout, so the lease cannot outlive a crash.
    lease_seconds = context.get_remaining_time_in_millis() // 1000 + STORE_LEASE_MARGIN_SECONDS
    claim = pics.claim_image_store(pic.id, prediction["id"], lease, now, now + lease_seconds)
    answer = decide.after_store_claim(claim)
    if answer is not None:
        if claim is StoreClaim.BUSY:
            logger.info("another delivery is storing the image")
        return _answer(answer)
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
        rejected = decide.after_rejected_image(error.reason, str(error))
        return _apply(pic, prediction, rejected, settings, context)
    except ImageTransferError as error:
        pics.release_image_store(pic.id, lease)
        failures = pics.record_webhook_attempt(pic.id, prediction["id"])
        action = decide.after_transient_failure(failures, error.reason, str(error))
        if isinstance(action, decide.Answer) and action.status == 500:
            logger.warning(
                "image transfer failed; Replicate will retry", extra={"detail": str(error)}
            )
        return _apply(pic, prediction, action, settings, context)
    pics.record_image_stored(pic.id, lease, stored.key)
    if stored.newly_stored:
        logger.info("image stored", extra={"key": stored.key, "bytes": stored.size})
    else:
        logger.info("image was already stored", extra={"key": stored.key})
    return _answer(decide.after_stored(stored.key, stored.newly_stored))


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
        prediction = parse_prediction(body)
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
    pics = pics_repository()
    pic = pics.get(pic_id)
    action = decide.on_delivery(pic, prediction)
    if isinstance(action, decide.Adopt) and pic is not None:
        if pics.adopt_prediction(pic.id, action.prediction_id):
            logger.info("prediction adopted from its webhook")
            pic = decide.adopted(pic, action.prediction_id)
        else:
            pic = pics.get(pic.id)  # generate (or the sweeper) wrote first: decide on that
        action = decide.on_delivery(pic, prediction, may_adopt=False)
    if isinstance(action, decide.Answer):
        if action.status == 409:
            logger.warning("prediction id does not match the picture's")
        return _answer(action)
    assert pic is not None  # for mypy: without a picture the table only answers (404)
    return _apply(pic, prediction, action, settings, context)
