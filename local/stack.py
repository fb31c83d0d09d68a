"""The whole local stack: the deployed stack in miniature, reachable by real clients.

    with LocalStack(work_dir=Path(".tfcli/stack")) as stack:
        stack.client_outputs()      # Amplify Gen 2 outputs + the local endpoints
        stack.replicate             # the Replicate stand-in (its knobs inject faults)
        stack.runtime               # the function runtime (invocation log, wait_until_idle)

Start-up, in order (each step's time in ``timings``):

1. the Replicate stand-in on 127.0.0.1 (its own token and webhook signing secret);
2. ports for the function runtime's Invoke API and the AppSync endpoint, so the emulator
   can forward Lambda invocations and report the endpoint as the API's uris;
3. the emulator (``python -m local.emulator``);
4. ``terraform apply`` of ``terraform/environments/local`` (the whole ``terraform/stack``),
   then the two secrets put into SSM out of band, as an operator does. With an
   ``apply_cache`` (``local.stack_cache``) and fixed ports, a recorded apply of the same
   inputs is replayed instead (seconds instead of minutes; ``cache_hit`` says which);
5. the function runtime, reading the functions and triggers Terraform created;
6. the AppSync endpoint, serving the API Terraform created (schema as uploaded, resolvers,
   functions, data sources) with the user pool's JWKS and SigV4.

Nothing in here knows the stack's resource names: they come from Terraform's outputs and
the emulator's APIs.

``apply(root)`` applies a root module (by default ``terraform/environments/local``; or the
same root in a copy of the tree, say with one wire changed) onto the running emulator and
the same state, then ``reload()`` makes the runtime and the AppSync endpoint serve what
the emulator now holds.
"""

from __future__ import annotations

import base64
import secrets
import shutil
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

import boto3
from botocore.client import BaseClient
from botocore.config import Config

from local.appsync.api import api_from_appsync
from local.appsync.auth import IamPrincipal, static_principals
from local.appsync.server import AppSyncEndpoint, local_tls_context
from local.emulator.server import MotoServer
from local.net import LOOPBACK, free_port
from local.replicate.standin import ReplicateStandIn
from local.runtime import FunctionRuntime, RuntimeSettings
from local.runtime.config import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY
from local.service import Service
from local.stack_cache import (
    ApplyCache,
    CacheError,
    cache_inputs,
    cache_key,
    missing_resources,
    replay_recording,
    start_recording,
    stop_recording,
)
from local.terraform import LOCAL_ROOT, ApplyReport, LocalTerraform, put_secrets

REPO_ROOT = Path(__file__).resolve().parents[1]
DIST_DIR = REPO_ROOT / "dist"
REGION = "us-east-1"
# moto's fixed account.
ACCOUNT_ID = "123456789012"
# What clients of the emulator sign with (moto accepts any credentials).
CLIENT_ACCESS_KEY_ID = "AKIALOCALCLIENT00000"
CLIENT_SECRET_ACCESS_KEY = "local-client-fake-secret"  # noqa: S105 - fake, for moto


# By default the stand-in's model logs no progress bar, so a picture's events are its
# status changes only; replicate_options={"progress_bar": True} adds the progress steps.
REPLICATE_DEFAULTS: Mapping[str, Any] = {"progress_bar": False}


class LocalStackError(RuntimeError):
    """The stack could not be started; ``str()`` says which step and why."""


@dataclass
class LocalStack(Service):
    """The emulator, the applied stack, the function runtime, the AppSync endpoint and the
    Replicate stand-in; a context manager that stops everything it started."""

    work_dir: Path
    artifacts_dir: Path = DIST_DIR
    region: str = REGION
    emulator_port: int | None = None
    appsync_port: int | None = None
    replicate_port: int | None = None
    # Replays a recorded apply of the same inputs; needs all three ports fixed.
    apply_cache: ApplyCache | None = None
    runtime_settings: RuntimeSettings = field(default_factory=RuntimeSettings)
    terraform_variables: Mapping[str, object] = field(default_factory=dict)
    # The stand-in's knobs, over REPLICATE_DEFAULTS.
    replicate_options: Mapping[str, Any] = field(default_factory=dict)
    # When set, the AppSync endpoint also serves https/wss (endpoint.tls_url) with a
    # self-signed certificate written here (appsync_certificate): aws-amplify needs wss.
    appsync_tls_dir: Path | None = None
    progress: Callable[[str], None] = lambda message: None
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._exit = ExitStack()
        self._outputs: dict[str, Any] | None = None
        self._replicate: ReplicateStandIn | None = None
        self._emulator: MotoServer | None = None
        self._runtime: FunctionRuntime | None = None
        self._endpoint: AppSyncEndpoint | None = None
        self._terraform: LocalTerraform | None = None
        # After start(): True when the apply was replayed from the cache, False when run.
        self.cache_hit: bool | None = None
        self._recording = self.work_dir / "moto-recording.jsonl"
        self._emulator_args: tuple[int, str] = (0, "")
        self._appsync_port = 0
        self._emulator_url = ""
        self._terraform_variables: dict[str, object] = {}
        self._tls_context: ssl.SSLContext | None = None
        self.appsync_certificate: Path | None = None

    # ------------------------------------------------------------------ what it started

    @property
    def replicate(self) -> ReplicateStandIn:
        assert self._replicate is not None, "start() first"
        return self._replicate

    @property
    def emulator(self) -> MotoServer:
        assert self._emulator is not None, "start() first"
        return self._emulator

    @property
    def runtime(self) -> FunctionRuntime:
        assert self._runtime is not None, "start() first"
        return self._runtime

    @property
    def endpoint(self) -> AppSyncEndpoint:
        assert self._endpoint is not None, "start() first"
        return self._endpoint

    @property
    def terraform(self) -> LocalTerraform:
        assert self._terraform is not None, "start() first"
        return self._terraform

    @property
    def outputs(self) -> dict[str, Any]:
        """The local root's Terraform outputs."""
        assert self._outputs is not None, "start() first"
        return self._outputs

    def aws_client(self, service: str) -> BaseClient:
        """A boto3 client of the emulator, signed like an operator's CLI."""
        client: BaseClient = boto3.client(
            service,
            region_name=self.region,
            endpoint_url=self.emulator.url,
            aws_access_key_id=CLIENT_ACCESS_KEY_ID,
            aws_secret_access_key=CLIENT_SECRET_ACCESS_KEY,
            config=Config(retries={"max_attempts": 2, "mode": "standard"}),
        )
        return client

    def client_outputs(self) -> dict[str, Any]:
        """Amplify Gen 2's outputs shape (what the dev/prod roots output as
        ``client_outputs``) plus ``custom`` with the local endpoints."""
        outputs = self.outputs
        return {
            "version": "1",
            "auth": {
                "aws_region": self.region,
                "user_pool_id": outputs["user_pool_id"],
                "user_pool_client_id": outputs["user_pool_client_id"],
                "identity_pool_id": outputs["identity_pool_id"],
            },
            "data": {
                "aws_region": self.region,
                "url": self.endpoint.url,
                "default_authorization_type": "AMAZON_COGNITO_USER_POOLS",
                "authorization_types": ["AWS_IAM"],
            },
            "storage": {"aws_region": self.region, "bucket_name": outputs["bucket_name"]},
            "custom": {
                "aws_endpoint_url": self.emulator.url,
                "realtime_url": self.endpoint.realtime_url,
            },
        }

    # ------------------------------------------------------------------ start and stop

    @contextmanager
    def _step(self, name: str, message: str) -> Iterator[None]:
        self.progress(message)
        started = time.monotonic()
        try:
            yield
        except LocalStackError:
            raise
        except Exception as error:
            raise LocalStackError(f"{name}: {error}") from error
        finally:
            self.timings[name] = time.monotonic() - started

    def start(self) -> Self:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        token = f"r8_local{secrets.token_hex(16)}"
        webhook_secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()

        with self._step("replicate", "starting the Replicate stand-in on 127.0.0.1"):
            self._replicate = self._exit.enter_context(
                ReplicateStandIn(
                    webhook_secret,
                    expected_token=token,
                    webhook_route=self._route_webhook,
                    port=self.replicate_port or 0,
                    **{**REPLICATE_DEFAULTS, **self.replicate_options},
                )
            )

        emulator_port = self.emulator_port or free_port()
        emulator_url = f"http://{LOOPBACK}:{emulator_port}"
        # Built now, started after the apply: its Invoke API port is taken at once, so the
        # emulator can forward the invocations moto would perform to it.
        self._runtime = FunctionRuntime(
            emulator_url,
            self.artifacts_dir,
            self.region,
            settings=self.runtime_settings,
            work_dir=self.work_dir / "runtime",
        )
        appsync_port = self.appsync_port or free_port()
        variables: dict[str, object] = {
            "replicate_api_url": self.replicate.base_url,
            "region": self.region,
            **self.terraform_variables,
        }
        self._emulator_url = emulator_url
        self._terraform_variables = variables
        self._terraform = self._local_terraform(LOCAL_ROOT)
        self._emulator_args = (emulator_port, f"http://{LOOPBACK}:{appsync_port}")
        self._start_emulator()
        self._exit.callback(lambda: self._emulator.stop() if self._emulator else None)

        key, inputs = self._cache_key(emulator_port, appsync_port, variables)
        self.cache_hit = key is not None and self._replay_cached(key)
        if not self.cache_hit:
            with self._step("apply", "terraform apply terraform/environments/local (whole stack)"):
                self.remove_stale_state()
                if key is not None:
                    start_recording(emulator_url)
                self._terraform.init()
                self._terraform.apply()
                self._outputs = self._terraform.outputs()
                if key is not None and self.apply_cache is not None:
                    stop_recording(emulator_url)
                    if self._cache_key(emulator_port, appsync_port, variables)[0] != key:
                        # An input changed while terraform read them: the recording is of
                        # neither version.
                        self.progress("inputs changed during the apply: not cached")
                    else:
                        self.apply_cache.save(
                            key,
                            recording=self._recording,
                            state=self._terraform.state_path,
                            outputs=self._outputs,
                            inputs=inputs,
                        )
        with self._step("secrets", "putting the stand-in's token and secret into SSM"):
            put_secrets(
                emulator_url,
                self.outputs,
                replicate_api_token=token,
                webhook_secret=webhook_secret,
                region=self.region,
            )

        with self._step("runtime", "starting the function runtime"):
            self._exit.enter_context(self._runtime)

        self._appsync_port = appsync_port
        if self.appsync_tls_dir is not None:
            self.appsync_tls_dir.mkdir(parents=True, exist_ok=True)
            self._tls_context, self.appsync_certificate = local_tls_context(self.appsync_tls_dir)
        with self._step("appsync", f"starting the AppSync endpoint on port {appsync_port}"):
            self._exit.callback(self._stop_endpoint)
            self._endpoint = self._appsync_endpoint(appsync_port).start()
        self.progress(f"ready: GraphQL {self.endpoint.url}, emulator {emulator_url}")

    def _start_emulator(self) -> None:
        port, appsync_origin = self._emulator_args
        with self._step("emulator", f"starting the emulator on port {port}"):
            self._emulator = MotoServer(
                port,
                lambda_runtime_url=self.runtime.invoke_url,
                appsync_origin=appsync_origin,
                recording_path=self._recording,
            ).start()

    def _replay_cached(self, key: str) -> bool:
        """Replay the cached apply of ``key`` if there is one; False when there is none or it
        failed (then the emulator is started afresh, for the apply)."""
        assert self.apply_cache is not None
        cached = self.apply_cache.lookup(key)
        if cached is None:
            return False
        with self._step("replay", "replaying the cached apply (same inputs, same ports)"):
            shutil.copyfile(cached.recording, self._recording)
            shutil.copyfile(cached.state, self.terraform.state_path)
            try:
                count, seconds = replay_recording(self.emulator.url, self._recording)
                self._outputs = dict(cached.outputs)
                self._check_replayed()
            except CacheError as error:
                self.progress(f"the cached apply did not replay ({error}); applying instead")
                self.apply_cache.discard(key)
                self._outputs = None
                self.emulator.stop()
                self._start_emulator()
                return False
        self.progress(f"replayed {count} recorded requests in {seconds:.1f}s")
        return True

    def _cache_key(
        self, emulator_port: int, appsync_port: int, variables: Mapping[str, object]
    ) -> tuple[str | None, dict[str, Any]]:
        """The cache key, or None without a cache (or without fixed ports: the state
        would name ports this run does not listen on)."""
        if self.apply_cache is None:
            return None, {}
        if None in (self.emulator_port, self.appsync_port, self.replicate_port):
            raise LocalStackError(
                "apply_cache needs fixed emulator_port, appsync_port and replicate_port"
            )
        ports = {
            "emulator": emulator_port,
            "appsync": appsync_port,
            "replicate": self.replicate.port,
        }
        inputs = cache_inputs(ports=ports, variables=variables)
        return cache_key(inputs), inputs

    def _check_replayed(self) -> None:
        """Every resource the outputs name is in the emulator (a cheap check after a
        replay: a replay that drew other ids or dropped a request fails it)."""
        outputs = self.outputs
        idp, identity = self.aws_client("cognito-idp"), self.aws_client("cognito-identity")
        s3, kms, ssm = self.aws_client("s3"), self.aws_client("kms"), self.aws_client("ssm")
        pool = outputs["user_pool_id"]
        graphql_apis = self.aws_client("appsync").list_graphql_apis()["graphqlApis"]
        checks: list[tuple[str, Callable[[], object]]] = [
            ("user pool", lambda: idp.describe_user_pool(UserPoolId=pool)),
            (
                "user pool client",
                lambda: idp.describe_user_pool_client(
                    UserPoolId=pool, ClientId=outputs["user_pool_client_id"]
                ),
            ),
            (
                "identity pool",
                lambda: identity.describe_identity_pool(IdentityPoolId=outputs["identity_pool_id"]),
            ),
            ("bucket", lambda: s3.head_bucket(Bucket=outputs["bucket_name"])),
            ("KMS key", lambda: kms.describe_key(KeyId=outputs["kms_key_arn"])),
            (
                "GraphQL API",
                lambda: next(
                    api
                    for api in graphql_apis
                    if api.get("uris", {}).get("GRAPHQL") == outputs["graphql_url"]
                ),
            ),
            *(
                (
                    f"parameter {outputs[name]}",
                    lambda name=name: ssm.describe_parameters(
                        ParameterFilters=[{"Key": "Name", "Values": [outputs[name]]}]
                    )["Parameters"][0],
                )
                for name in ("replicate_token_parameter_name", "webhook_secret_parameter_name")
            ),
        ]
        missing = missing_resources(checks)
        if missing:
            raise CacheError("not in the emulator after the replay: " + "; ".join(missing))

    @property
    def state_path(self) -> Path:
        """This stack's Terraform state: one per work_dir."""
        return self.work_dir / "terraform.tfstate"

    def remove_stale_state(self) -> None:
        """Delete the state and its backups an earlier run left in work_dir; start() does
        so before a fresh apply. The emulator starts empty, so such a state describes
        resources it never had (the apply then failed: 'Data source with name none already
        exists')."""
        for stale in self.work_dir.glob(f"{self.state_path.name}*"):
            stale.unlink()

    def _local_terraform(self, root: Path) -> LocalTerraform:
        return LocalTerraform(
            emulator_url=self._emulator_url,
            state_path=self.state_path,
            variables=self._terraform_variables,
            root=root,
        )

    # ------------------------------------------------------------------ change it

    def apply(self, root: Path = LOCAL_ROOT, *, refresh: bool = True) -> ApplyReport:
        """Apply ``root`` onto the running emulator and this stack's state, then
        ``reload()``. ``root`` may sit in a copy of the repository's tree (the same
        layout: ``terraform/``, ``modules/``, ``schema.graphql``, ``dist/``), so a changed
        copy is applied incrementally: only what differs changes."""
        report = self._local_terraform(root).apply(refresh=refresh)
        self.reload()
        return report

    def reload(self) -> None:
        """Serve what the emulator holds now: the outputs re-read, the function runtime
        reloaded (functions, triggers), the AppSync endpoint restarted on its port with the
        API as it now is (open subscriptions are closed, as on a redeploy; its TLS listener,
        if any, gets a new port)."""
        self._outputs = self.terraform.outputs()
        self.runtime.reload()
        self._stop_endpoint()
        self._endpoint = self._appsync_endpoint(self._appsync_port).start()

    def _stop_endpoint(self) -> None:
        endpoint, self._endpoint = self._endpoint, None
        if endpoint is not None:
            endpoint.stop()

    def _appsync_endpoint(self, port: int) -> AppSyncEndpoint:
        appsync = self.aws_client("appsync")
        graphql_url = str(self.outputs["graphql_url"])
        apis = [
            api
            for api in appsync.list_graphql_apis()["graphqlApis"]
            if api.get("uris", {}).get("GRAPHQL") == graphql_url
        ]
        if len(apis) != 1:
            raise LocalStackError(f"expected one GraphQL API at {graphql_url}, found {len(apis)}")
        api = api_from_appsync(appsync, apis[0]["apiId"])
        pool_id = self.outputs["user_pool_id"]
        lambda_client: BaseClient = boto3.client(
            "lambda",
            region_name=self.region,
            endpoint_url=self.runtime.invoke_url,
            aws_access_key_id=CLIENT_ACCESS_KEY_ID,
            aws_secret_access_key=CLIENT_SECRET_ACCESS_KEY,
            config=Config(retries={"max_attempts": 0}, read_timeout=120),
        )
        # The functions all sign with the runtime's credentials; AppSync sees a role session.
        functions_principal = IamPrincipal(
            secret_access_key=FAKE_SECRET_ACCESS_KEY,
            account_id=ACCOUNT_ID,
            user_arn=f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/local-function/local",
            username="AROALOCALFUNCTION:local",
        )
        return AppSyncEndpoint(
            api,
            region=self.region,
            dynamodb_client=self.aws_client("dynamodb"),
            lambda_client=lambda_client,
            jwks_url=f"{self.emulator.url}/{pool_id}/.well-known/jwks.json",
            iam_principals=static_principals({FAKE_ACCESS_KEY_ID: functions_principal}),
            port=port,
            tls_context=self._tls_context,
        )

    def _route_webhook(self, url: str) -> str:
        """The HTTP API's public URL → the runtime's local server for that API (the first
        label of ``<api id>.execute-api.<region>.amazonaws.com`` is the API id)."""
        parts = urlsplit(url)
        api_id = (parts.hostname or "").split(".", 1)[0]
        local = self.runtime.http_api_urls.get(api_id)
        if local is None:
            return url
        base = urlsplit(local)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    def stop(self) -> None:
        self._exit.close()
