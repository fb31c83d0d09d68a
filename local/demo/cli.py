"""``python -m local.demo``: the command line, the steps in order, the summary."""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from local.demo.deadline import Deadline
from local.demo.errors import EXIT_INTERRUPTED, EXIT_OK, DemoError, SetupError
from local.demo.pipeline import HOPS, DemoSettings, PictureRun, handler_environment
from local.demo.progress import Progress
from local.demo.terraform import LocalEnvironment, LocalTerraform
from local.emulator.server import MotoServer, MotoServerError, PortInUseError

REGION = "us-east-1"
NAME_PREFIX = "aipic-local"
# Fake credentials: moto accepts any, and the AppSync stand-in checks SigV4 with these.
FAKE_ACCESS_KEY_ID = "AKIALOCALDEMO0000000"
FAKE_SECRET_ACCESS_KEY = "local-demo-secret-access-key-not-a-real-one"  # noqa: S105 - fake
DEFAULT_TIMEOUT_SECONDS = 180.0


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local.demo",
        description="Generate pictures end to end on this machine: moto's server, this "
        "project's Terraform, the real resolvers and Lambda handlers, local stand-ins for "
        "Replicate, the webhook's HTTP API and AppSync. No AWS account needed.",
    )
    parser.add_argument(
        "--prompt",
        action="append",
        default=[],
        help="a prompt; repeat for several pictures (each from a different user, concurrently)",
    )
    parser.add_argument(
        "--prompts", nargs="+", default=[], metavar="PROMPT", help="several prompts at once"
    )
    parser.add_argument(
        "--fail",
        action="store_true",
        help="the Replicate stand-in answers 'failed': FAILED and its reason reach the "
        "subscriber (the demo then succeeds when every picture FAILED with a reason)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path("demo-output"),
        help="where the pictures are written as <id>.png (default: demo-output/)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        help=f"seconds the whole run may take (default: {DEFAULT_TIMEOUT_SECONDS:.0f})",
    )
    parser.add_argument(
        "--moto-port", type=int, help="port for moto's server (default: a free one)"
    )
    parser.add_argument(
        "--events-json", type=Path, help="also write the pictures and received events as JSON"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show the handlers' INFO logs (JSON lines)"
    )
    arguments = parser.parse_args(argv)
    arguments.all_prompts = [p.strip() for p in [*arguments.prompt, *arguments.prompts]]
    if not arguments.all_prompts:
        parser.error("give at least one --prompt")
    if any(not p for p in arguments.all_prompts):
        parser.error("prompts must not be blank")
    if arguments.timeout <= 0:
        parser.error("--timeout must be positive")
    if arguments.moto_port is not None and not 1 <= arguments.moto_port <= 65535:
        parser.error("--moto-port must be between 1 and 65535")
    return arguments


def isolate_from_real_aws(config_dir: Path) -> None:
    """Fake credentials, no profile, no user config: nothing here can reach a real account."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in {
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_ROLE_ARN",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        }:
            del os.environ[name]
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(config_dir / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(config_dir / "aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            # Every server is on loopback: a configured proxy must not see the traffic.
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
    )


def check_tools() -> None:
    missing = [tool for tool in ("terraform", "node") if shutil.which(tool) is None]
    if missing:
        raise SetupError(
            f"missing on PATH: {', '.join(missing)}. The demo needs Terraform 1.11.4 (to "
            "create the emulator's resources) and Node 20 (to run the AppSync resolvers)."
        )


@contextmanager
def moto_server(port: int | None) -> Iterator[MotoServer]:
    """moto's server for the run; a failure to start it is a set-up error for the user."""
    try:
        server = MotoServer(port).start()
    except PortInUseError as error:
        raise SetupError(
            f"{error}; stop what listens there or leave out --moto-port to let the demo "
            "pick a free one"
        ) from None
    except MotoServerError as error:
        raise SetupError(str(error)) from None
    try:
        yield server
    finally:
        server.stop()


def run(arguments: argparse.Namespace, progress: Progress) -> PictureRun:
    deadline = Deadline(arguments.timeout)
    check_tools()
    with tempfile.TemporaryDirectory(prefix="aipic-demo-") as temp:
        temp_dir = Path(temp)
        isolate_from_real_aws(temp_dir)
        progress.step("starting moto's server on 127.0.0.1")
        with moto_server(arguments.moto_port) as moto:
            progress.step(f"moto's server is up at {moto.url} (pid {moto.pid})")
            settings = DemoSettings(
                prompts=arguments.all_prompts,
                fail=arguments.fail,
                output_dir=arguments.output_dir,
                deadline=deadline,
                region=REGION,
                moto_url=moto.url,
                replicate_api_token=f"r8_local_{secrets.token_hex(16)}",
                webhook_secret="whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(),
                handler_log_level="INFO" if arguments.verbose else "ERROR",
            )
            environment = apply_terraform(settings, temp_dir, progress)
            os.environ.update(handler_environment(settings, environment))
            with PictureRun(settings, environment, progress) as pictures:
                try:
                    pictures.subscribe_users()
                    progress.step(
                        f"{len(pictures.subscribers)} user(s) subscribed; "
                        f"creating {len(pictures.pictures)} picture(s)"
                    )
                    pictures.create_pictures()
                    pictures.pump_events()
                    pictures.download_pictures()
                finally:
                    write_events_json(arguments.events_json, pictures, moto)
                progress.step("stopping the stand-ins and moto's server")
        return pictures


def apply_terraform(settings: DemoSettings, temp_dir: Path, progress: Progress) -> LocalEnvironment:
    terraform = LocalTerraform(
        moto_url=settings.moto_url,
        region=settings.region,
        state_dir=temp_dir,
        name_prefix=NAME_PREFIX,
        replicate_api_token=settings.replicate_api_token,
        webhook_secret=settings.webhook_secret,
        deadline=settings.deadline,
    )
    progress.step("terraform init (terraform/environments/local)")
    terraform.init()
    progress.step("terraform apply against moto: KMS key, table + stream, bucket, 2 parameters")
    skipped = terraform.apply()
    environment = terraform.outputs()
    progress.step(
        f"applied: table {environment.table_name}, bucket {environment.bucket_name}, "
        f"parameters {environment.replicate_token_parameter_name} and "
        f"{environment.webhook_secret_parameter_name}"
    )
    for address, reason in skipped.items():
        progress.detail(f"left out: {address} ({reason})")
    return environment


def write_events_json(path: Path | None, pictures: PictureRun, moto: MotoServer) -> None:
    if path is None:
        return
    document = {**pictures.as_json(), "moto": {"url": moto.url, "port": moto.port, "pid": moto.pid}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")


def print_summary(pictures: PictureRun, progress: Progress) -> None:
    for number, picture in enumerate(pictures.pictures, start=1):
        print()
        print(f"Picture {number}: {picture.user}, prompt {picture.prompt!r}")
        print(f"  id        {picture.pic_id}")
        if picture.file is not None:
            print(f"  file      {picture.file} ({picture.file_bytes} bytes, PNG)")
        history = [f"{picture.started_status} (createAIPic answer)", *picture.statuses]
        print(f"  statuses  {' → '.join(history)}   (after the first: as the subscriber got them)")
        if picture.failure_reason:
            print(f"  reason    {picture.failure_reason}")
        hops = ", ".join(
            f"{label} {picture.timings[hop]:.2f}s" for hop, label in HOPS if hop in picture.timings
        )
        print(f"  hops      {hops}")
        if picture.total_seconds is not None:
            print(f"  total     {picture.total_seconds:.2f}s from createAIPic to the subscriber")
    print()
    print(f"Done in {progress.elapsed():.1f}s; nothing left running.")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    progress = Progress()
    try:
        pictures = run(arguments, progress)
    except DemoError as error:
        print(f"\ndemo failed: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("\ndemo interrupted; everything it started has been stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    print_summary(pictures, progress)
    try:
        pictures.check_outcome()
    except DemoError as error:
        print(f"\ndemo failed: {error}", file=sys.stderr)
        return error.exit_code
    return EXIT_OK
