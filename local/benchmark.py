"""Benchmarks whose figures the README quotes; run with `make bench` (not a test).

Measures, in one run, and prints as a markdown table:

1. cold import time of each handler module against bare ``import boto3``, each in a
   fresh interpreter, median of several runs: once with bytecode already cached, once
   compiling from source as Lambda must (the zips carry no ``.pyc`` and the code
   directories are read-only, so every cold start compiles the package and the layer);
2. the artifact sizes from ``dist/manifest.json`` (and the layer's unzipped size);
3. peak memory growth of the webhook handler streaming a 1 MiB and a 64 MiB image
   from a local image server through a signed webhook into S3 (moto's server in its
   own process, so moto's storage is not counted): the rise of the handler process's
   peak RSS over its RSS before the call (after warm-up calls, as in a warm Lambda
   environment), and the peak of Python allocations during the call (tracemalloc);
4. the time of a ``build.py`` run with nothing changed.

Every server listens on 127.0.0.1 and is stopped at the end; every loop is bounded.
"""

from __future__ import annotations

import argparse
import base64
import gc
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_SRC = REPO_ROOT / "lambda_src"
BUILD_PY = REPO_ROOT / "build.py"
HANDLER_MODULES = tuple(
    f"aipic.handlers.{name}" for name in ("generate", "webhook", "on_upload", "publish")
)
MIB = 1024 * 1024
STREAMED_SIZES = (1 * MIB, 64 * MIB)
# Warm-up images: a single put_object and a two-part multipart upload, so the
# measured invocations pay for no first-use setup (clients, connections, models).
WARM_UP_SIZES = (64 * 1024, 6 * MIB)
MEMORY_LIMIT_MIB = 16

REGION = "us-east-1"
TABLE = "bench-pics"
BUCKET = "bench-pics-bucket"
SECRET_PARAMETER = "/bench/replicate-webhook-secret"
OWNER = "bench-owner"

DUMMY_SETTINGS = {
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "PICS_TABLE_NAME": TABLE,
    "PICS_BUCKET_NAME": BUCKET,
    "REPLICATE_API_TOKEN_PARAMETER": "/bench/replicate-api-token",
    "REPLICATE_MODEL_VERSION": "bench-model-version",
    "WEBHOOK_URL": "https://example.execute-api.us-east-1.amazonaws.com/webhooks/replicate",
    "WEBHOOK_SECRET_PARAMETER": SECRET_PARAMETER,
    "APPSYNC_GRAPHQL_URL": "https://example.appsync-api.us-east-1.amazonaws.com/graphql",
    "POWERTOOLS_LOG_LEVEL": "ERROR",  # keep the handler's JSON logs out of the figures
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}


def lambda_environment(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        **DUMMY_SETTINGS,
        "PYTHONPATH": os.pathsep.join([str(LAMBDA_SRC), str(REPO_ROOT)]),
        **extra,
    }


# ---------------------------------------------------------------- 1. import times


def import_seconds(module: str, env: Mapping[str, str]) -> float:
    code = (
        "import time; started = time.perf_counter(); "
        f"import {module}; print(time.perf_counter() - started)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=dict(env),
        timeout=60,
    )
    return float(result.stdout.strip().splitlines()[-1])


def median_import_seconds(modules: tuple[str, ...], runs: int, *, compile: bool) -> list[float]:
    """Median per module; rounds interleave the modules so load spikes hit all alike."""
    samples: dict[str, list[float]] = {module: [] for module in modules}
    for _ in range(runs):
        for module in modules:
            with tempfile.TemporaryDirectory(prefix="bench-pycache-") as pycache:
                # A fresh, empty bytecode cache: every module is compiled, as in Lambda.
                extra = {"PYTHONPYCACHEPREFIX": pycache} if compile else {}
                samples[module].append(import_seconds(module, lambda_environment(**extra)))
    return [statistics.median(samples[module]) for module in modules]


def import_rows(runs: int, compile_runs: int) -> list[tuple[str, float, float]]:
    modules = ("boto3", *HANDLER_MODULES)
    for module in modules:
        import_seconds(module, lambda_environment())  # writes the bytecode cache
    cached = median_import_seconds(modules, runs, compile=False)
    compiled = median_import_seconds(modules, compile_runs, compile=True)
    return list(zip(modules, cached, compiled, strict=True))


# ---------------------------------------------------------------- 2 + 4. build


def run_build(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(BUILD_PY), *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return time.perf_counter() - started


@dataclass(frozen=True)
class BuildFigures:
    fresh_seconds: float
    noop_seconds: float
    manifest: dict[str, Any]
    layer_unzipped_bytes: int


def build_figures(runs: int) -> BuildFigures:
    with tempfile.TemporaryDirectory(prefix="bench-dist-") as out:
        fresh = run_build("--out", out)
    run_build()  # bring dist/ up to date (make bench has already built it)
    noop = statistics.median(run_build() for _ in range(runs))
    dist = REPO_ROOT / "dist"
    manifest = json.loads((dist / "manifest.json").read_text())
    layer = dist / manifest["artifacts"]["dependencies_layer"]["path"]
    with zipfile.ZipFile(layer) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    return BuildFigures(fresh, noop, manifest, unzipped)


# ---------------------------------------------------------------- 3. webhook memory


def start_prediction(replicate: Any) -> dict[str, Any]:
    """Create a prediction on the stand-in (no webhook: the benchmark delivers it)."""
    import requests

    from local.replicate.standin import MODEL_VERSION

    response = requests.post(
        f"{replicate.base_url}/predictions",
        json={"version": MODEL_VERSION, "input": {"prompt": "a benchmark"}},
        timeout=10,
    )
    response.raise_for_status()
    prediction: dict[str, Any] = response.json()
    return prediction


def prepare_aws(endpoint: str, secret: str, prediction_ids: Mapping[str, str]) -> Any:
    """The bucket, the signing secret and one PROCESSING picture per prediction."""
    import boto3

    from tests.support.pics_table import create_pics_table

    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    s3 = session.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket=BUCKET)
    session.client("ssm", endpoint_url=endpoint).put_parameter(
        Name=SECRET_PARAMETER, Value=secret, Type="SecureString"
    )
    dynamodb = session.client("dynamodb", endpoint_url=endpoint)
    create_pics_table(dynamodb, TABLE)
    now = "2025-01-01T00:00:00.000Z"
    for pic_id, prediction_id in prediction_ids.items():
        dynamodb.put_item(
            TableName=TABLE,
            Item={
                "id": {"S": pic_id},
                "owner": {"S": OWNER},
                "prompt": {"S": "a benchmark"},
                "completionStatus": {"S": "PROCESSING"},
                "predictionId": {"S": prediction_id},
                "createdAt": {"S": now},
                "updatedAt": {"S": now},
            },
        )
    return s3


def proc_status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak_rss() -> None:
    # Linux: writing 5 resets the peak resident set size (VmHWM) to the current one.
    Path("/proc/self/clear_refs").write_text("5")


def webhook_child(plan: dict[str, Any]) -> None:
    """In a fresh interpreter: warm up, then measure each streamed image's RSS growth."""
    import aipic.handlers.webhook as webhook

    from local.replicate.standin import signed_webhook_headers
    from local.runtime.events import api_gateway_v2_event, lambda_context

    def invoke(pic_id: str, body_text: str) -> None:
        body = body_text.encode()
        event = api_gateway_v2_event(
            body=body,
            headers=signed_webhook_headers(plan["secret"], body),
            raw_query_string=f"id={pic_id}",
        )
        response: dict[str, Any] = webhook.handler(event, lambda_context("aipic-webhook"))
        if response["statusCode"] != 200 or "image stored" not in response["body"]:
            raise RuntimeError(f"webhook answered {response} for {pic_id}")

    for pic_id, body_text in plan["warm_up"]:
        invoke(pic_id, body_text)
    results = []
    for pic_id, body_text in plan["measured"]:
        gc.collect()
        reset_peak_rss()
        before = proc_status_kib("VmRSS")
        started = time.perf_counter()
        invoke(pic_id, body_text)
        seconds = time.perf_counter() - started
        growth = proc_status_kib("VmHWM") - before
        results.append({"pic_id": pic_id, "growth_kib": growth, "seconds": seconds})
    rss_kib = proc_status_kib("VmRSS")
    # Second pass, traced: the peak of Python's own allocations during the call, which
    # memory the allocator kept from earlier calls cannot hide. (The picture is still
    # PROCESSING, so the same webhook stores the image again.)
    for result, (pic_id, body_text) in zip(results, plan["measured"], strict=True):
        gc.collect()
        tracemalloc.start()
        invoke(pic_id, body_text)
        result["traced_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(json.dumps({"results": results, "rss_kib": rss_kib}))


@dataclass(frozen=True)
class MemoryFigure:
    size: int
    growth_kib: int
    traced_peak_bytes: int
    seconds: float


def webhook_memory_figures() -> tuple[list[MemoryFigure], int]:
    from local.emulator.server import MotoServer
    from local.replicate.standin import ReplicateStandIn

    secret = "whsec_" + base64.b64encode(hashlib.sha256(b"benchmark").digest()).decode()
    # One stand-in per image size: it serves each prediction's file as a generated PNG
    # of about that size, streamed, so serving 64 MiB costs it almost no memory.
    sizes = {f"warm-up-{size}": size for size in WARM_UP_SIZES}
    sizes |= {f"stream-{size // MIB}mib": size for size in STREAMED_SIZES}
    with ExitStack() as stack:
        # Its own process, so the objects it stores are not counted.
        endpoint = stack.enter_context(MotoServer()).url
        finals: dict[str, dict[str, Any]] = {}
        for pic_id, size in sizes.items():
            replicate = stack.enter_context(
                ReplicateStandIn(webhook_secret=secret, large_image_bytes=size)
            )
            finals[pic_id] = replicate.final_prediction(start_prediction(replicate)["id"])
        s3 = prepare_aws(endpoint, secret, {pic: final["id"] for pic, final in finals.items()})
        bodies = {pic_id: json.dumps(final) for pic_id, final in finals.items()}
        plan = {
            "secret": secret,
            "warm_up": [(pic_id, bodies[pic_id]) for pic_id in sizes if pic_id.startswith("w")],
            "measured": [(pic_id, bodies[pic_id]) for pic_id in sizes if pic_id.startswith("s")],
        }
        env = lambda_environment(
            AWS_ENDPOINT_URL=endpoint,
            IMAGE_HOST_ALLOWLIST="127.0.0.1",
            ALLOWED_IMAGE_URL_SCHEMES="http",
            MAX_IMAGE_BYTES=str(2 * max(STREAMED_SIZES)),
        )
        completed = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--webhook-child", json.dumps(plan)],
            capture_output=True,
            text=True,
            env=env,
            timeout=150,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"webhook measurement failed:\n{completed.stderr[-3000:]}")
        report = json.loads(completed.stdout.strip().splitlines()[-1])
        figures = []
        for result in report["results"]:
            # The stored object's size: the figure is for a complete transfer.
            key = f"pics/{OWNER}/{result['pic_id']}.png"
            stored = int(s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"])
            if abs(stored - sizes[result["pic_id"]]) > sizes[result["pic_id"]] // 10:
                raise RuntimeError(f"{key} holds {stored} bytes, not about the size served")
            figures.append(
                MemoryFigure(
                    size=stored,
                    growth_kib=result["growth_kib"],
                    traced_peak_bytes=result["traced_peak_bytes"],
                    seconds=result["seconds"],
                )
            )
    return figures, report["rss_kib"]


# ---------------------------------------------------------------- report


def mib(byte_count: float) -> str:
    return f"{byte_count / MIB:.2f} MiB"


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def print_report(
    imports: list[tuple[str, float, float]],
    build: BuildFigures,
    memory: list[MemoryFigure],
    rss_kib: int,
    runs: int,
    compile_runs: int,
) -> None:
    print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}\n"
    )
    boto3_compiled = imports[0][2]
    print(
        f"| import (fresh interpreter) | bytecode cached, median of {runs} "
        f"| compiled from source, median of {compile_runs} | over boto3 (compiled) |"
    )
    print("| --- | ---: | ---: | ---: |")
    for module, cached, compiled in imports:
        extra = "" if module == "boto3" else f"{(compiled - boto3_compiled) * 1000:+.0f} ms"
        print(f"| `{module}` | {milliseconds(cached)} | {milliseconds(compiled)} | {extra} |")

    artifacts = build.manifest["artifacts"]
    print(f"\n| artifact ({build.manifest['architecture']}) | size |")
    print("| --- | ---: |")
    print(f"| `functions.zip` | {artifacts['functions']['size'] / 1024:.1f} KiB |")
    layer_size = artifacts["dependencies_layer"]["size"]
    print(f"| `dependencies-layer.zip` | {mib(layer_size)} |")
    print(f"| layer unzipped | {mib(build.layer_unzipped_bytes)} |")

    print(
        "\n| webhook streaming an image into S3 | peak RSS growth "
        "| peak Python allocations (tracemalloc) | time |"
    )
    print("| --- | ---: | ---: | ---: |")
    for figure in memory:
        verdict = "ok" if figure.growth_kib < MEMORY_LIMIT_MIB * 1024 else "OVER LIMIT"
        print(
            f"| {mib(figure.size)} | {figure.growth_kib / 1024:.2f} MiB "
            f"(limit {MEMORY_LIMIT_MIB} MiB: {verdict}) | {mib(figure.traced_peak_bytes)} "
            f"| {milliseconds(figure.seconds)} |"
        )
    print(f"\nProcess RSS after the measured runs: {rss_kib / 1024:.0f} MiB.")

    print("\n| build.py | time |")
    print("| --- | ---: |")
    print(f"| fresh output directory (pip install + zips) | {milliseconds(build.fresh_seconds)} |")
    print(f"| nothing changed (no-op), median of {runs} | {milliseconds(build.noop_seconds)} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per median (default 7)")
    parser.add_argument(
        "--compile-runs", type=int, default=5, help="runs per compile-from-source median"
    )
    parser.add_argument("--webhook-child", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.webhook_child:
        webhook_child(json.loads(arguments.webhook_child))
        return 0
    if not 1 <= arguments.runs <= 50 or not 1 <= arguments.compile_runs <= 50:
        parser.error("--runs and --compile-runs must be between 1 and 50")

    imports = import_rows(arguments.runs, arguments.compile_runs)
    build = build_figures(arguments.runs)
    memory, rss_kib = webhook_memory_figures()
    print_report(imports, build, memory, rss_kib, arguments.runs, arguments.compile_runs)
    over = [figure for figure in memory if figure.growth_kib >= MEMORY_LIMIT_MIB * 1024]
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
