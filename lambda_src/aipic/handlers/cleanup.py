"""cleanup: what a cancelled or deleted picture still needs outside the table.

Consumes the pics stream (NEW_AND_OLD_IMAGES) through a filter that passes only two kinds
of record (modules/pipeline/triggers.tf):

- a picture its owner CANCELED (cancelAIPic's conditional write) that has a prediction:
  the prediction is cancelled at Replicate, so the run and its billing stop. A picture
  cancelled before it had one needs nothing here: generate skips it, or cancels the
  prediction itself when Replicate's answer finds the picture final.
- a deleted picture (deleteAIPic): every version and delete marker of its objects
  (``pics/<owner>/<id>.<ext>``, a versioned bucket) is deleted; were it not final, its
  prediction is cancelled too.

The cancel is here rather than in the GraphQL request (APPSYNC_JS cannot call Replicate):
the mutation answers at once whatever Replicate's state, and a failure is retried. A
record whose work fails is reported in ``batchItemFailures``; the mapping retries it a
bounded number of times, then parks it in the function's failure queue. Both jobs are
idempotent (a cancelled prediction stays cancelled, deleted versions stay deleted), so
retries and duplicate records are harmless.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer

from aipic.clients import http_session, s3_client
from aipic.errors import TransientError
from aipic.observability import LambdaContext, logger
from aipic.parameters import read_secure_parameter
from aipic.pics import FINAL_STATUSES, Status
from aipic.replicate import CANCEL_TIMEOUT_SECONDS, ReplicateClient
from aipic.settings import CleanupSettings, cleanup_settings

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

# DeleteObjects takes at most this many keys per request.
MAX_KEYS_PER_DELETE = 1000

_deserializer = TypeDeserializer()


class CleanupError(TransientError):
    """The record's work did not finish; the stream retries it."""


def _image(change: Mapping[str, Any], name: str) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in change.get(name, {}).items()}


def _cancel_prediction(settings: CleanupSettings, prediction_id: str) -> None:
    token = read_secure_parameter(settings.token_parameter, settings.parameters_max_age_seconds)
    ReplicateClient(
        api_url=settings.api_url,
        token=token,
        timeout_seconds=CANCEL_TIMEOUT_SECONDS,
        max_attempts=1,
        session=http_session(),
    ).cancel_prediction(prediction_id)
    logger.info("prediction cancelled", extra={"prediction_id": prediction_id})


def _object_versions(bucket: str, prefix: str) -> Iterator[ObjectIdentifierTypeDef]:
    """Every version and delete marker under ``prefix``."""
    pages = s3_client().get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix)
    for page in pages:
        for entry in (*page.get("Versions", []), *page.get("DeleteMarkers", [])):
            yield {"Key": entry["Key"], "VersionId": entry["VersionId"]}


def delete_picture_objects(bucket: str, owner: str, pic_id: str) -> int:
    """Delete every version of the picture's objects; the number deleted."""
    versions = list(_object_versions(bucket, f"pics/{owner}/{pic_id}."))
    for start in range(0, len(versions), MAX_KEYS_PER_DELETE):
        batch = versions[start : start + MAX_KEYS_PER_DELETE]
        response = s3_client().delete_objects(
            Bucket=bucket, Delete={"Objects": batch, "Quiet": True}
        )
        if response.get("Errors"):
            raise CleanupError(
                f"S3 kept {len(response['Errors'])} versions: {response['Errors'][:3]}"
            )
    return len(versions)


def clean_up(record: Mapping[str, Any], settings: CleanupSettings) -> str:
    """Do what the record asks for; what was done, for the log."""
    change = record.get("dynamodb") or {}
    if record.get("eventName") == "REMOVE":
        old = _image(change, "OldImage")
        if not old.get("owner") or "completionStatus" not in old:
            return "not a picture"
        if old["completionStatus"] not in FINAL_STATUSES and old.get("predictionId"):
            _cancel_prediction(settings, str(old["predictionId"]))
        deleted = delete_picture_objects(settings.bucket_name, str(old["owner"]), str(old["id"]))
        logger.info(
            "deleted picture's objects removed", extra={"pic_id": old["id"], "versions": deleted}
        )
        return "objects deleted"
    new, old = _image(change, "NewImage"), _image(change, "OldImage")
    was_running = old.get("completionStatus") in (Status.STARTED, Status.PROCESSING)
    if new.get("completionStatus") == Status.CANCELED and was_running and new.get("predictionId"):
        _cancel_prediction(settings, str(new["predictionId"]))
        return "prediction cancelled"
    return "nothing to do"


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, list[dict[str, str]]]:
    settings = cleanup_settings()
    failures: list[dict[str, str]] = []
    for record in event.get("Records", []):
        sequence = str((record.get("dynamodb") or {}).get("SequenceNumber", ""))
        try:
            clean_up(record, settings)
        except Exception:  # noqa: BLE001 - any failure: only this record is retried
            logger.exception("cleanup failed; the record is retried", extra={"sequence": sequence})
            failures.append({"itemIdentifier": sequence})
    return {"batchItemFailures": failures}
