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
   then the two secrets put into SSM out of band, as an operator does;
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
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
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
from local.terraform import LOCAL_ROOT, ApplyReport, LocalTerraform, put_secrets

REPO_ROOT = Path(__file__).resolve().parents[1]
DIST_DIR = REPO_ROOT / "dist"
REGION = "us-east-1"
# moto's fixed account.
ACCOUNT_ID = "123456789012"
# What clients of the emulator sign with (moto accepts any credentials).
CLIENT_ACCESS_KEY_ID = "AKIALOCALCLIENT00000"
CLIENT_SECRET_ACCESS_KEY = "local-client-fake-secret"  # noqa: S105 - fake, for moto


class LocalStackError(RuntimeError):
    """The stack could not be started; ``str()`` says which step and why."""


@dataclass
class LocalStack:
    """The emulator, the applied stack, the function runtime, the AppSync endpoint and the
    Replicate stand-in; a context manager that stops everything it started."""

    work_dir: Path
    artifacts_dir: Path = DIST_DIR
    region: str = REGION
    emulator_port: int | None = None
    appsync_port: int | None = None
    runtime_settings: RuntimeSettings = field(default_factory=RuntimeSettings)
    terraform_variables: Mapping[str, object] = field(default_factory=dict)
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
        self._appsync_port = 0
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
                    **self.replicate_options,
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

        with self._step("emulator", f"starting the emulator on {emulator_url}"):
            self._emulator = self._exit.enter_context(
                MotoServer(
                    emulator_port,
                    lambda_runtime_url=self._runtime.invoke_url,
                    appsync_origin=f"http://{LOOPBACK}:{appsync_port}",
                )
            )

        with self._step("apply", "terraform apply terraform/environments/local (whole stack)"):
            self._terraform = self._local_terraform(LOCAL_ROOT)
            self._terraform.init()
            self._terraform.apply()
            self._outputs = self._terraform.outputs()
            put_secrets(
                emulator_url,
                self._outputs,
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

    def _local_terraform(self, root: Path) -> LocalTerraform:
        return LocalTerraform(
            emulator_url=self.emulator.url,
            state_path=self.work_dir / "terraform.tfstate",
            variables={
                "replicate_api_url": self.replicate.base_url,
                "region": self.region,
                **self.terraform_variables,
            },
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

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
