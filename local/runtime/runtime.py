"""``FunctionRuntime``: runs what Terraform deployed to the emulator, wired as deployed.

Reads the emulator's functions, stream mappings, HTTP APIs and scheduled rules; serves
Lambda's Invoke API and each HTTP API on 127.0.0.1; polls the streams; fires schedules on
request (or on a scaled clock). ``reload()`` re-reads after an apply.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Self

from local.runtime.api_gateway import HttpApiServer
from local.runtime.artifacts import ArtifactStore, StaleArtifactError
from local.runtime.async_invoke import AsyncInvoker
from local.runtime.config import AwsClients, FunctionConfig, StackConfig, read_stack
from local.runtime.destinations import DestinationSender
from local.runtime.functions import Activity, CrashPlan, Functions
from local.runtime.invocations import InvocationLog, InvocationResult
from local.runtime.invoke_server import InvokeServer
from local.runtime.sandbox import build_sdk_dir
from local.runtime.schedules import Scheduler
from local.runtime.settings import RuntimeSettings
from local.runtime.stream_poller import StreamPoller
from local.runtime.workers import FunctionPool, WorkerSpec
from local.service import Service

_log = logging.getLogger(__name__)


class UnsupportedFunctionError(RuntimeError):
    """A deployed function this runtime cannot run as Lambda would (say, another Python)."""


def _local_runtime_name() -> str:
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


class FunctionRuntime(Service):
    """A context manager; ``start()`` raises StaleArtifactError/UnsupportedFunctionError
    (listing every function concerned) when the deployed code cannot be run from disk."""

    def __init__(
        self,
        emulator_url: str,
        artifacts_dir: Path | str,
        region: str = "us-east-1",
        *,
        settings: RuntimeSettings | None = None,
        work_dir: Path | str | None = None,
    ) -> None:
        self.emulator_url = emulator_url
        self.region = region
        self.settings = settings or RuntimeSettings()
        self._artifacts_dir = Path(artifacts_dir)
        self._own_work_dir = work_dir is None
        self._work_dir = (
            Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="aipic-runtime-"))
        )
        self.clients = AwsClients(emulator_url, region)
        self.invocations = InvocationLog()
        self._activity = Activity()
        self._functions = Functions(self.invocations, self._activity)
        self._sender = DestinationSender(self.clients)
        self._async = AsyncInvoker(self._functions, self._sender, self.settings)
        self._invoke_server = InvokeServer(
            self._invoke_sync, self._async.submit, self._functions.config
        )
        self._pollers: dict[str, StreamPoller] = {}
        self._http_apis: dict[str, HttpApiServer] = {}
        self._scheduler: Scheduler | None = None
        self._artifacts: ArtifactStore | None = None
        self._sdk_dir: Path | None = None
        self._account_id = ""
        self.config = StackConfig({}, (), (), ())
        self._started = False

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        try:
            self._sdk_dir = build_sdk_dir(self._work_dir / "sdk")
            self._artifacts = ArtifactStore(self._artifacts_dir, self._work_dir)
            self._account_id = str(self.clients("sts").get_caller_identity()["Account"])
            self._scheduler = Scheduler(
                self._async.submit,
                account_id=self._account_id,
                region=self.region,
                clock_scale=self.settings.schedule_clock_scale,
            )
            self._async.start()
            self._invoke_server.start()
            self._started = True
            self.reload()
            self._scheduler.start(self.config.scheduled_rules)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.stop()
        for poller in self._pollers.values():
            poller.stop()
        self._pollers.clear()
        for server in self._http_apis.values():
            server.stop()
        self._http_apis.clear()
        if self._started:
            self._invoke_server.stop()
            self._async.stop()
            self._started = False
        self._functions.close()
        if self._own_work_dir:
            shutil.rmtree(self._work_dir, ignore_errors=True)

    # ------------------------------------------------------------ configuration

    def reload(self) -> None:
        """Re-read the emulator (after an apply); unchanged pollers and API ports are kept."""
        assert self._artifacts is not None
        assert self._sdk_dir is not None
        self._artifacts.rescan()
        config = read_stack(self.clients)
        self._refuse_unrunnable(config.functions.values())
        pools = {
            name: FunctionPool(
                WorkerSpec(
                    function=function,
                    deployment=self._artifacts.deploy(function),
                    sdk_dir=self._sdk_dir,
                    emulator_url=self.emulator_url,
                    region=self.region,
                    scratch_dir=self._work_dir / "workers" / name,
                ),
                max_workers=self.settings.max_workers_per_function,
                acquire_timeout=self.settings.acquire_timeout_seconds,
            )
            for name, function in config.functions.items()
        }
        self._functions.replace(pools)
        self._reload_pollers(config)
        self._reload_http_apis(config)
        if self._scheduler is not None:
            self._scheduler.update(config.scheduled_rules)
        self.config = config

    def _refuse_unrunnable(self, functions: Iterable[FunctionConfig]) -> None:
        assert self._artifacts is not None
        unsupported: list[str] = []
        stale: list[str] = []
        for function in functions:
            if function.runtime != _local_runtime_name():
                unsupported.append(
                    f"function {function.name}: runtime {function.runtime!r}, but this "
                    f"runtime runs only {_local_runtime_name()} ({sys.executable})"
                )
                continue
            try:
                self._artifacts.check(function)
            except StaleArtifactError as error:
                stale.append(str(error))
        if unsupported:
            raise UnsupportedFunctionError("\n".join(unsupported + stale))
        if stale:
            raise StaleArtifactError("\n".join(stale))

    def _reload_pollers(self, config: StackConfig) -> None:
        wanted = {m.uuid: m for m in config.stream_mappings if m.enabled}
        for uuid, poller in list(self._pollers.items()):
            if wanted.get(uuid) != poller.mapping:
                poller.stop()
                del self._pollers[uuid]
        for uuid, mapping in wanted.items():
            if uuid not in self._pollers:
                poller = StreamPoller(
                    mapping, self.clients, self._functions, self._sender, self.settings
                )
                poller.start()
                self._pollers[uuid] = poller

    def _reload_http_apis(self, config: StackConfig) -> None:
        wanted = {api.api_id: api for api in config.http_apis}
        for api_id in list(self._http_apis):
            if api_id not in wanted:
                self._http_apis.pop(api_id).stop()
        for api_id, api in wanted.items():
            server = self._http_apis.get(api_id)
            if server is None:
                server = HttpApiServer(
                    api, self._invoke_sync, account_id=self._account_id, region=self.region
                )
                server.start()
                self._http_apis[api_id] = server
            server.api = api

    # ------------------------------------------------------------ what callers use

    @property
    def invoke_url(self) -> str:
        """Lambda's Invoke API (``boto3.client("lambda", endpoint_url=...)``)."""
        return self._invoke_server.base_origin

    @property
    def http_api_urls(self) -> dict[str, str]:
        """API id → base URL of its ``$default`` stage (a named stage is under ``/<stage>``)."""
        return {api_id: server.base_origin for api_id, server in self._http_apis.items()}

    def http_api_url(self, api_id: str) -> str:
        return self.http_api_urls[api_id]

    def function(self, name_or_arn: str) -> FunctionConfig:
        return self._functions.config(name_or_arn)

    def _invoke_sync(self, name_or_arn: str, payload: bytes, trigger: str) -> InvocationResult:
        return self._functions.invoke(name_or_arn, payload, trigger=trigger)

    def invoke(
        self, name_or_arn: str, event: object, *, trigger: str = "direct"
    ) -> InvocationResult:
        """Invoke synchronously with a JSON-able event (as RequestResponse does)."""
        return self._invoke_sync(name_or_arn, json.dumps(event).encode(), trigger)

    def invoke_async(self, name_or_arn: str, event: object, *, trigger: str = "direct") -> str:
        """Queue an Event invocation; its request id."""
        return self._async.submit(name_or_arn, json.dumps(event).encode(), trigger)

    def fire_schedules(self, rule_name: str | None = None) -> list[str]:
        """Fire the scheduled rules (or the one named) now; the async request ids."""
        assert self._scheduler is not None
        rules = tuple(r for r in self.config.scheduled_rules if rule_name in (None, r.name))
        if rule_name is not None and not rules:
            raise LookupError(f"no enabled scheduled rule named {rule_name!r}")
        return self._scheduler.fire(rules)

    @property
    def crashes(self) -> CrashPlan:
        """Injected crashes: ``runtime.crashes.arm("fn", count=1, after_seconds=0.05)`` kills
        the worker of fn's next invocation 50 ms in; ``crashes.injected`` lists them."""
        return self._functions.crashes

    @property
    def poller_errors(self) -> dict[str, BaseException]:
        """The last error each stream poller met (mapping uuid → error), if any."""
        return {uuid: p.error for uuid, p in self._pollers.items() if p.error is not None}

    def wait_until_idle(self, timeout: float = 30.0) -> None:
        """Until nothing is in flight: no invocation running, no async event queued or
        waiting to be retried, every stream read to its end twice over with nothing
        gathered. TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            count, changes = self._activity.snapshot()
            if count == 0:
                passes = {uuid: p.idle_passes for uuid, p in self._pollers.items()}
                while time.monotonic() < deadline and any(
                    self._pollers[uuid].idle_passes < start + 2
                    for uuid, start in passes.items()
                    if uuid in self._pollers
                ):
                    time.sleep(0.02)
                if self._activity.snapshot() == (0, changes):
                    return
            time.sleep(0.02)
        count, _ = self._activity.snapshot()
        raise TimeoutError(f"the runtime was still busy after {timeout:.0f}s ({count} in flight)")
