"""Lambda's DynamoDB stream poller for one event-source mapping.

Per shard, in order: read records (``stream_records``), keep those the mapping's
FilterCriteria pass (the others are skipped, as Lambda does), gather up to ``BatchSize``
records or until ``MaximumBatchingWindowInSeconds`` passed, invoke the function
synchronously with ``{"Records": [...]}``, and only then move on. A failed batch is
retried (backoff, scaled down); with ``ReportBatchItemFailures`` a partial batch response
retries from the first reported record; ``BisectBatchOnFunctionError`` splits a failing
batch in two; after ``MaximumRetryAttempts`` (or past ``MaximumRecordAgeInSeconds``) the
batch's failure record goes to the on-failure destination and the shard moves on.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import deque
from typing import Any

from local.runtime.config import AwsClients, StreamMapping
from local.runtime.destinations import DestinationSender, stream_batch_record
from local.runtime.event_filter import FilterCriteria
from local.runtime.functions import FunctionNotFoundError, Functions
from local.runtime.invocations import InvocationResult
from local.runtime.settings import RuntimeSettings
from local.runtime.stream_records import ShardReader
from local.runtime.workers import TooManyRequestsError

_log = logging.getLogger(__name__)
_DESCRIBE_EVERY_SECONDS = 2.0


def first_failed_index(result: InvocationResult, batch: list[dict[str, Any]]) -> int | None:
    """Where to retry from after a successful call's partial batch response (None: all done).

    As Lambda: no or empty ``batchItemFailures`` is success; an identifier that is
    missing, empty or not in the batch fails the whole batch.
    """
    try:
        body = result.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    failures = body.get("batchItemFailures")
    if not failures:
        return None
    sequence_numbers = [record["dynamodb"]["SequenceNumber"] for record in batch]
    indexes: list[int] = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in sequence_numbers:
            return 0
        indexes.append(sequence_numbers.index(identifier))
    return min(indexes)


class StreamPoller:
    def __init__(
        self,
        mapping: StreamMapping,
        clients: AwsClients,
        functions: Functions,
        sender: DestinationSender,
        settings: RuntimeSettings,
    ) -> None:
        self.mapping = mapping
        self._clients = clients
        self._functions = functions
        self._sender = sender
        self._settings = settings
        self._filter = FilterCriteria(mapping.filter_patterns)
        self._readers: dict[str, ShardReader] = {}
        self._buffers: dict[str, list[dict[str, Any]]] = {}
        self._first_buffered_at: dict[str, float] = {}
        self._stop = threading.Event()
        self._described_at = 0.0
        # Completed passes that found nothing to do; wait_until_idle watches it advance.
        self.idle_passes = 0
        self.error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"stream-poller-{mapping.uuid[:8]}", daemon=True
        )

    @property
    def trigger(self) -> str:
        return f"dynamodb-stream:{self.mapping.uuid}"

    def start(self) -> None:
        # Readers are opened now, so LATEST means "from when the runtime started polling".
        self._describe()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=60)

    def _describe(self) -> None:
        streams = self._clients("dynamodbstreams")
        description = streams.describe_stream(StreamArn=self.mapping.event_source_arn)
        for shard in description["StreamDescription"]["Shards"]:
            shard_id = str(shard["ShardId"])
            if shard_id not in self._readers:
                self._readers[shard_id] = ShardReader(
                    streams,
                    self.mapping.event_source_arn,
                    shard_id,
                    self.mapping.starting_position,
                    self._clients.region,
                )
                self._buffers[shard_id] = []
        self._described_at = time.monotonic()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self._poll_once()
            except Exception as error:  # noqa: BLE001 - the poller keeps going; the error is kept and logged
                self.error = error
                _log.exception("stream poller of mapping %s", self.mapping.uuid)
                busy = False
            if not busy:
                self.idle_passes += 1
                self._stop.wait(self._settings.stream_poll_interval_seconds)

    def _poll_once(self) -> bool:
        """One pass over the shards; True when a batch was delivered or is being gathered."""
        if time.monotonic() - self._described_at > _DESCRIBE_EVERY_SECONDS:
            self._describe()
        busy = False
        for shard_id, reader in list(self._readers.items()):
            buffer = self._buffers[shard_id]
            if len(buffer) < self.mapping.batch_size:
                fresh = [r for r in reader.read() if self._filter.matches(r)]
                if fresh and not buffer:
                    self._first_buffered_at[shard_id] = time.monotonic()
                buffer.extend(fresh)
                busy = busy or reader.holding
            if not buffer:
                continue
            window = self.mapping.maximum_batching_window_seconds
            waited = time.monotonic() - self._first_buffered_at[shard_id]
            if len(buffer) < self.mapping.batch_size and waited < (
                window * self._settings.batching_window_scale
            ):
                busy = True
                continue
            batch = buffer[: self.mapping.batch_size]
            del buffer[: self.mapping.batch_size]
            self._first_buffered_at[shard_id] = time.monotonic()
            self._deliver(reader, batch)
            busy = True
        return busy

    def _retry_limit(self) -> int:
        limit = self.mapping.maximum_retry_attempts
        return self._settings.unbounded_retry_cap if limit < 0 else limit

    def _expired(self, batch: list[dict[str, Any]]) -> bool:
        max_age = self.mapping.maximum_record_age_seconds
        created = batch[0]["dynamodb"].get("ApproximateCreationDateTime")
        return max_age >= 0 and created is not None and time.time() - float(created) > max_age

    def _invoke(self, batch: list[dict[str, Any]], attempt: int) -> InvocationResult | None:
        payload = json.dumps({"Records": batch}).encode()
        try:
            return self._functions.invoke(
                self.mapping.function_arn, payload, trigger=self.trigger, attempt=attempt
            )
        except TooManyRequestsError:
            return None

    def _deliver(self, reader: ShardReader, records: list[dict[str, Any]]) -> None:
        """Invoke until every record is processed or given up; bounded by the retry limit."""
        segments: deque[tuple[list[dict[str, Any]], int]] = deque([(records, 0)])
        while segments and not self._stop.is_set():
            batch, retries = segments.popleft()
            try:
                result = self._invoke(batch, retries + 1)
            except FunctionNotFoundError:
                _log.error("mapping %s: its function is gone; batch skipped", self.mapping.uuid)
                return
            if result is not None and result.succeeded:
                failed_from = (
                    first_failed_index(result, batch)
                    if self.mapping.report_batch_item_failures
                    else None
                )
                if failed_from is None:
                    continue
                remaining = batch[failed_from:]
            elif self.mapping.bisect_batch_on_function_error and len(batch) > 1:
                middle = len(batch) // 2
                segments.appendleft((batch[middle:], retries))
                segments.appendleft((batch[:middle], retries))
                continue
            else:
                remaining = batch
            if self._expired(remaining):
                self._give_up(reader, remaining, result, retries + 1, "RecordAgeExceeded")
            elif retries >= self._retry_limit():
                self._give_up(reader, remaining, result, retries + 1, "RetryAttemptsExhausted")
            else:
                delay = min(
                    self._settings.stream_retry_base_delay_seconds * 2**retries,
                    self._settings.stream_retry_max_delay_seconds,
                )
                self._stop.wait(delay)
                segments.appendleft((remaining, retries + 1))

    def _give_up(
        self,
        reader: ShardReader,
        batch: list[dict[str, Any]],
        result: InvocationResult | None,
        invoke_count: int,
        condition: str,
    ) -> None:
        destination = self.mapping.on_failure
        if destination is None:
            _log.warning(
                "mapping %s: %d records skipped (%s); no on-failure destination",
                self.mapping.uuid,
                len(batch),
                condition,
            )
            return
        record = stream_batch_record(
            function_arn=self.mapping.function_arn,
            request_id=result.request_id if result else str(uuid.uuid4()),
            condition=condition,
            invoke_count=invoke_count,
            result=result,
            shard_id=reader.shard_id,
            stream_arn=reader.stream_arn,
            records=batch,
        )
        self._sender.send(destination, record)
