"""Benchmarks whose figures the README quotes; run with ``make bench`` (a script, not a test).

1. **Cold start as Lambda pays it** (the table that decides): for each handler, paired
   rounds of two fresh interpreters, one running bare ``import boto3`` (the runtime's
   packages alone: what a function without our code and layer pays) and one importing
   the handler module, back to back in alternating order; the figure is the median of
   the per-round ratios, with its spread. The handler's interpreter sees what a Lambda
   execution environment has:

   * the runtime's boto3 and its dependencies (``RUNTIME_PROVIDED_DISTRIBUTIONS``)
     copied from this environment and precompiled, as in Lambda's image;
   * ``dist/functions.zip`` unzipped into a task root, so exactly the bytecode the zip
     carries is used (none, if it carries none), and any layer the manifest lists into
     an ``/opt``-like directory (today none: ``build.py`` makes no layer);
   * ``sys.path`` in Lambda's order: task root, the layer directories (empty without a
     layer, as in Lambda), the runtime's packages, then the standard library; ``-S``
     keeps this machine's site-packages off it and ``-B``/``PYTHONDONTWRITEBYTECODE``
     keep any ``.pyc`` from being written between samples (checked: the directories
     are compared before and after, and every imported module must come from one of
     them);

   plus, per handler, where the import time goes (``-X importtime`` self times summed per
   origin: our code, each layer package, the runtime's packages; a standard-library module
   counts for the package that first imported it).
2. The artifact size from ``dist/manifest.json``.
3. Peak memory growth of the webhook handler streaming a 1 MiB and a 64 MiB image from a
   local image server through a signed webhook into S3 (moto's server in its own process,
   so moto's storage is not counted), after warm-up calls as in a warm environment; and,
   side by side in the same run, the 64 MiB transfer's throughput with the upload
   overlapping the download (``PART_BUFFERS`` as shipped: two parts in flight) and without
   (1: each part stored before the next is read, as before), in paired rounds of
   alternating order, over each of the file host's links (``FILE_HOST_LINKS``: unpaced,
   the emulator's own ceiling, and paced like a CDN, where the download waits on the
   link).
4. The time of a ``build.py`` run into a fresh directory and of one with nothing changed.
5. Only with ``--latency`` (it starts the whole local stack, ``local.stack.LocalStack``):
   webhook received → subscriber notified for ``--latency-pictures`` pictures created at
   once by as many users over the real clients (the soak's machinery, no faults): from
   the Replicate stand-in sending a picture's last webhook (its ``completed`` event) to
   the owner's subscription receiving the picture's final status; the budget is 1 s.

The figures are printed as markdown tables and written as JSON (``--output``) with the
date, Python version and machine. Paired rounds make the ratio robust to a busy machine,
but the published figures should come from an idle one. Every server listens on
127.0.0.1 and is stopped at the end; every loop is bounded.
"""

from __future__ import annotations

import argparse
import base64
import compileall
import datetime
import gc
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aipic.contract import env_name

from build import PYTHON_VERSION, RUNTIME

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from botocore.model import OperationModel

    from local.replicate.standin import ReplicateStandIn
    from local.runtime.invocations import InvocationRecord
    from local.soak import Soak

REPO_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_SRC = REPO_ROOT / "lambda_src"
BUILD_PY = REPO_ROOT / "build.py"
HANDLER_MODULES = tuple(
    f"aipic.handlers.{name}" for name in ("generate", "webhook", "on_upload", "publish")
)
BASELINE_MODULE = "boto3"
# What Lambda's python3.12 runtime ships: boto3 and every distribution it depends on.
RUNTIME_PROVIDED_DISTRIBUTIONS = frozenset(
    {"boto3", "botocore", "jmespath", "python-dateutil", "s3transfer", "six", "urllib3"}
)
COLD_START_BUDGET = 1.3  # a handler's cold import over bare `import boto3`
MIB = 1024 * 1024
STREAMED_SIZES = (1 * MIB, 64 * MIB)
# Warm-up images: a single put_object and a two-part multipart upload, so the
# measured invocations pay for no first-use setup (clients, connections, models).
WARM_UP_SIZES = (64 * 1024, 6 * MIB)
MEMORY_LIMIT_MIB = 16
STREAMING_ROUNDS = 8  # paired rounds: one transfer with overlap, one without, each
STREAMING_GAIN_TARGET = 1.2  # overlap's throughput over no overlap
# image_transfer.PART_BUFFERS for "no overlap": each part stored before the next is read.
NO_OVERLAP_PART_BUFFERS = 1
# The file host's links for the side-by-side transfers (name -> bytes per second): none,
# where the stand-in sends as fast as the shared cores let it and the emulator's ingest
# is the ceiling (the setting the target was set on), and a CDN-like bandwidth, where the
# download waits on the network as from Lambda and the kernel's socket buffers already
# absorb what arrives while a part uploads.
FILE_HOST_LINKS: dict[str, int | None] = {"unpaced": None, "paced": 64 * MIB}
TARGET_LINK = "unpaced"
LATENCY_BUDGET_SECONDS = 1.0  # webhook received → subscriber notified, median
LATENCY_PICTURES = 20
SAMPLE_TIMEOUT_SECONDS = 60

REGION = "us-east-1"
TABLE = "bench-pics"
BUCKET = "bench-pics-bucket"
SECRET_PARAMETER = "/bench/replicate-webhook-secret"  # noqa: S105 - a parameter name
OWNER = "bench-owner"

DUMMY_SETTINGS = {
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # moto's fake credentials
    env_name("pics_table_name"): TABLE,
    env_name("pics_bucket_name"): BUCKET,
    env_name("replicate_api_token_parameter"): "/bench/replicate-api-token",
    env_name("replicate_model"): "stability-ai/stable-diffusion-3.5-large",
    env_name(
        "webhook_url"
    ): "https://example.execute-api.us-east-1.amazonaws.com/webhooks/replicate",
    env_name("webhook_secret_parameter"): SECRET_PARAMETER,
    env_name("appsync_graphql_url"): "https://example.appsync-api.us-east-1.amazonaws.com/graphql",
    env_name("log_level"): "ERROR",  # keep the handler's JSON logs out of the figures
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}


def lambda_environment(**extra: str) -> dict[str, str]:
    """The dev environment's interpreter with the source tree on the path (memory figures)."""
    return {
        **os.environ,
        **DUMMY_SETTINGS,
        "PYTHONPATH": os.pathsep.join([str(LAMBDA_SRC), str(REPO_ROOT)]),
        **extra,
    }


# ---------------------------------------------------------------- 1. cold start


@dataclass(frozen=True)
class LambdaTree:
    """Directories laid out as in a Lambda execution environment, in ``sys.path`` order."""

    task_root: Path
    layer_paths: tuple[Path, ...]
    runtime_packages: Path

    @property
    def search_path(self) -> tuple[Path, ...]:
        return (self.task_root, *self.layer_paths, self.runtime_packages)


def unzip(archive_path: Path, into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive_path) as archive:
        archive.extractall(into)


def copy_runtime_distributions(into: Path) -> list[str]:
    """Copy the distributions the runtime ships from this environment; return name==version."""
    into.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in sorted(RUNTIME_PROVIDED_DISTRIBUTIONS):
        distribution = importlib.metadata.distribution(name)
        for file in distribution.files or ():
            if ".." in file.parts or "__pycache__" in file.parts:
                continue  # console scripts outside site-packages; stale bytecode
            source = Path(str(distribution.locate_file(file)))
            destination = into / file
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
        copied.append(f"{name}=={distribution.version}")
    return copied


def set_writable(root: Path, writable: bool) -> None:
    """Read-only as in Lambda (binding for non-root users; the file check covers root)."""
    for directory, _, files in os.walk(root):
        os.chmod(directory, 0o755 if writable else 0o555)
        for name in files:
            os.chmod(Path(directory) / name, 0o644 if writable else 0o444)


@contextmanager
def lambda_tree(dist: Path) -> Iterator[tuple[LambdaTree, list[str]]]:
    manifest = json.loads((dist / "manifest.json").read_text())
    artifacts = manifest["artifacts"]
    with tempfile.TemporaryDirectory(prefix="bench-lambda-") as scratch:
        root = Path(scratch)
        tree = LambdaTree(
            task_root=root / "var" / "task",
            layer_paths=(
                root / "opt" / "python" / "lib" / f"python{PYTHON_VERSION}" / "site-packages",
                root / "opt" / "python",
            ),
            runtime_packages=root / "var" / "lang" / "lib" / f"python{PYTHON_VERSION}" / "rt",
        )
        unzip(dist / artifacts["functions"]["path"], tree.task_root)
        for key, artifact in artifacts.items():
            if key != "functions":  # a layer, were there one
                unzip(dist / artifact["path"], root / "opt")
        runtime_distributions = copy_runtime_distributions(tree.runtime_packages)
        # Lambda's image carries the runtime's bytecode; ours, none but what the zips hold.
        compileall.compile_dir(tree.runtime_packages, quiet=2, workers=1)
        set_writable(root, writable=False)
        try:
            yield tree, runtime_distributions
        finally:
            set_writable(root, writable=True)


def tree_files(tree: LambdaTree) -> set[str]:
    found: set[str] = set()
    for top in (tree.task_root, tree.layer_paths[-1], tree.runtime_packages):
        for directory, _, files in os.walk(top):
            found.update(os.path.join(directory, name) for name in files)
    return found


# Runs in the measured interpreter: times the import, then reports (outside the timing)
# where every loaded module came from and whether a .pyc sat beside it.
CHILD_CODE = """
import sys, time
started = time.perf_counter()
__import__(sys.argv[1])
elapsed = time.perf_counter() - started
import json, os
roots = sys.argv[2:]
stdlib = os.path.dirname(os.__file__)
origins, strays, shipped, with_bytecode = {}, [], 0, 0
for name, module in list(sys.modules.items()):
    path = getattr(module, "__file__", None)
    if not path:
        continue
    root = next((r for r in roots if path.startswith(r + os.sep)), None)
    if root is None:
        if not path.startswith(stdlib + os.sep):
            strays.append(path)
        continue
    origins[name] = root
    if root != roots[-1]:
        shipped += 1
        cached = getattr(module, "__cached__", None)
        with_bytecode += bool(cached and os.path.exists(cached))
print(json.dumps({"seconds": elapsed, "origins": origins, "strays": strays,
                  "shipped_modules": shipped, "with_bytecode": with_bytecode}))
"""


@dataclass(frozen=True)
class Sample:
    seconds: float
    origins: dict[str, str]  # module → the search-path directory it was loaded from
    shipped_modules: int  # modules loaded from the task root or the layer
    with_bytecode: int  # of those, how many had their .pyc shipped beside them
    importtime: str  # -X importtime's report (when asked for)


def child_environment(tree: LambdaTree, search_path: Sequence[Path]) -> dict[str, str]:
    environment = {
        key: value for key, value in DUMMY_SETTINGS.items() if not key.lower().endswith("proxy")
    }
    return {
        **environment,
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "LAMBDA_TASK_ROOT": str(tree.task_root),
        "PYTHONPATH": os.pathsep.join(str(path) for path in search_path),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def sample(tree: LambdaTree, module: str, *, importtime: bool = False) -> Sample:
    """One fresh interpreter; bare boto3 sees only the runtime (no layer, no function code)."""
    search_path = tree.search_path if module != BASELINE_MODULE else (tree.runtime_packages,)
    flags = ["-S", "-P", "-B", *(["-X", "importtime"] if importtime else [])]
    roots = [str(path) for path in search_path]
    completed = subprocess.run(  # noqa: S603 - our interpreter, fixed code, no shell
        [sys.executable, *flags, "-c", CHILD_CODE, module, *roots],
        capture_output=True,
        text=True,
        check=False,
        env=child_environment(tree, search_path),
        cwd=tree.task_root,
        timeout=SAMPLE_TIMEOUT_SECONDS,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"importing {module} failed:\n{completed.stderr[-3000:]}")
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    if report["strays"]:
        raise RuntimeError(f"{module} loaded modules from outside the tree: {report['strays']}")
    return Sample(
        seconds=report["seconds"],
        origins=report["origins"],
        shipped_modules=report["shipped_modules"],
        with_bytecode=report["with_bytecode"],
        importtime=completed.stderr if importtime else "",
    )


@dataclass
class ColdStart:
    handler: str
    ratios: list[float]  # per round: handler import / bare boto3 import
    handler_ms: list[float]
    boto3_ms: list[float]
    shipped_modules: int
    with_bytecode: int

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    @property
    def quartiles(self) -> tuple[float, float]:
        if len(self.ratios) < 2:
            return self.ratios[0], self.ratios[0]
        first, _, third = statistics.quantiles(self.ratios, n=4, method="inclusive")
        return first, third

    def summary(self) -> dict[str, object]:
        q1, q3 = self.quartiles
        return {
            "ratio_median": round(self.median, 3),
            "ratio_q1": round(q1, 3),
            "ratio_q3": round(q3, 3),
            "ratio_min": round(min(self.ratios), 3),
            "ratio_max": round(max(self.ratios), 3),
            "handler_ms_median": round(statistics.median(self.handler_ms), 1),
            "boto3_ms_median": round(statistics.median(self.boto3_ms), 1),
            "rounds": len(self.ratios),
            "shipped_modules_loaded": self.shipped_modules,
            "of_which_with_bytecode": self.with_bytecode,
            "within_budget": self.median <= COLD_START_BUDGET,
        }


def paired_cold_starts(tree: LambdaTree, rounds: int) -> list[ColdStart]:
    """Each round, per handler: boto3 and the handler back to back, the order alternating."""
    for module in (BASELINE_MODULE, *HANDLER_MODULES):
        sample(tree, module)  # warm the page cache; not counted
    results = {handler: ColdStart(handler, [], [], [], 0, 0) for handler in HANDLER_MODULES}
    for round_number in range(rounds):
        for index, handler in enumerate(HANDLER_MODULES):
            pair = [BASELINE_MODULE, handler]
            if (round_number + index) % 2:
                pair.reverse()
            measured = {module: sample(tree, module) for module in pair}
            result = results[handler]
            result.ratios.append(measured[handler].seconds / measured[BASELINE_MODULE].seconds)
            result.handler_ms.append(measured[handler].seconds * 1000)
            result.boto3_ms.append(measured[BASELINE_MODULE].seconds * 1000)
            result.shipped_modules = measured[handler].shipped_modules
            result.with_bytecode = measured[handler].with_bytecode
    return list(results.values())


IMPORTTIME_LINE = re.compile(r"^import time:\s+(\d+) \|\s+\d+ \|( *)(\S+)$")


@dataclass
class ImportNode:
    name: str
    self_us: int
    depth: int
    children: list[ImportNode] = field(default_factory=list)


def import_tree(report: str) -> list[ImportNode]:
    """``-X importtime`` lists a module after its children, indented one more level."""
    stack: list[ImportNode] = []
    for line in report.splitlines():
        match = IMPORTTIME_LINE.match(line)
        if match is None:
            continue
        node = ImportNode(match[3], int(match[1]), len(match[2]) // 2)
        while stack and stack[-1].depth > node.depth:
            node.children.insert(0, stack.pop())
        stack.append(node)
    return stack


def origin_label(tree: LambdaTree, module: str, origin: str | None) -> str | None:
    """Where a module came from, or None for the standard library."""
    if origin is None:
        return None
    top = module.split(".")[0]
    path = Path(origin)
    if path == tree.task_root:
        return f"function code ({top})"
    if path == tree.runtime_packages:
        return "runtime: boto3 and its dependencies"
    return f"layer: {top}"


def cost_by_origin(tree: LambdaTree, result: Sample) -> dict[str, float]:
    """Milliseconds of import self time per origin; stdlib counts for its first importer."""
    totals: dict[str, float] = {}

    def visit(node: ImportNode, inherited: str) -> None:
        label = origin_label(tree, node.name, result.origins.get(node.name)) or inherited
        totals[label] = totals.get(label, 0.0) + node.self_us / 1000
        for child in node.children:
            visit(child, label)

    for root in import_tree(result.importtime):
        visit(root, "standard library")
    return totals


def import_costs(tree: LambdaTree, samples: int) -> dict[str, dict[str, float]]:
    """Median milliseconds per origin, per module (bare boto3 first)."""
    costs: dict[str, dict[str, float]] = {}
    for module in (BASELINE_MODULE, *HANDLER_MODULES):
        runs = [cost_by_origin(tree, sample(tree, module, importtime=True)) for _ in range(samples)]
        labels = sorted({label for run in runs for label in run})
        costs[module] = {
            label: round(statistics.median(run.get(label, 0.0) for run in runs), 1)
            for label in labels
        }
    return costs


@dataclass(frozen=True)
class ColdStartFigures:
    results: list[ColdStart]
    costs: dict[str, dict[str, float]]
    runtime_distributions: list[str]


def cold_start_figures(dist: Path, rounds: int, cost_samples: int) -> ColdStartFigures:
    with lambda_tree(dist) as (tree, runtime):
        before = tree_files(tree)
        results = paired_cold_starts(tree, rounds)
        costs = import_costs(tree, cost_samples)
        written = tree_files(tree) - before
        if written:
            raise RuntimeError(f"files were written between samples: {sorted(written)[:5]}")
    return ColdStartFigures(results, costs, runtime)


# ---------------------------------------------------------------- 2 + 4. build


def run_build(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - our interpreter and build script, no shell
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


def build_figures(runs: int) -> BuildFigures:
    with tempfile.TemporaryDirectory(prefix="bench-dist-") as out:
        fresh = run_build("--out", out)
    run_build()  # bring dist/ up to date (make bench has already built it)
    noop = statistics.median(run_build() for _ in range(runs))
    manifest = json.loads((REPO_ROOT / "dist" / "manifest.json").read_text())
    return BuildFigures(fresh, noop, manifest)


# ---------------------------------------------------------------- 3. webhook memory


def start_prediction(replicate: ReplicateStandIn) -> dict[str, Any]:
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


def prepare_aws(endpoint: str, secret: str, prediction_ids: Mapping[str, str]) -> BaseClient:
    """The bucket, the signing secret and one PROCESSING picture per prediction."""
    import boto3

    from local.pics_table import create_pics_table

    session = boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's fake credentials
        region_name=REGION,
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
    s3_client: BaseClient = s3
    return s3_client


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
    from aipic.clients import s3_client

    from local.replicate.standin import signed_webhook_headers
    from local.runtime.events import api_gateway_v2_event, lambda_context

    def invoke(pic_id: str, body_text: str) -> None:
        body = body_text.encode()
        event = api_gateway_v2_event(
            body=body,
            headers=signed_webhook_headers(plan["secret"], body),
            raw_query_string=f"id={pic_id}",
        )
        handler: Callable[..., dict[str, Any]] = webhook.handler
        response = handler(event, lambda_context("aipic-webhook"))
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
    # Side by side: the same transfer with and without overlap, order alternating.
    from aipic import image_transfer

    shipped = image_transfer.PART_BUFFERS
    streaming = []
    # How long S3's calls take during the side-by-side transfers: what an overlap can hide.
    s3_calls: dict[str, list[float]] = {}
    call_started: dict[int, float] = {}
    completing_since: list[float] = []  # when the transfer's CompleteMultipartUpload began

    def before_call(model: OperationModel, **_: object) -> None:
        call_started[threading.get_ident()] = time.perf_counter()
        if model.name == "CompleteMultipartUpload":
            completing_since.append(call_started[threading.get_ident()])

    def after_call(model: OperationModel, **_: object) -> None:
        elapsed = time.perf_counter() - call_started.pop(threading.get_ident())
        s3_calls.setdefault(model.name, []).append(elapsed)

    events = s3_client().meta.events
    for operation in ("UploadPart", "CompleteMultipartUpload"):
        events.register(f"before-call.s3.{operation}", before_call)
        events.register(f"after-call.s3.{operation}", after_call)
    for pic_id, body_text, setting, link in plan["streaming"]:
        part_buffers = shipped if setting is None else setting
        image_transfer.PART_BUFFERS = part_buffers
        gc.collect()
        completing_since.clear()
        started = time.perf_counter()
        invoke(pic_id, body_text)
        seconds = time.perf_counter() - started
        streaming.append(
            {
                "link": link,
                "part_buffers": part_buffers,
                "seconds": seconds,
                "streamed_seconds": completing_since[0] - started,
            }
        )
    image_transfer.PART_BUFFERS = shipped
    for operation in ("UploadPart", "CompleteMultipartUpload"):
        events.unregister(f"before-call.s3.{operation}", before_call)
        events.unregister(f"after-call.s3.{operation}", after_call)
    # Second pass, traced: the peak of Python's own allocations during the call, which
    # memory the allocator kept from earlier calls cannot hide (pictures of their own: a
    # picture whose image is stored answers "already stored" without a transfer).
    for result, (pic_id, body_text) in zip(results, plan["traced"], strict=True):
        gc.collect()
        tracemalloc.start()
        invoke(pic_id, body_text)
        result["traced_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(
        json.dumps(
            {
                "results": results,
                "rss_kib": rss_kib,
                "streaming": streaming,
                "shipped": shipped,
                "s3_call_ms_median": {
                    name: round(statistics.median(seconds) * 1000, 1)
                    for name, seconds in s3_calls.items()
                },
            }
        )
    )


@dataclass(frozen=True)
class MemoryFigure:
    size: int
    growth_kib: int
    traced_peak_bytes: int
    seconds: float


@dataclass(frozen=True)
class PairedSeconds:
    """Seconds per paired round, with overlap and without."""

    overlapped: list[float]
    sequential: list[float]

    @property
    def gains(self) -> list[float]:
        return [
            sequential / overlapped
            for overlapped, sequential in zip(self.overlapped, self.sequential, strict=True)
        ]

    @property
    def gain(self) -> float:
        return statistics.median(self.gains)

    def summary(self, size: int) -> dict[str, object]:
        def mib_per_second(seconds: list[float]) -> float:
            return round(size / MIB / statistics.median(seconds), 1)

        return {
            "overlapped_seconds": [round(value, 3) for value in self.overlapped],
            "sequential_seconds": [round(value, 3) for value in self.sequential],
            "overlapped_mib_per_s_median": mib_per_second(self.overlapped),
            "sequential_mib_per_s_median": mib_per_second(self.sequential),
            "gain_median": round(self.gain, 3),
            "gain_min": round(min(self.gains), 3),
            "gain_max": round(max(self.gains), 3),
        }


@dataclass(frozen=True)
class StreamingFigure:
    """The 64 MiB transfer side by side from the file host over one of
    ``FILE_HOST_LINKS``: the whole webhook call, and its streaming (from the call's start
    until CompleteMultipartUpload is sent: the part the overlap works on; the completion
    after it, moto reassembling the parts, is the same with or without)."""

    link: str
    bytes_per_second: int | None  # the file host's cap; None: as fast as it can
    size: int
    part_buffers: int  # as shipped
    whole_call: PairedSeconds
    streaming: PairedSeconds

    def summary(self) -> dict[str, object]:
        return {
            "file_host_bytes_per_second": self.bytes_per_second,
            "size": self.size,
            "part_buffers": self.part_buffers,
            "whole_call": self.whole_call.summary(self.size),
            "streaming": self.streaming.summary(self.size),
            "target": STREAMING_GAIN_TARGET,
        }


def paired_seconds(
    runs: Sequence[Mapping[str, Any]], link: str, shipped: int, figure: str
) -> PairedSeconds:
    """One figure of the side-by-side runs over ``link``: as shipped, and without overlap."""

    def seconds(part_buffers: int) -> list[float]:
        return [
            float(run[figure])
            for run in runs
            if run["link"] == link and run["part_buffers"] == part_buffers
        ]

    return PairedSeconds(overlapped=seconds(shipped), sequential=seconds(NO_OVERLAP_PART_BUFFERS))


def webhook_memory_figures() -> tuple[
    list[MemoryFigure], int, dict[str, StreamingFigure], dict[str, float]
]:
    """The memory figures, the RSS after them, the side-by-side transfers per link and
    the median milliseconds of S3's multipart calls during those."""
    from local.emulator.server import MotoServer
    from local.replicate.standin import ReplicateStandIn

    secret = "whsec_" + base64.b64encode(hashlib.sha256(b"benchmark").digest()).decode()
    # One stand-in per image size: it serves each prediction's file as a generated PNG
    # of about that size, streamed, so serving 64 MiB costs it almost no memory.
    sizes = {f"warm-up-{size}": size for size in WARM_UP_SIZES}
    sizes |= {f"stream-{size // MIB}mib": size for size in STREAMED_SIZES}
    sizes |= {f"traced-{size // MIB}mib": size for size in STREAMED_SIZES}
    largest = max(STREAMED_SIZES)
    # Each round one transfer per link and setting, the order alternating (None: PART_BUFFERS
    # as shipped).
    streaming_order = [
        (f"side-by-side-{link}-{round_number}-{part_buffers}", link, part_buffers)
        for round_number in range(STREAMING_ROUNDS)
        for link in FILE_HOST_LINKS
        for part_buffers in (
            (None, NO_OVERLAP_PART_BUFFERS) if round_number % 2 else (NO_OVERLAP_PART_BUFFERS, None)
        )
    ]
    sizes |= {pic_id: largest for pic_id, _, _ in streaming_order}
    links = {pic_id: link for pic_id, link, _ in streaming_order}
    with ExitStack() as stack:
        # Its own process, so the objects it stores are not counted.
        endpoint = stack.enter_context(MotoServer()).url
        finals: dict[str, dict[str, Any]] = {}
        for pic_id, size in sizes.items():
            replicate = stack.enter_context(
                ReplicateStandIn(
                    webhook_secret=secret,
                    large_image_bytes=size,
                    image_bytes_per_second=FILE_HOST_LINKS.get(links.get(pic_id, "unpaced")),
                )
            )
            finals[pic_id] = replicate.final_prediction(start_prediction(replicate)["id"])
        s3 = prepare_aws(endpoint, secret, {pic: final["id"] for pic, final in finals.items()})
        bodies = {pic_id: json.dumps(final) for pic_id, final in finals.items()}
        plan = {
            "secret": secret,
            "warm_up": [(pic_id, bodies[pic_id]) for pic_id in sizes if pic_id.startswith("w")],
            "measured": [(pic_id, bodies[pic_id]) for pic_id in sizes if pic_id.startswith("st")],
            "traced": [(pic_id, bodies[pic_id]) for pic_id in sizes if pic_id.startswith("tr")],
            "streaming": [
                (pic_id, bodies[pic_id], part_buffers, link)
                for pic_id, link, part_buffers in streaming_order
            ],
        }
        env = lambda_environment(
            AWS_ENDPOINT_URL=endpoint,
            IMAGE_HOST_ALLOWLIST="127.0.0.1",
            ALLOWED_IMAGE_URL_SCHEMES="http",
            IMAGE_FETCH_ALLOW_LOOPBACK="true",
            MAX_IMAGE_BYTES=str(2 * max(STREAMED_SIZES)),
        )
        completed = subprocess.run(  # our interpreter and module, no shell
            [sys.executable, "-m", "local.benchmark", "--webhook-child"],
            input=json.dumps(plan),  # on stdin: the bodies are too long for an argument list
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
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
    shipped = report["shipped"]
    streaming = {
        link: StreamingFigure(
            link=link,
            bytes_per_second=rate,
            size=largest,
            part_buffers=shipped,
            whole_call=paired_seconds(report["streaming"], link, shipped, "seconds"),
            streaming=paired_seconds(report["streaming"], link, shipped, "streamed_seconds"),
        )
        for link, rate in FILE_HOST_LINKS.items()
    }
    return figures, report["rss_kib"], streaming, report["s3_call_ms_median"]


# ---------------------------------------------------------------- 5. webhook → subscriber


def latency_figures(pictures: int, work_dir: Path) -> dict[str, object]:
    """Seconds from each picture's last webhook sent to its final event received, for two
    bursts on one stack: the first meets every function cold (each worker's first
    invocation starts its interpreter), the second, measured against the budget, the
    steady state of a stack in use."""
    from local.replicate.standin import pic_id_of_webhook
    from local.soak import Soak, SoakConfig, soak_stack

    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    bursts: dict[str, dict[str, object]] = {}
    with soak_stack(work_dir, pictures=1, progress=progress) as stack:
        last_webhook: dict[str, float] = {}
        route = stack.replicate.webhook_route

        def timed_route(url: str) -> str:
            # Called as each webhook is sent; a picture's last one is its "completed".
            pic_id = pic_id_of_webhook(url)
            if pic_id is not None:
                last_webhook[pic_id] = time.monotonic()
            return route(url) if route is not None else url

        stack.replicate.webhook_route = timed_route
        functions = stack.runtime.config.functions
        prefix = next(name for name in functions if name.endswith("-generate"))[: -len("generate")]
        for burst in ("cold", "warm"):
            progress(f"{burst} burst: {pictures} users create a picture each at once")
            config = SoakConfig(
                users=pictures, pictures=1, duration_seconds=180.0, faults=(), label=burst
            )
            soak = Soak(stack, config)
            burst_started = time.time()
            result = soak.run()
            bursts[burst] = _burst_figures(soak, result.violations, last_webhook)
            bursts[burst]["invocation_ms"] = _invocation_ms(
                stack.runtime.invocations.records(), burst_started, prefix
            )
            last_webhook.clear()
    return {
        "pictures": pictures,
        "budget_seconds": LATENCY_BUDGET_SECONDS,
        "budgeted_burst": "warm",
        **bursts,
    }


def _invocation_ms(
    records: Sequence[InvocationRecord], since: float, prefix: str
) -> dict[str, dict[str, float]]:
    """Per function (its name after ``prefix``): the median and the longest invocation
    started since ``since`` (epoch seconds), in milliseconds."""
    durations: dict[str, list[float]] = {}
    for record in records:
        if record.started_at >= since:
            function = record.function_name.removeprefix(prefix)
            durations.setdefault(function, []).append(record.duration_seconds * 1000)
    return {
        function: {
            "invocations": len(values),
            "median": round(statistics.median(values), 1),
            "max": round(max(values), 1),
        }
        for function, values in sorted(durations.items())
    }


def _burst_figures(
    soak: Soak, violations: list[str], last_webhook: Mapping[str, float]
) -> dict[str, object]:
    seconds = []
    statuses: dict[str, int] = {}
    for run in soak.users:
        for picture in run.pictures.values():
            final = picture.final_event
            if final is None or picture.pic_id not in last_webhook:
                continue
            statuses[final[1]] = statuses.get(final[1], 0) + 1
            seconds.append(final[0] - last_webhook[picture.pic_id])
    if not seconds:
        raise RuntimeError("no picture reached a final status")
    ordered = sorted(seconds)
    return {
        "measured": len(seconds),
        "final_statuses": statuses,
        "median_seconds": round(statistics.median(seconds), 3),
        "p95_seconds": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3),
        "max_seconds": round(ordered[-1], 3),
        "soak_violations": violations,
    }


def print_latency(figures: Mapping[str, Any]) -> None:
    print(
        f"\n| webhook received → subscriber notified, {figures['pictures']} pictures at once "
        "| median | p95 | max | final statuses | soak invariants |"
    )
    print("| --- | ---: | ---: | ---: | --- | --- |")
    for burst, label in (("cold", "first burst, workers cold"), ("warm", "next burst, warm")):
        burst_figures = figures[burst]
        verdict = ""
        if burst == figures["budgeted_burst"]:
            met = burst_figures["median_seconds"] <= LATENCY_BUDGET_SECONDS
            verdict = f"; <= {LATENCY_BUDGET_SECONDS:g} s: {'ok' if met else 'OVER'}"
        violations = burst_figures["soak_violations"]
        print(
            f"| {label} ({burst_figures['measured']} measured{verdict}) "
            f"| {burst_figures['median_seconds']:.2f} s | {burst_figures['p95_seconds']:.2f} s "
            f"| {burst_figures['max_seconds']:.2f} s | {burst_figures['final_statuses']} "
            f"| {len(violations)} violations |"
        )
        for violation in violations:
            print(f"  VIOLATION ({burst}) {violation}")
    for burst in ("cold", "warm"):
        durations = ", ".join(
            f"{function} {timing['median']:g} ms (max {timing['max']:g})"
            for function, timing in figures[burst]["invocation_ms"].items()
        )
        print(f"\nInvocations during the {burst} burst, median: {durations}.")


# ---------------------------------------------------------------- report


def mib(byte_count: float) -> str:
    return f"{byte_count / MIB:.2f} MiB"


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def machine_description() -> dict[str, object]:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        if names:
            model = names[0].split(":", 1)[1].strip()
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "cpu": model,
        "cpus": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }


def print_cold_start(figures: ColdStartFigures, rounds: int) -> None:
    print(
        f"| cold start, {rounds} paired rounds | handler ÷ bare `import boto3`, median "
        f"| IQR | min-max | handler | boto3 | shipped modules with bytecode | "
        f"<= {COLD_START_BUDGET}x |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for result in figures.results:
        q1, q3 = result.quartiles
        verdict = "ok" if result.median <= COLD_START_BUDGET else "OVER"
        print(
            f"| `{result.handler}` | {result.median:.2f}x | {q1:.2f}-{q3:.2f} "
            f"| {min(result.ratios):.2f}-{max(result.ratios):.2f} "
            f"| {statistics.median(result.handler_ms):.0f} ms "
            f"| {statistics.median(result.boto3_ms):.0f} ms "
            f"| {result.with_bytecode} of {result.shipped_modules} | {verdict} |"
        )
    print(f"\nRuntime packages (precompiled): {', '.join(figures.runtime_distributions)}.")

    modules = (BASELINE_MODULE, *HANDLER_MODULES)
    labels = sorted(
        {label for costs in figures.costs.values() for label in costs},
        key=lambda label: (label.split(":")[0], label),
    )
    print(
        "\n| import self time by origin (-X importtime, ms, median) | "
        + " | ".join(f"`{module.rsplit('.', 1)[-1]}`" for module in modules)
        + " |"
    )
    print("| --- |" + " ---: |" * len(modules))
    for label in labels:
        cells = [f"{figures.costs[module].get(label, 0.0):.1f}" for module in modules]
        print(f"| {label} | " + " | ".join(cells) + " |")
    totals = [f"{sum(figures.costs[module].values()):.1f}" for module in modules]
    print("| total | " + " | ".join(totals) + " |")


def print_streaming(
    streaming: Mapping[str, StreamingFigure], s3_call_ms: Mapping[str, float]
) -> None:
    largest = next(iter(streaming.values()))
    print(
        f"\n| webhook with {mib(largest.size)} into S3, {STREAMING_ROUNDS} paired rounds "
        "| no overlap (before) | overlapped (now) | gain, median | gain per round |"
    )
    print("| --- | ---: | ---: | ---: | --- |")
    for figure in streaming.values():
        link = (
            f"file host at {figure.bytes_per_second / MIB:g} MiB/s"
            if figure.bytes_per_second
            else "file host unpaced"
        )
        for phase, paired in (
            ("streaming, until CompleteMultipartUpload", figure.streaming),
            ("whole call", figure.whole_call),
        ):
            summary = paired.summary(figure.size)
            verdict = ""
            if figure.link == TARGET_LINK and paired is figure.streaming:
                met = paired.gain >= STREAMING_GAIN_TARGET
                verdict = f" (>= {STREAMING_GAIN_TARGET}x: {'ok' if met else 'UNDER'})"
            print(
                f"| {link}, {figure.part_buffers} parts in flight: {phase} "
                f"| {summary['sequential_mib_per_s_median']} MiB/s "
                f"| {summary['overlapped_mib_per_s_median']} MiB/s "
                f"| {paired.gain:.2f}x{verdict} "
                f"| {', '.join(f'{value:.2f}' for value in paired.gains)} |"
            )
    calls = ", ".join(f"{name} {ms:g} ms" for name, ms in s3_call_ms.items())
    print(f"\nS3's calls during those transfers (median): {calls}.")


def print_secondary(
    build: BuildFigures, memory: list[MemoryFigure], rss_kib: int, runs: int
) -> None:
    artifacts = build.manifest["artifacts"]
    print(f"\n| artifact ({build.manifest['architecture']}) | size |")
    print("| --- | ---: |")
    for artifact in artifacts.values():
        print(f"| `{artifact['path']}` | {artifact['size'] / 1024:.1f} KiB |")

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
    print(f"| fresh output directory | {milliseconds(build.fresh_seconds)} |")
    print(f"| nothing changed (no-op), median of {runs} | {milliseconds(build.noop_seconds)} |")


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=15, help="paired cold-start rounds per handler (default 15)"
    )
    parser.add_argument(
        "--cost-samples",
        type=int,
        default=5,
        help="-X importtime samples per module for the by-origin table (default 5)",
    )
    parser.add_argument("--runs", type=int, default=7, help="build no-op runs (default 7)")
    parser.add_argument(
        "--dist",
        type=Path,
        default=REPO_ROOT / "dist",
        help="artifacts to measure (default: dist, as `make build` leaves it)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=REPO_ROOT / "dist" / "benchmark.json",
        help="where the figures are written as JSON (default: dist/benchmark.json)",
    )
    parser.add_argument(
        "--cold-start-only",
        action="store_true",
        help="measure only the cold start (e.g. of another --dist), not sizes, memory, build",
    )
    parser.add_argument(
        "--latency",
        action="store_true",
        help="also measure webhook → subscriber on the whole local stack (starts it; minutes)",
    )
    parser.add_argument(
        "--latency-pictures",
        type=int,
        default=LATENCY_PICTURES,
        help=f"pictures created at once for --latency (default {LATENCY_PICTURES})",
    )
    parser.add_argument(
        "--latency-work-dir",
        type=Path,
        default=REPO_ROOT / ".tfcli" / "bench-latency-stack",
        help="the local stack's work directory for --latency",
    )
    parser.add_argument("--webhook-child", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    for name in ("rounds", "cost_samples", "runs", "latency_pictures"):
        if not 1 <= getattr(arguments, name) <= 100:
            parser.error(f"--{name.replace('_', '-')} must be between 1 and 100")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.webhook_child:
        webhook_child(json.load(sys.stdin))
        return 0
    if sys.version_info[:2] != tuple(int(part) for part in PYTHON_VERSION.split(".")):
        print(
            f"warning: this is Python {platform.python_version()}, the runtime ({RUNTIME}) "
            f"is {PYTHON_VERSION}: the shipped bytecode cannot be used and the figures "
            "do not say what Lambda pays",
            file=sys.stderr,
        )
    started = datetime.datetime.now(datetime.UTC)
    machine = machine_description()
    print(
        f"{started:%Y-%m-%d}: Python {machine['python']} on {machine['machine']} "
        f"({machine['cpu']}, {machine['cpus']} CPUs), {machine['system']}, "
        f"load average {machine['load_average']}\n"
    )
    cold = cold_start_figures(arguments.dist.resolve(), arguments.rounds, arguments.cost_samples)
    print_cold_start(cold, arguments.rounds)
    document: dict[str, object] = {
        "date": started.isoformat(timespec="seconds"),
        "machine": machine,
        "artifacts": str(arguments.dist),
        "cold_start": {
            "method": "paired interleaved rounds, fresh interpreters, Lambda's sys.path",
            "budget": COLD_START_BUDGET,
            "runtime_distributions": cold.runtime_distributions,
            "handlers": {result.handler: result.summary() for result in cold.results},
            "import_self_ms_by_origin": cold.costs,
        },
    }
    failed = any(result.median > COLD_START_BUDGET for result in cold.results)
    if not arguments.cold_start_only:
        build = build_figures(arguments.runs)
        memory, rss_kib, streaming, s3_call_ms = webhook_memory_figures()
        print_secondary(build, memory, rss_kib, arguments.runs)
        print_streaming(streaming, s3_call_ms)
        document["webhook_streaming"] = {
            link: figure.summary() for link, figure in streaming.items()
        }
        document["webhook_streaming_s3_call_ms_median"] = s3_call_ms
        document["artifact_sizes"] = {
            key: value["size"] for key, value in build.manifest["artifacts"].items()
        }
        document["webhook_memory"] = [asdict(figure) for figure in memory]
        document["webhook_rss_kib"] = rss_kib
        document["build_seconds"] = {
            "fresh": round(build.fresh_seconds, 2),
            "noop_median": round(build.noop_seconds, 3),
        }
        failed |= any(figure.growth_kib >= MEMORY_LIMIT_MIB * 1024 for figure in memory)
        failed |= streaming[TARGET_LINK].streaming.gain < STREAMING_GAIN_TARGET
    if arguments.latency:
        latency = latency_figures(arguments.latency_pictures, arguments.latency_work_dir)
        print_latency(latency)
        document["webhook_to_subscriber"] = latency
        budgeted = latency[str(latency["budgeted_burst"])]
        failed |= budgeted["median_seconds"] > LATENCY_BUDGET_SECONDS  # type: ignore[index]
        failed |= any(latency[burst]["soak_violations"] for burst in ("cold", "warm"))  # type: ignore[index]
    document["machine_load_average_after"] = [round(value, 2) for value in os.getloadavg()]
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nFigures written to {arguments.output}.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
