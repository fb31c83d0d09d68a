"""A bounded soak of the whole local stack through real clients, with faults injected.

    python -m local.soak                               # defaults for a 2-core machine
    python -m local.soak --users 8 --pictures 4 --duration 400
    python -m local.soak --series 1,8,32               # the scaling table and plot

U users sign up (Cognito), each subscribes over AppSync's real-time WebSocket and creates
P pictures at once over gql HTTP, all users concurrently. While they run, each fault of
``FAULTS`` is aimed at a probe picture of its own (created by a probe user of its own,
its prompt marked, armed where the fault really happens: the Replicate stand-in, the emulator's S3,
the AppSync endpoint, the function runtime), one after the other. The run stops by itself:
creates end after P per user, the wait for final statuses after ``--duration`` seconds.

At the end the invariants are checked from the emulator's state and what each client
received (``check_invariants``); the run fails (exit 1) if any is broken. The report is
printed and written as JSON and a markdown table (``--out``).

Lost webhooks end only through the sweeper at the picture's deadline: the local root sets
``picture_deadline_minutes = 2`` and ``sweep_interval_minutes = 1``, and the runtime fires
the rule on a scaled clock (``SWEEP_CLOCK_SCALE``: every 2 s), so a soak with faults takes
a little over two minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from aipic.contract import QUOTA
from botocore.client import BaseClient

from local.client import ClientConfig, GraphQLResponseError, PicEvent, PictureClient, SignedInUser
from local.replicate.standin import pic_id_of_webhook, render_png
from local.runtime import RuntimeSettings
from local.stack import REPO_ROOT, LocalStack

FINAL_STATUSES = frozenset({"COMPLETED", "FAILED", "CANCELED"})
NOT_FINAL = frozenset({"STARTED", "PROCESSING"})
PUBLISHED = frozenset({"PROCESSING"}) | FINAL_STATUSES
# What the local root applies for a soak (terraform/environments/local).
DEADLINE_MINUTES = 2
SWEEP_INTERVAL_MINUTES = 1
# rate(1 minute) fires every 60 / 30 = 2 s.
SWEEP_CLOCK_SCALE = 30.0
# A picture is final at most deadline + one sweep interval after its creation, plus the
# scaled sweep period and the stream/publish hop.
FINAL_WITHIN_SECONDS = DEADLINE_MINUTES * 60 + 60 / SWEEP_CLOCK_SCALE + 15
PASSWORD = "Soak-passw0rd-long!"  # noqa: S105 - a throw-away local user's password
MARKER = "[soak-fault]"


def marker_of(fault: str) -> str:
    """What a probe's prompt carries: the stand-in's faults apply to it alone."""
    return f"[soak-fault:{fault}]"


# The functions' boto3 clients try 4 times (3 retries): that many failed PutObjects make
# one webhook delivery fail.
S3_FAILURES_PER_DELIVERY = 4
# Longer than generate's crash, its 0.2 s asynchronous retry and that retry's run.
GENERATE_CRASH_WEBHOOK_DELAY_SECONDS = 4.0
# Over the quota by this many (the per-user burst), over the ceiling by this many.
BURST_EXCESS = 2


def _user_counter_id(owner: str, day: str) -> str:
    """The id of a user's daily quota counter (the contract's format, enforceQuota.js)."""
    return str(QUOTA["user_key"]).format(owner=owner, day=day)


def _global_counter_id(day: str) -> str:
    """The id of the daily counter for all users (enforceGlobalCeiling.js)."""
    return str(QUOTA["global_key"]).format(day=day)


FAULTS: tuple[str, ...] = (
    "replicate_429",  # retried by generate, then the prediction is created
    "replicate_503",  # same
    "replicate_500",  # in doubt, not retried: no prediction, the sweeper fails it
    "replicate_timeout",  # in doubt: the prediction exists, its webhook adopts it
    "webhook_lost",  # Replicate never sends it: the sweeper fails the picture
    "webhook_twice_out_of_order",  # two racing copies, then a stale "processing"
    "image_cut_mid_stream",  # webhook 500, Replicate retries, stored on the retry
    "s3_put_failing",  # PutObject fails past the SDK's retries: webhook 500, retried
    "publish_failing",  # the publish mutation fails once for the picture: record retried
    "generate_crash",  # worker killed while generate waits on Replicate: Lambda retries
    "webhook_crash",  # worker killed mid-delivery: Replicate retries (lease held)
    "quota_burst",  # one user creates quota + 2 at once: 2 refused
    "ceiling_burst",  # the day's ceiling nearly used: 2 creates refused
)


# ------------------------------------------------------------------ what the clients saw


@dataclass
class PictureRun:
    pic_id: str
    owner: str
    prompt: str
    created_at: float  # monotonic, when createAIPic answered
    create_latency: float
    fault: str | None = None
    events: list[tuple[float, str]] = field(default_factory=list)  # (monotonic, status)

    @property
    def final_event(self) -> tuple[float, str] | None:
        return next(((t, s) for t, s in self.events if s in FINAL_STATUSES), None)


@dataclass
class UserRun:
    user: SignedInUser
    pictures: dict[str, PictureRun] = field(default_factory=dict)
    refusals: list[str] = field(default_factory=list)  # error types of refused creates
    foreign_events: list[dict[str, Any]] = field(default_factory=list)
    unknown_events: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class SoakConfig:
    users: int = 4
    pictures: int = 3
    duration_seconds: float = 300.0
    faults: tuple[str, ...] = FAULTS
    label: str = ""


# ------------------------------------------------------------------ the stack


def soak_stack(work_dir: Path, *, pictures: int, progress: Callable[[str], None]) -> LocalStack:
    """The local stack as a soak needs it: the sweep on a scaled clock, a per-user quota a
    burst can exceed, a ceiling far above what the soak creates (its own burst brings the
    day's count near it first)."""
    return LocalStack(
        work_dir=work_dir,
        runtime_settings=RuntimeSettings(schedule_clock_scale=SWEEP_CLOCK_SCALE),
        terraform_variables={
            "daily_picture_quota": max(pictures, 3),
            "daily_picture_ceiling": 1_000_000,
            "picture_deadline_minutes": DEADLINE_MINUTES,
            "sweep_interval_minutes": SWEEP_INTERVAL_MINUTES,
        },
        # Until a probe sets its own marker, no prompt carries this one: load is untouched.
        replicate_options={"fault_prompt_marker": MARKER},
        progress=progress,
    )


@dataclass
class StackFacts:
    """What the soak reads once from the started stack."""

    table: str
    bucket: str
    quota: int
    ceiling: int
    generate: str
    webhook: str

    @classmethod
    def of(cls, stack: LocalStack) -> StackFacts:
        names = stack.runtime.config.functions
        generate = next(n for n in names if n.endswith("-generate"))
        webhook = next(n for n in names if n.endswith("-webhook"))
        env = names[webhook].environment
        variables = stack.terraform_variables
        return cls(
            table=env["PICS_TABLE_NAME"],
            bucket=env["PICS_BUCKET_NAME"],
            quota=int(str(variables.get("daily_picture_quota", 25))),
            ceiling=int(str(variables.get("daily_picture_ceiling", 100))),
            generate=generate,
            webhook=webhook,
        )


# ------------------------------------------------------------------ running


class Soak:
    def __init__(self, stack: LocalStack, config: SoakConfig) -> None:
        self.stack = stack
        self.config = config
        self.facts = StackFacts.of(stack)
        self.client = PictureClient(ClientConfig.from_outputs(stack.client_outputs()))
        self.dynamodb = stack.aws_client("dynamodb")
        self.users: list[UserRun] = []
        self.probes: dict[str, UserRun] = {}  # fault → the user its probe pictures are of
        self.fault_log: list[dict[str, Any]] = []
        self.ceiling_bump = 0
        self._run_id = secrets.token_hex(3)
        self.global_before = 0
        self.started = self.finished = 0.0
        self._lock = threading.Lock()

    # -- users

    def _sign_up(self, name: str) -> UserRun:
        email = f"{name}-{self._run_id}@example.com"
        return UserRun(self.client.sign_up(email, PASSWORD))

    def _create(self, run: UserRun, prompt: str, fault: str | None = None) -> PictureRun | None:
        started = time.monotonic()
        try:
            pic = self.client.create(run.user, prompt)
        except GraphQLResponseError as error:
            with self._lock:
                run.refusals.extend(error.error_types)
            return None
        except Exception as error:  # noqa: BLE001 - recorded: the invariants report it
            with self._lock:
                run.errors.append(f"createAIPic: {error}")
            return None
        answered = time.monotonic()
        picture = PictureRun(
            str(pic["id"]), str(pic["owner"]), prompt, answered, answered - started, fault
        )
        with self._lock:
            run.pictures[picture.pic_id] = picture
        return picture

    async def _listen(
        self, run: UserRun, events: AsyncIterator[PicEvent], stop: asyncio.Event
    ) -> None:
        while not stop.is_set():
            getter = asyncio.ensure_future(anext(events))
            stopper = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                stopper.cancel()
                return
            stopper.cancel()
            event: PicEvent = getter.result()
            self._receive(run, event)

    def _receive(self, run: UserRun, event: PicEvent) -> None:
        now = time.monotonic()
        pic_id = str(event.pic.get("id"))
        with self._lock:
            if event.owner != run.user.sub or event.pic.get("owner") != run.user.sub:
                run.foreign_events.append({"owner": event.owner, **event.pic})
                return
            picture = run.pictures.get(pic_id)
            if picture is None:
                # An event can beat createAIPic's answer: keep it for a moment.
                run.unknown_events.append({"at": now, **event.pic})
                return
            picture.events.append((now, event.status))

    def _adopt_early_events(self, run: UserRun) -> None:
        with self._lock:
            early, run.unknown_events = run.unknown_events, []
            for pic in early:
                picture = run.pictures.get(str(pic["id"]))
                if picture is None:
                    run.unknown_events.append(pic)
                    continue
                picture.events.append((float(pic["at"]), str(pic["completionStatus"])))
                picture.events.sort()

    def _all_final(self) -> bool:
        with self._lock:
            runs = self.all_runs()
            return all(p.final_event is not None for r in runs for p in r.pictures.values())

    async def _user(self, run: UserRun, index: int, stop: asyncio.Event) -> None:
        try:
            async with self.client.subscription(run.user) as events:
                listener = asyncio.create_task(self._listen(run, events, stop))
                prompts = [
                    f"soak {self._run_id} user {index} picture {n}: a lighthouse at dawn"
                    for n in range(self.config.pictures)
                ]
                await asyncio.gather(
                    *(asyncio.to_thread(self._create, run, prompt) for prompt in prompts)
                )
                await listener
        except Exception as error:  # noqa: BLE001 - recorded: the invariants report it
            run.errors.append(f"subscription: {error!r}")

    def all_runs(self) -> list[UserRun]:
        return [*self.users, *self.probes.values()]

    async def _probes(self, stop: asyncio.Event) -> None:
        """Every probe user subscribed, then the faults injected one after the other."""
        async with AsyncExitStack() as subscriptions:
            listeners = []
            for fault, run in self.probes.items():
                try:
                    events = await subscriptions.enter_async_context(
                        self.client.subscription(run.user)
                    )
                except Exception as error:  # noqa: BLE001 - recorded: the invariants report it
                    run.errors.append(f"probe subscription: {error!r}")
                    self._log_fault(fault, injected=False, reason="not subscribed")
                    continue
                listeners.append(asyncio.create_task(self._listen(run, events, stop)))
            for fault, run in self.probes.items():
                if not run.errors:
                    await asyncio.to_thread(self._inject, run, fault)
            await asyncio.gather(*listeners, return_exceptions=True)

    # -- faults, each aimed at a probe picture of its own

    def _log_fault(self, fault: str, **details: Any) -> None:  # noqa: ANN401 - JSON values
        with self._lock:
            self.fault_log.append({"fault": fault, **details})

    def _probe_prompt(self, fault: str, n: int = 0) -> str:
        return f"soak {self._run_id} {marker_of(fault)} {n}: a lighthouse in a storm"

    def _wait(self, condition: Callable[[], bool], timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.1)
        return False

    def _inject(self, run: UserRun, fault: str) -> None:
        replicate = self.stack.replicate
        prompt = self._probe_prompt(fault)
        faults_before = len(replicate.faults)
        webhook_delay = replicate.webhook_delay
        # The stand-in's faults apply to this probe's prompts only, so a retry of an
        # earlier probe never meets the fault armed for the next one.
        replicate.fault_prompt_marker = marker_of(fault)
        if fault == "quota_burst":
            self._quota_burst(run)
            return
        if fault == "ceiling_burst":
            # The day's count is raised near the ceiling: only once the load has created.
            self._wait(self._creates_done, timeout=120)
            self._ceiling_burst(run)
            return
        if fault == "replicate_429":
            replicate.prediction_failures.append(429)
        elif fault == "replicate_503":
            replicate.prediction_failures.append(503)
        elif fault == "replicate_500":
            replicate.prediction_failures.append(500)
        elif fault == "replicate_timeout":
            # Above generate's 10 s request timeout.
            replicate.prediction_delays.append(11.0)
        elif fault == "webhook_lost":
            replicate.drop_webhooks += 1
        elif fault == "webhook_twice_out_of_order":
            replicate.duplicate_webhooks += 1
        elif fault == "image_cut_mid_stream":
            replicate.cut_image_streams += 1
        elif fault == "generate_crash":
            # generate waits 2 s on Replicate's answer and is killed 1 s into it; the
            # prediction exists, and its webhook comes after Lambda's retry (as a real model
            # run takes seconds), so only generate's claim stops a second prediction.
            replicate.prediction_delays.append(2.0)
            replicate.webhook_delay = GENERATE_CRASH_WEBHOOK_DELAY_SECONDS
            self.stack.runtime.crashes.arm(
                self.facts.generate, 1, after_seconds=1.0, payload_contains=marker_of(fault)
            )
        picture = self._create(run, prompt, fault)
        if picture is None:
            self._log_fault(fault, injected=False, reason="createAIPic refused")
            return
        if fault == "s3_put_failing":
            self._arm_s3(picture.pic_id)
        elif fault == "publish_failing":
            self.stack.endpoint.faults.fail("publish", 1, pic_ids={picture.pic_id})
        elif fault == "webhook_crash":
            # The final webhook's delivery (it takes the store lease): only that one is
            # retried by Replicate, until about a minute after the prediction completed.
            self.stack.runtime.crashes.arm(
                self.facts.webhook,
                1,
                after_seconds=0.02,
                payload_contains=(picture.pic_id, "succeeded"),
            )
        injected = self._wait(lambda: self._injected(fault, picture.pic_id, faults_before))
        if fault == "generate_crash":
            self._wait(lambda: picture.pic_id in self._predicted_pictures(), timeout=10)
            replicate.webhook_delay = webhook_delay
        self._log_fault(fault, pic_id=picture.pic_id, injected=injected)

    def _injected(self, fault: str, pic_id: str, faults_before: int) -> bool:
        if fault == "s3_put_failing":
            state = self._s3_faults()
            return any(pic_id in f["key"] for f in state["injected"])
        if fault == "publish_failing":
            return any(f.pic_id == pic_id for f in self.stack.endpoint.faults.injected)
        if fault in ("generate_crash", "webhook_crash"):
            name = self.facts.generate if fault == "generate_crash" else self.facts.webhook
            return any(c.function_name == name for c in self.stack.runtime.crashes.injected)
        return any(f.pic_id == pic_id for f in self.stack.replicate.faults[faults_before:])

    def _predicted_pictures(self) -> set[str | None]:
        predictions = list(self.stack.replicate.predictions.values())
        return {pic_id_of_webhook(p.get("webhook")) for p in predictions}

    def _faults_url(self) -> str:
        return f"{self.stack.emulator.url}/_local/faults"

    def _arm_s3(self, pic_id: str) -> None:
        request: dict[str, Any] = {
            "s3": {
                "count": S3_FAILURES_PER_DELIVERY,
                "operations": ["PutObject", "UploadPart"],
                "key_contains": pic_id,
            }
        }
        requests.post(self._faults_url(), json=request, timeout=10).raise_for_status()

    def _s3_faults(self) -> dict[str, Any]:
        answer = requests.get(self._faults_url(), timeout=10)
        answer.raise_for_status()
        return dict(answer.json()["s3"])

    def _quota_burst(self, run: UserRun) -> None:
        attempts = self.facts.quota + BURST_EXCESS
        threads = [
            threading.Thread(
                target=self._create, args=(run, self._probe_prompt("quota_burst", n), "quota_burst")
            )
            for n in range(attempts)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self._log_fault(
            "quota_burst",
            attempts=attempts,
            accepted=len(run.pictures),
            refused=Counter(run.refusals),
        )

    def _global_key(self) -> dict[str, Any]:
        day = time.strftime("%Y-%m-%d", time.gmtime())
        return {"id": {"S": _global_counter_id(day)}}

    def _global_count(self) -> int:
        item = self.dynamodb.get_item(
            TableName=self.facts.table, Key=self._global_key(), ConsistentRead=True
        ).get("Item", {})
        return int(item.get("count", {}).get("N", "0"))

    def _add_to_global_count(self, amount: int) -> int:
        answer = self.dynamodb.update_item(
            TableName=self.facts.table,
            Key=self._global_key(),
            UpdateExpression="ADD #count :amount",
            ExpressionAttributeNames={"#count": "count"},
            ExpressionAttributeValues={":amount": {"N": str(amount)}},
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["count"]["N"])

    def _ceiling_burst(self, run: UserRun) -> None:
        """The rest of the day's users have nearly used the ceiling (the soak adds their
        count to the global counter, and takes it back afterwards): BURST_EXCESS more
        creates than the ceiling leaves are refused."""
        count = self._global_count()
        leave = 1
        self.ceiling_bump = self.facts.ceiling - count - leave
        self._add_to_global_count(self.ceiling_bump)
        accepted_before = len(run.pictures)
        refusals_before = len(run.refusals)
        try:
            for n in range(leave + BURST_EXCESS):
                self._create(run, self._probe_prompt("ceiling_burst", n), "ceiling_burst")
        finally:
            self._add_to_global_count(-self.ceiling_bump)
        self._log_fault(
            "ceiling_burst",
            attempts=leave + BURST_EXCESS,
            accepted=len(run.pictures) - accepted_before,
            refused=Counter(run.refusals[refusals_before:]),
        )

    # -- the run

    async def _run(self) -> None:
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(self._user(run, index, stop))
            for index, run in enumerate(self.users)
        ]
        if self.probes:
            tasks.append(asyncio.create_task(self._probes(stop)))
        deadline = self.started + self.config.duration_seconds
        probing_done = False
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            if self.probes and not probing_done:
                probing_done = len({f["fault"] for f in self.fault_log}) >= len(self.config.faults)
                continue
            for run in self.all_runs():
                self._adopt_early_events(run)
            if self._creates_done() and self._all_final():
                break
        # Late duplicates have a moment to arrive before the subscriptions close.
        await asyncio.to_thread(self._settle)
        await asyncio.sleep(2.0)
        stop.set()
        await asyncio.wait(tasks, timeout=30)
        for run in self.all_runs():
            self._adopt_early_events(run)

    def _creates_done(self) -> bool:
        with self._lock:
            created = sum(len(r.pictures) + len(r.refusals) + len(r.errors) for r in self.users)
        regular = self.config.users * self.config.pictures
        return created >= regular

    def _settle(self) -> None:
        # Either may time out: the invariants then say what was left.
        with suppress(TimeoutError):
            self.stack.runtime.wait_until_idle(30)
        with suppress(TimeoutError):
            self.stack.replicate.wait_for_webhooks(timeout=15)

    def run(self) -> SoakResult:
        self.users = [self._sign_up(f"user{n}") for n in range(self.config.users)]
        self.probes = {
            fault: self._sign_up(fault.replace("_", "-")) for fault in self.config.faults
        }
        invocations_before = len(self.stack.runtime.invocations)
        predictions_before = set(self.stack.replicate.predictions)
        self.global_before = self._global_count()
        self.started = time.monotonic()
        asyncio.run(self._run())
        self.finished = time.monotonic()
        return SoakResult(self, invocations_before, predictions_before)


# ------------------------------------------------------------------ invariants and report


def _percentiles(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "n": 0}
    if len(values) == 1:
        return {"p50": values[0], "p95": values[0], "p99": values[0], "n": 1}
    cuts = statistics.quantiles(sorted(values), n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "n": len(values)}


def _scan(dynamodb: BaseClient, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    for _ in range(1000):
        page = dynamodb.scan(**request)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return items


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, typed in item.items():
        (kind, value), *_ = typed.items()
        out[name] = int(value) if kind == "N" and value.lstrip("-").isdigit() else value
    return out


def status_history(stack: LocalStack, table: str) -> dict[str, list[str]]:
    """Every picture's status changes as the table's stream recorded them (old → new)."""
    dynamodb = stack.aws_client("dynamodb")
    streams = stack.aws_client("dynamodbstreams")
    arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    history: dict[str, list[str]] = defaultdict(list)
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    for shard in shards:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for _ in range(10_000):
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            for record in page["Records"]:
                change = record["dynamodb"]
                new = change.get("NewImage", {}).get("completionStatus", {}).get("S")
                old = change.get("OldImage", {}).get("completionStatus", {}).get("S")
                pic_id = change["Keys"]["id"]["S"]
                if new in PUBLISHED and new != old and record["eventName"] == "MODIFY":
                    history[pic_id].append(new)
            iterator = page.get("NextShardIterator")
            if not iterator or not page["Records"]:
                break
    return history


def _queue_messages(stack: LocalStack) -> dict[str, list[dict[str, Any]]]:
    sqs = stack.aws_client("sqs")
    found: dict[str, list[dict[str, Any]]] = {}
    for url in sqs.list_queues().get("QueueUrls", []):
        messages: dict[str, dict[str, Any]] = {}
        for _ in range(100):
            page = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30, WaitTimeSeconds=0
            )
            batch = page.get("Messages", [])
            if not batch:
                break
            for message in batch:
                messages[message["MessageId"]] = json.loads(message["Body"])
        if messages:
            # Received, not deleted: visible again after the timeout for an operator.
            found[url.rsplit("/", 1)[-1]] = list(messages.values())
    return found


class SoakResult:
    """The invariants checked against the emulator's state, and the figures."""

    def __init__(self, soak: Soak, invocations_before: int, predictions_before: set[str]) -> None:
        self.soak = soak
        stack = soak.stack
        self.violations: list[str] = []
        runs = soak.all_runs()
        self.pictures = {p.pic_id: p for r in runs for p in r.pictures.values()}
        items = [_plain(item) for item in _scan(soak.dynamodb, soak.facts.table)]
        self.items = {i["id"]: i for i in items if not str(i["id"]).startswith(QUOTA["key_prefix"])}
        self.counters = {i["id"]: i for i in items if str(i["id"]).startswith(QUOTA["key_prefix"])}
        self.history = status_history(stack, soak.facts.table)
        self.invocations = stack.runtime.invocations.records()[invocations_before:]
        self.predictions = {
            pid: p
            for pid, p in stack.replicate.predictions.items()
            if pid not in predictions_before
        }
        self.queues = _queue_messages(stack)
        self.objects = self._objects()
        self._check(runs)

    def _objects(self) -> dict[str, int]:
        s3 = self.soak.stack.aws_client("s3")
        versions: dict[str, int] = Counter()
        request: dict[str, Any] = {"Bucket": self.soak.facts.bucket, "Prefix": "pics/"}
        for _ in range(1000):
            page = s3.list_object_versions(**request)
            for version in page.get("Versions", []):
                versions[version["Key"]] += 1
            if not page.get("IsTruncated"):
                break
            request["KeyMarker"] = page["NextKeyMarker"]
            request["VersionIdMarker"] = page["NextVersionIdMarker"]
        return dict(versions)

    def _fail(self, message: str) -> None:
        self.violations.append(message)

    def _check(self, runs: list[UserRun]) -> None:
        soak = self.soak
        for run in runs:
            for error in run.errors:
                self._fail(f"user {run.user.username}: {error}")
            for event in run.foreign_events:
                self._fail(f"user {run.user.username} received another's event: {event}")
            for event in run.unknown_events:
                self._fail(f"user {run.user.username} received an event of no picture: {event}")
        mine = {
            pid
            for pid in self.items
            if self.items[pid].get("prompt", "").startswith(f"soak {soak._run_id} ")
        }
        for pic_id in mine - set(self.pictures):
            self._fail(f"item {pic_id} exists but no create answered with it")
        for pic_id, picture in self.pictures.items():
            self._check_picture(pic_id, picture)
        self._check_predictions()
        self._check_counters(runs)
        self._check_queues()
        for key, count in self.objects.items():
            pic_id = key.rsplit("/", 1)[-1].split(".", 1)[0]
            if pic_id not in self.items:
                continue  # another run's picture
            if self.items[pic_id].get("completionStatus") != "COMPLETED":
                self._fail(f"object {key} is stored but its picture is not COMPLETED")
            if count != 1:
                self._fail(f"object {key} has {count} versions (one store expected)")
        for uuid, poller_error in soak.stack.runtime.poller_errors.items():
            self._fail(f"stream poller {uuid}: {poller_error!r}")

    def _check_picture(self, pic_id: str, picture: PictureRun) -> None:
        item = self.items.get(pic_id)
        if item is None:
            self._fail(f"{pic_id}: created but no item")
            return
        status = item.get("completionStatus")
        if status not in FINAL_STATUSES:
            self._fail(f"{pic_id} ({picture.fault or 'load'}): left {status}")
        expected = self.history.get(pic_id, [])
        received = [s for _, s in picture.events]
        if received != expected:
            self._fail(
                f"{pic_id} ({picture.fault or 'load'}): subscriber received {received}, "
                f"the table went through {expected}"
            )
        final = picture.final_event
        if final is not None and final[0] - picture.created_at > FINAL_WITHIN_SECONDS:
            self._fail(f"{pic_id}: final after {final[0] - picture.created_at:.0f} s")
        if (
            "PROCESSING" in received
            and final is not None
            and received.index("PROCESSING") > received.index(final[1])
        ):
            self._fail(f"{pic_id}: PROCESSING after {final[1]}")
        if status == "COMPLETED":
            key = str(item.get("imgId"))
            if key not in self.objects:
                self._fail(f"{pic_id}: COMPLETED but {key} is not in the bucket")
            else:
                owner = next(r for r in self._runs() if r.user.sub == picture.owner)
                data = self.soak.client.download(owner.user, key)
                if data != render_png(picture.prompt, self.soak.stack.replicate.image_size):
                    self._fail(f"{pic_id}: the stored object is not the bytes the stand-in served")

    def _runs(self) -> list[UserRun]:
        return self.soak.all_runs()

    def _check_predictions(self) -> None:
        per_picture = Counter(
            pic_id_of_webhook(p.get("webhook")) for p in self.predictions.values()
        )
        for pic_id, count in per_picture.items():
            if count > 1:
                self._fail(f"{pic_id}: {count} predictions at Replicate (at most one)")
        for pic_id in per_picture:
            if pic_id not in self.pictures:
                self._fail(f"prediction for {pic_id}, a picture no client created")

    def _check_counters(self, runs: list[UserRun]) -> None:
        day = time.strftime("%Y-%m-%d", time.gmtime())
        accepted = 0
        for run in runs:
            # enforceQuota counts before enforceGlobalCeiling: a create the ceiling refused
            # has spent one of the user's quota too.
            over_ceiling = run.refusals.count("GlobalQuotaExceeded")
            expected = len(run.pictures) + over_ceiling
            accepted += len(run.pictures)
            counter = self.counters.get(_user_counter_id(run.user.sub, day), {}).get("count", 0)
            if counter != expected:
                self._fail(
                    f"user {run.user.username}: quota counter {counter}, expected {expected} "
                    f"({len(run.pictures)} accepted + {over_ceiling} refused by the ceiling)"
                )
        counter = self.counters.get(_global_counter_id(day), {}).get("count", 0)
        if counter != self.soak.global_before + accepted:
            self._fail(
                f"global counter {counter}, expected {self.soak.global_before} before + "
                f"{accepted} accepted"
            )

    def _check_queues(self) -> None:
        for queue, messages in self.queues.items():
            for message in messages:
                payload = message.get("requestPayload")
                pic_id = payload.get("id") if isinstance(payload, dict) else None
                if pic_id is not None and pic_id not in self.items:
                    continue  # another run's
                if pic_id is not None and self.items[pic_id].get("completionStatus") == "FAILED":
                    continue  # explained: the picture is FAILED
                self._fail(f"{queue}: a message no FAILED picture explains: {str(message)[:300]}")

    # -- figures

    def figures(self) -> dict[str, Any]:
        soak = self.soak
        pictures = list(self.pictures.values())
        finals = [p.final_event for p in pictures]
        final_latency = [f[0] - p.created_at for p, f in zip(pictures, finals, strict=True) if f]
        swept = {
            pid
            for pid, item in self.items.items()
            if "not ready within" in str(item.get("failureReason", ""))
        }
        fast = [
            f[0] - p.created_at
            for p, f in zip(pictures, finals, strict=True)
            if f and p.pic_id not in swept
        ]
        load = [p for p in pictures if p.fault is None and "burst" not in p.prompt]
        load_finals = [p.final_event for p in load]
        elapsed = (
            max(f[0] for f in load_finals if f) - min(p.created_at for p in load)
            if any(load_finals)
            else 0.0
        )
        hops: dict[str, Any] = {}
        by_function: dict[str, list[float]] = defaultdict(list)
        outcomes: dict[str, Counter[str]] = defaultdict(Counter)
        for record in self.invocations:
            short = record.function_name.rsplit("-", 1)[-1]
            by_function[short].append(record.duration_seconds)
            outcomes[short][record.outcome] += 1
        for name, durations in sorted(by_function.items()):
            hops[name] = {**_percentiles(durations), "outcomes": dict(outcomes[name])}
        statuses = Counter(
            str(self.items[p]["completionStatus"]) for p in self.pictures if p in self.items
        )
        return {
            "label": soak.config.label,
            "users": soak.config.users,
            "pictures_per_user": soak.config.pictures,
            "accepted": len(pictures),
            "load_pictures": len(load),
            "statuses": dict(statuses),
            "seconds": round(soak.finished - soak.started, 1),
            "load_pictures_per_second": round(len(load) / elapsed, 3) if elapsed else None,
            "create_latency_seconds": _percentiles([p.create_latency for p in pictures]),
            "create_to_final_event_seconds": _percentiles(final_latency),
            "create_to_final_event_seconds_not_swept": _percentiles(fast),
            "hops": hops,
            "faults": self._fault_outcomes(),
            "predictions": len(self.predictions),
            "violations": self.violations,
        }

    def _fault_outcomes(self) -> list[dict[str, Any]]:
        outcomes = []
        for entry in self.soak.fault_log:
            pic_id = entry.get("pic_id")
            item = self.items.get(pic_id or "", {})
            outcome = dict(entry)
            if pic_id:
                outcome["ended"] = item.get("completionStatus")
                if item.get("failureReason"):
                    outcome["reason"] = item["failureReason"]
                picture = self.pictures.get(pic_id)
                final = picture.final_event if picture else None
                outcome["final_after_seconds"] = (
                    round(final[0] - picture.created_at, 1) if final and picture else None
                )
            outcomes.append(outcome)
        return outcomes

    @property
    def ok(self) -> bool:
        return not self.violations


def _fmt(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def markdown(figures: Sequence[dict[str, Any]]) -> str:
    lines = [
        "| users x pictures | accepted | pictures/s (load) | createAIPic p50 / p95 / p99 s "
        "| create → final event p50 / p95 / p99 s (not swept) | violations |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in figures:
        create, final = f["create_latency_seconds"], f["create_to_final_event_seconds_not_swept"]
        lines.append(
            f"| {f['users']} x {f['pictures_per_user']} | {f['accepted']} "
            f"| {_fmt(f['load_pictures_per_second'])} "
            f"| {_fmt(create['p50'])} / {_fmt(create['p95'])} / {_fmt(create['p99'])} "
            f"| {_fmt(final['p50'])} / {_fmt(final['p95'])} / {_fmt(final['p99'])} "
            f"| {len(f['violations'])} |"
        )
    last = figures[-1]
    lines += [
        "",
        "| hop (function) | invocations | p50 s | p95 s | outcomes |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, hop in last["hops"].items():
        lines.append(
            f"| {name} | {hop['n']} | {_fmt(hop['p50'])} | {_fmt(hop['p95'])} "
            f"| {', '.join(f'{k} {v}' for k, v in sorted(hop['outcomes'].items()))} |"
        )
    faults = [f for figure in figures for f in figure["faults"]]
    if faults:
        lines += [
            "",
            "| fault | injected | ended | after s | reason |",
            "| --- | --- | --- | --- | --- |",
        ]
        for fault in faults:
            if "pic_id" in fault:
                lines.append(
                    f"| {fault['fault']} | {fault.get('injected')} | {fault.get('ended')} "
                    f"| {_fmt(fault.get('final_after_seconds'))} | {fault.get('reason', '')} |"
                )
            else:
                lines.append(
                    f"| {fault['fault']} | {fault.get('attempts')} attempts | "
                    f"{fault.get('accepted')} accepted | — | refused: {fault.get('refused')} |"
                )
    return "\n".join(lines) + "\n"


def plot(figures: Sequence[dict[str, Any]], path: Path) -> None:
    """A small PNG: create → final event p50/p95 against concurrent users."""
    from PIL import Image, ImageDraw

    width, height, margin = 480, 300, 50
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    points = [(f["users"], f["create_to_final_event_seconds_not_swept"]) for f in figures]
    top = max((p[1]["p95"] or 0.0) for p in points) or 1.0
    xs = [u for u, _ in points]
    draw.line((margin, height - margin, width - 10, height - margin), fill="black")
    draw.line((margin, 10, margin, height - margin), fill="black")
    draw.text((margin, height - margin + 20), "concurrent users", fill="black")
    draw.text((5, 5), f"createAIPic -> final event, s (max {top:.1f})", fill="black")

    def at(index: int, value: float) -> tuple[float, float]:
        x = margin + (width - margin - 20) * (index / max(1, len(xs) - 1))
        return x, height - margin - (height - margin - 20) * value / top

    for key, colour in (("p50", "blue"), ("p95", "red")):
        line = [at(i, p[1][key] or 0.0) for i, p in enumerate(points)]
        if len(line) > 1:
            draw.line(line, fill=colour, width=2)
        for x, y in line:
            draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=colour)
        draw.text((width - 60, 20 if key == "p50" else 35), key, fill=colour)
    for i, users in enumerate(xs):
        x, _ = at(i, 0.0)
        draw.text((x - 5, height - margin + 5), str(users), fill="black")
    image.save(path)


def write_report(figures: Sequence[dict[str, Any]], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "soak-report.json").write_text(json.dumps(list(figures), indent=2, default=str))
    (out / "soak-report.md").write_text(markdown(figures))
    if len(figures) > 1:
        plot(figures, out / "soak-latency.png")


# ------------------------------------------------------------------ command


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--users", type=int, default=4, help="concurrent users (default 4)")
    parser.add_argument("--pictures", type=int, default=3, help="pictures per user (default 3)")
    parser.add_argument(
        "--duration", type=float, default=300.0, help="seconds a run may take (default 300)"
    )
    parser.add_argument(
        "--series",
        default="",
        help="comma-separated user counts run one after the other, e.g. 1,8,32",
    )
    parser.add_argument("--faults", default="all", help="'all', 'none' or a comma-separated list")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / ".soak", help="report directory")
    parser.add_argument("--work-dir", type=Path, default=REPO_ROOT / ".tfcli" / "soak-stack")
    args = parser.parse_args(argv)
    faults = (
        FAULTS
        if args.faults == "all"
        else ()
        if args.faults == "none"
        else tuple(name for name in args.faults.split(",") if name)
    )
    unknown = sorted(set(faults) - set(FAULTS))
    if unknown:
        parser.error(f"unknown faults {unknown}; known: {', '.join(FAULTS)}")
    sizes = [int(n) for n in args.series.split(",") if n] or [args.users]
    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {message}", flush=True)

    figures: list[dict[str, Any]] = []
    with ExitStack() as exits:
        stack = exits.enter_context(
            soak_stack(args.work_dir, pictures=args.pictures, progress=progress)
        )
        for users in sizes:
            progress(f"soak: {users} users x {args.pictures} pictures, faults: {len(faults)}")
            config = SoakConfig(users, args.pictures, args.duration, faults, f"{users} users")
            result = Soak(stack, config).run()
            figures.append(result.figures())
            progress(
                f"done: {figures[-1]['accepted']} pictures {figures[-1]['statuses']}, "
                f"{len(result.violations)} violations"
            )
            for violation in result.violations:
                progress(f"  VIOLATION {violation}")
    write_report(figures, args.out)
    print(markdown(figures))
    print(f"report: {args.out / 'soak-report.json'}, {args.out / 'soak-report.md'}")
    return 0 if all(not f["violations"] for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
