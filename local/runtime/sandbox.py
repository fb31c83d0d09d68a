"""What a worker process may import and which environment it gets, as on Lambda.

Lambda's Python runtime ships the AWS SDK (boto3 and its dependencies) and nothing else
third-party; everything else must come from the function's zip or its layers. So the
worker sees a directory holding only those distributions (linked from this virtualenv),
and an environment built from the function's configuration, never the caller's.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path

from local.runtime.config import (
    FAKE_ACCESS_KEY_ID,
    FAKE_SECRET_ACCESS_KEY,
    FAKE_SESSION_TOKEN,
    FunctionConfig,
)

# The distributions Lambda's Python runtime has in /var/lang/lib/python3.x/site-packages.
RUNTIME_DISTRIBUTIONS = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "python-dateutil",
    "six",
    "urllib3",
)

# Names Lambda sets itself; a function's own variable of the same name does not win.
_RESERVED = frozenset(
    {
        "_HANDLER",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)


def build_sdk_dir(target: Path) -> Path:
    """A directory holding links to only the runtime's SDK packages of this interpreter."""
    target.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_DISTRIBUTIONS:
        distribution = importlib.metadata.distribution(name)
        top_levels: set[str] = set()
        for file in distribution.files or []:
            first = file.parts[0]
            if first.endswith(".dist-info") or first == "__pycache__" or first.startswith(".."):
                continue
            top_levels.add(first)
        base = Path(str(distribution.locate_file("")))
        for top in sorted(top_levels):
            link = target / top
            if not link.exists():
                link.symlink_to(base / top)
    return target


def search_path(
    runtime: str, task_root: Path, layer_paths: list[Path], sdk_dir: Path
) -> list[Path]:
    """Lambda's order: /var/task, the layers' /opt/python dirs, then the runtime's SDK."""
    del runtime  # the order is the same for every python3.x runtime
    return [task_root, *layer_paths, sdk_dir]


def function_environment(
    function: FunctionConfig,
    *,
    region: str,
    task_root: Path,
    emulator_url: str,
    tmp_dir: Path,
    log_stream: str,
) -> dict[str, str]:
    """The function's variables plus what Lambda sets; nothing from this process."""
    environment = {
        name: value for name, value in function.environment.items() if name not in _RESERVED
    }
    environment.update(
        {
            "_HANDLER": function.handler,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
            "AWS_SESSION_TOKEN": FAKE_SESSION_TOKEN,
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": str(Path(__file__).parent),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PATH": os.defpath,
            "TMPDIR": str(tmp_dir),
        }
    )
    # Not Lambda's: where the SDK inside the function sends its calls (the emulator).
    environment.setdefault("AWS_ENDPOINT_URL", emulator_url)
    return environment


def worker_command(
    bootstrap: Path, request_fd: int, response_fd: int, function_arn: str, path: list[Path]
) -> list[str]:
    # -I: no PYTHON* variables, no user site, no script dir; -S: no site-packages at all.
    return [
        sys.executable,
        "-I",
        "-S",
        str(bootstrap),
        str(request_fd),
        str(response_fd),
        function_arn,
        os.pathsep.join(str(entry) for entry in path),
    ]
