"""The runtime's local knobs: Lambda's clocks scaled down, bounds on what AWS leaves unbounded."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuntimeSettings:
    # Workers per function (Lambda scales to 1000s; a laptop does not). A function's
    # reserved concurrency lowers it further.
    max_workers_per_function: int = 2
    # How long a synchronous caller waits for a free worker before Lambda's 429.
    acquire_timeout_seconds: float = 60.0
    # Asynchronous retries: Lambda waits about 1 min, then 2 min. Locally the first
    # retry waits this long and each further one twice as long.
    async_retry_base_delay_seconds: float = 0.2
    async_threads: int = 4
    # Stream poller: how often a caught-up shard is read again; the first retry of a
    # failed batch waits this long, doubling up to stream_retry_max_delay_seconds.
    stream_poll_interval_seconds: float = 0.1
    stream_retry_base_delay_seconds: float = 0.1
    stream_retry_max_delay_seconds: float = 2.0
    # MaximumBatchingWindowInSeconds is multiplied by this (1.0: as configured).
    batching_window_scale: float = 1.0
    # Lambda retries a stream batch until the record expires when MaximumRetryAttempts is
    # -1; locally such a batch is given up (to its on-failure destination) after this many.
    unbounded_retry_cap: int = 10
    # Scheduled rules fire automatically when set: rate(1 minute) fires every
    # 60 / schedule_clock_scale seconds. None: only fire_schedules() fires them.
    schedule_clock_scale: float | None = None
