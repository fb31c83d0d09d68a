"""Runs pictures through the real resolvers and handlers against moto's server.

createAIPic resolvers (Node, ``AppSyncExecutor``) → generate (a thread, as AppSync's
asynchronous ``Event`` invoke) → Replicate stand-in → signed webhook through the HTTP API
stand-in → webhook handler streams the PNG into moto's bucket → the S3 ObjectCreated
notification (built here, as S3 would send it) → on_upload → the table's stream (read from
moto) → publish → AppSync stand-in → each user's subscriber, filtered by the ``subscribe``
resolver's subscription filter.

moto would run Lambda triggers in Docker, so the event pump here delivers the S3 and stream
events itself, in the shapes AWS sends.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from local.appsync.standin import PublishedEvent

import boto3

from local.demo.deadline import Deadline
from local.demo.errors import PictureOutcomeError
from local.demo.progress import Progress
from local.demo.terraform import LocalEnvironment

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FINAL_STATUSES = frozenset({"COMPLETED", "FAILED"})
PICTURE_PREFIX = "pics/"
PUMP_INTERVAL_SECONDS = 0.05
STREAM_REDELIVERIES = 3
HOPS = (
    ("resolver", "createAIPic resolvers"),
    ("generate", "generate → Replicate"),
    ("webhook", "webhook + upload"),
    ("on_upload", "on_upload"),
    ("publish", "publish"),
)


@dataclass
class Picture:
    """One prompt of one simulated user, and everything the demo saw of it."""

    user: str
    sub: str
    prompt: str
    pic_id: str | None = None
    started_status: str | None = None  # from the createAIPic answer
    statuses: list[str] = field(default_factory=list)  # as the subscriber received them
    failure_reason: str | None = None
    img_key: str | None = None
    file: Path | None = None
    file_bytes: int = 0
    started_at: float = 0.0
    finished_at: float | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def final_status(self) -> str | None:
        return self.statuses[-1] if self.statuses and self.statuses[-1] in FINAL_STATUSES else None

    @property
    def total_seconds(self) -> float | None:
        return None if self.finished_at is None else self.finished_at - self.started_at

    def as_json(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "owner": self.sub,
            "prompt": self.prompt,
            "id": self.pic_id,
            "mutationStatus": self.started_status,
            "statuses": self.statuses,
            "failureReason": self.failure_reason,
            "imgId": self.img_key,
            "file": str(self.file) if self.file else None,
            "fileBytes": self.file_bytes,
            "timings": {name: round(seconds, 4) for name, seconds in self.timings.items()},
            "totalSeconds": None if self.total_seconds is None else round(self.total_seconds, 4),
        }


@dataclass
class Subscriber:
    """A signed-in user's ``subscribe`` subscription: its filter and what it received."""

    user: str
    sub: str
    subscription_filter: dict[str, Any]
    received: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class DemoSettings:
    prompts: list[str]
    fail: bool
    output_dir: Path
    deadline: Deadline
    region: str
    moto_url: str
    replicate_api_token: str
    webhook_secret: str
    handler_log_level: str


class PictureRun:
    """Holds the stand-ins and handlers for one demo run; use as a context manager."""

    def __init__(
        self, settings: DemoSettings, environment: LocalEnvironment, progress: Progress
    ) -> None:
        self.settings = settings
        self.environment = environment
        self.progress = progress
        self.pictures = [
            Picture(user=f"user-{index}", sub=str(uuid.uuid4()), prompt=prompt)
            for index, prompt in enumerate(settings.prompts, start=1)
        ]
        self.subscribers: list[Subscriber] = []
        self.misrouted: list[str] = []
        self._lock = threading.Lock()
        self._stack = ExitStack()
        self._generate_threads: list[threading.Thread] = []
        self._generate_errors: list[str] = []
        self._seen_keys: set[str] = set()
        clients = {"endpoint_url": settings.moto_url, "region_name": settings.region}
        self._s3 = boto3.client("s3", **clients)
        self._dynamodb = boto3.client("dynamodb", **clients)
        self._streams = boto3.client("dynamodbstreams", **clients)

    # ------------------------------------------------------------ set-up and tear-down

    def __enter__(self) -> PictureRun:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def _start(self) -> None:
        # Imported only now: the environment they read is set by the caller.
        from aipic import coldstart
        from aipic.handlers import generate, on_upload, publish, webhook

        from local.appsync.executor import AppSyncExecutor
        from local.appsync.standin import AppSyncStandIn
        from local.replicate.standin import ReplicateStandIn
        from local.runtime.events import DynamoDBStreamReader, lambda_context
        from local.runtime.http_api import HttpApiGateway

        settings = self.settings
        self._lambda_context = lambda_context
        # The context is local.runtime.events.LambdaContext, duck-typed like Lambda's.
        self._handlers: dict[str, Callable[..., Any]] = {
            "generate": generate.handler,
            "on_upload": on_upload.handler,
        }
        self._publish: Callable[..., Any] = publish.handler
        self.replicate = self._stack.enter_context(
            ReplicateStandIn(
                settings.webhook_secret,
                outcome="failed" if settings.fail else "succeeded",
                error="NSFW content detected. Try running it again, or try a different prompt.",
                expected_token=settings.replicate_api_token,
            )
        )
        self.appsync = self._stack.enter_context(AppSyncStandIn(region=settings.region))
        self.gateway = self._stack.enter_context(
            HttpApiGateway(self._timed_webhook(webhook.handler), function_name="aipic-webhook")
        )
        self._stack.callback(self._join_generate_threads)
        self._stack.callback(self.replicate.wait_for_webhooks, 10.0)
        os.environ.update(
            {
                "REPLICATE_API_URL": self.replicate.base_url,
                "IMAGE_HOST_ALLOWLIST": self.replicate.image_host,
                "WEBHOOK_URL": self.gateway.webhook_url,
                "APPSYNC_GRAPHQL_URL": self.appsync.url,
            }
        )
        coldstart.reset()  # every handler starts cold with the environment above
        self.progress.step(
            f"stand-ins: Replicate {self.replicate.base_url}, webhook HTTP API "
            f"{self.gateway.webhook_url}, AppSync {self.appsync.url}"
        )
        self.executor = self._stack.enter_context(
            AppSyncExecutor(
                self._dynamodb, self.environment.table_name, lambda_invoker=self._invoke_lambda
            )
        )
        self._stream = DynamoDBStreamReader(
            self._streams, self.environment.table_stream_arn, settings.region
        )
        self.appsync.subscribe(self._deliver_to_subscribers)

    # ------------------------------------------------------------ timing helpers

    def _picture(self, pic_id: str | None) -> Picture | None:
        return next((p for p in self.pictures if pic_id and p.pic_id == pic_id), None)

    @contextmanager
    def _timed(self, hop: str, *pic_ids: str | None) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            elapsed = time.monotonic() - started
            with self._lock:
                for pic_id in set(pic_ids):
                    picture = self._picture(pic_id)
                    if picture is not None:
                        picture.timings[hop] = picture.timings.get(hop, 0.0) + elapsed

    def _timed_webhook(
        self, handler: Callable[[dict[str, Any], Any], dict[str, Any]]
    ) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        def run(event: dict[str, Any], context: object) -> dict[str, Any]:
            pic_id = (event.get("queryStringParameters") or {}).get("id")
            with self._timed("webhook", pic_id):
                return handler(event, context)

        return run

    # ------------------------------------------------------------ Lambda invocations

    def _invoke_lambda(self, payload: object, invocation_type: str) -> object:
        """The createAIPic pipeline's Lambda data source: the generate function."""
        if invocation_type != "Event":
            return self._run_generate(cast(dict[str, Any], payload))
        thread = threading.Thread(
            target=self._run_generate, args=(payload,), name="generate", daemon=True
        )
        self._generate_threads.append(thread)
        thread.start()
        return None

    def _run_generate(self, payload: dict[str, Any]) -> object:
        try:
            with self._timed("generate", payload.get("id")):
                return self._handlers["generate"](payload, self._lambda_context("aipic-generate"))
        except Exception as error:  # noqa: BLE001 - an async invoke's failure goes to its destination
            with self._lock:
                self._generate_errors.append(f"generate failed for {payload.get('id')}: {error}")
            return None

    def _join_generate_threads(self) -> None:
        for thread in self._generate_threads:
            thread.join(timeout=max(1.0, self.settings.deadline.remaining()))

    # ------------------------------------------------------------ subscriptions

    def subscribe_users(self) -> None:
        """Each user runs the ``subscribe`` resolver; AppSync keeps its filter."""
        from local.appsync.executor import cognito_identity

        for picture in self.pictures:
            answer = self.executor.execute("subscribe", {}, cognito_identity(picture.sub))
            answer.unwrap()
            if answer.subscription_filter is None:
                raise PictureOutcomeError("the subscribe resolver set no subscription filter")
            self.subscribers.append(
                Subscriber(picture.user, picture.sub, answer.subscription_filter)
            )

    def _deliver_to_subscribers(self, event: PublishedEvent) -> None:
        from local.appsync.executor import subscription_filter_matches

        fields = {"owner": event.owner, "data": json.dumps(event.data)}
        reached = [
            s
            for s in self.subscribers
            if subscription_filter_matches(s.subscription_filter, fields)
        ]
        data = event.data
        with self._lock:
            if len(reached) != 1 or reached[0].sub != data.get("owner"):
                self.misrouted.append(
                    f"event for picture {data.get('id')} reached "
                    f"{[s.user for s in reached] or 'no subscriber'}"
                )
            for subscriber in reached:
                subscriber.received.append(data)
            picture = self._picture(data.get("id"))
            if picture is not None and picture.sub == event.owner:
                picture.statuses.append(str(data.get("completionStatus")))
                picture.failure_reason = data.get("failureReason") or picture.failure_reason
                picture.img_key = data.get("imgId") or picture.img_key
                if picture.final_status is not None:
                    picture.finished_at = time.monotonic()
        for subscriber in reached:
            reason = f" — {data['failureReason']}" if data.get("failureReason") else ""
            self.progress.step(
                f"{subscriber.user}'s subscription: {data.get('completionStatus')} "
                f"{data.get('id')}{reason}"
            )

    # ------------------------------------------------------------ the run

    def create_pictures(self) -> None:
        """Every user calls createAIPic at once (one thread each)."""
        threads = [
            threading.Thread(target=self._create, args=(picture,), name=picture.user, daemon=True)
            for picture in self.pictures
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(1.0, self.settings.deadline.remaining()))
        missing = [p.user for p in self.pictures if p.pic_id is None]
        if missing:
            raise PictureOutcomeError(f"createAIPic gave no picture for {', '.join(missing)}")

    def _create(self, picture: Picture) -> None:
        from local.appsync.executor import AppSyncError, cognito_identity

        picture.started_at = time.monotonic()
        identity = cognito_identity(picture.sub, picture.user)
        started = time.monotonic()
        answer = self.executor.execute("createAIPic", {"prompt": picture.prompt}, identity)
        elapsed = time.monotonic() - started
        try:
            pic = answer.unwrap()
        except AppSyncError as error:
            self.progress.step(f"{picture.user}: createAIPic failed: {error}")
            return
        with self._lock:
            picture.pic_id = str(pic["id"])
            picture.started_status = str(pic.get("completionStatus"))
            picture.timings["resolver"] = elapsed
        self.progress.step(
            f"{picture.user}: createAIPic({picture.prompt!r}) → {picture.pic_id} "
            f"{picture.started_status}"
        )

    def pump_events(self) -> None:
        """Deliver S3 notifications and stream batches until every picture has ended."""
        redeliver: list[dict[str, Any]] = []
        attempts: dict[str, int] = {}
        while True:
            with self._lock:
                if self._generate_errors:
                    raise PictureOutcomeError("; ".join(self._generate_errors))
                if all(p.final_status for p in self.pictures):
                    return
            unfinished = [p.user for p in self.pictures if not p.final_status]
            self.settings.deadline.check(f"waiting for the pictures of {', '.join(unfinished)}")
            self._deliver_uploads()
            redeliver = self._deliver_stream(redeliver, attempts)
            time.sleep(PUMP_INTERVAL_SECONDS)

    def _deliver_uploads(self) -> None:
        """S3 → on_upload: one ObjectCreated notification per new object under pics/."""
        from local.runtime.events import s3_object_created_record

        bucket = self.environment.bucket_name
        listing = self._s3.list_objects_v2(Bucket=bucket, Prefix=PICTURE_PREFIX)
        for entry in listing.get("Contents", []):
            key = entry["Key"]
            if key in self._seen_keys:
                continue
            self._seen_keys.add(key)
            etag = str(entry["ETag"])
            record = s3_object_created_record(
                bucket=bucket,
                key=key,
                size=int(entry["Size"]),
                etag=etag,
                region=self.settings.region,
                # A multipart upload's ETag is "<md5 of the parts' md5s>-<part count>".
                event_name="ObjectCreated:CompleteMultipartUpload"
                if "-" in etag
                else "ObjectCreated:Put",
            )
            pic_id = Path(key).stem
            with self._timed("on_upload", pic_id):
                result = self._handlers["on_upload"](
                    {"Records": [record]}, self._lambda_context("aipic-on-upload")
                )
            self.progress.step(f"S3 notification → on_upload({key}): {result}")

    def _deliver_stream(
        self, redeliver: list[dict[str, Any]], attempts: dict[str, int]
    ) -> list[dict[str, Any]]:
        """Stream → publish; records it reports as failed are delivered again (bounded)."""
        records = redeliver + self._stream.read_records()
        if not records:
            return []
        pic_ids = [str(r["dynamodb"].get("Keys", {}).get("id", {}).get("S", "")) for r in records]
        with self._timed("publish", *pic_ids):
            response = self._publish({"Records": records}, self._lambda_context("aipic-publish"))
        failed_ids = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        failed = [r for r in records if r["dynamodb"].get("SequenceNumber") in failed_ids]
        for record in failed:
            sequence = record["dynamodb"]["SequenceNumber"]
            attempts[sequence] = attempts.get(sequence, 0) + 1
            if attempts[sequence] > STREAM_REDELIVERIES:
                raise PictureOutcomeError(
                    f"publish kept failing for stream record {sequence} "
                    f"(AppSync stand-in rejected: {self.appsync.rejected[-1:]})"
                )
        return failed

    # ------------------------------------------------------------ results

    def download_pictures(self) -> None:
        """Fetch each COMPLETED picture from moto's bucket into the output directory."""
        self.settings.output_dir.mkdir(parents=True, exist_ok=True)
        for picture in self.pictures:
            if picture.final_status != "COMPLETED" or not picture.img_key:
                continue
            body = self._s3.get_object(Bucket=self.environment.bucket_name, Key=picture.img_key)[
                "Body"
            ].read()
            if not body.startswith(PNG_SIGNATURE):
                raise PictureOutcomeError(f"{picture.img_key} in the bucket is not a PNG")
            target = self.settings.output_dir / f"{picture.pic_id}.png"
            target.write_bytes(body)
            picture.file, picture.file_bytes = target, len(body)

    def check_outcome(self) -> None:
        """Every picture ended as asked (COMPLETED, or FAILED with a reason under --fail)."""
        expected = "FAILED" if self.settings.fail else "COMPLETED"
        problems = [
            f"{p.user}'s picture {p.pic_id} ended {p.final_status}"
            + (f": {p.failure_reason}" if p.failure_reason else "")
            for p in self.pictures
            if p.final_status != expected
        ]
        if self.settings.fail:
            problems += [
                f"{p.user}'s picture {p.pic_id} FAILED without a reason"
                for p in self.pictures
                if p.final_status == "FAILED" and not p.failure_reason
            ]
        problems += self.misrouted
        if problems:
            raise PictureOutcomeError(
                f"expected every picture {expected}:\n  " + "\n  ".join(problems)
            )

    def as_json(self) -> dict[str, Any]:
        return {
            "fail_mode": self.settings.fail,
            "pictures": [p.as_json() for p in self.pictures],
            "subscribers": [
                {"user": s.user, "owner": s.sub, "received": s.received} for s in self.subscribers
            ],
            "misrouted": self.misrouted,
        }


def handler_environment(settings: DemoSettings, environment: LocalEnvironment) -> dict[str, str]:
    """What the Lambda functions would get from modules/pipeline (lambda_src/README.md),
    pointed at moto; the stand-ins' URLs are added once they listen."""
    from local.replicate.standin import MODEL_VERSION

    return {
        "AWS_ENDPOINT_URL": settings.moto_url,
        "AWS_REGION": settings.region,
        "AWS_DEFAULT_REGION": settings.region,
        "PICS_TABLE_NAME": environment.table_name,
        "PICS_BUCKET_NAME": environment.bucket_name,
        "REPLICATE_API_TOKEN_PARAMETER": environment.replicate_token_parameter_name,
        "WEBHOOK_SECRET_PARAMETER": environment.webhook_secret_parameter_name,
        "REPLICATE_MODEL": MODEL_VERSION,
        "ALLOWED_IMAGE_URL_SCHEMES": "https,http",
        "IMAGE_FETCH_ALLOW_LOOPBACK": "true",
        "POWERTOOLS_SERVICE_NAME": "aipic-local",
        "POWERTOOLS_LOG_LEVEL": settings.handler_log_level,
    }
