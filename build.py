"""Build the Lambda artifacts the Terraform modules deploy.

Writes into ``dist/``:

* ``functions.zip``: the ``aipic`` package at the zip root (``.py`` files and
  ``py.typed`` and ``contract.json``), one artifact shared by all the functions;
* ``manifest.json``: the artifact's path, size and base64 SHA-256 (what
  Terraform's ``filebase64sha256()`` yields).

There is no dependencies layer: the functions import only the standard library and
what the runtime ships (boto3, botocore and urllib3 among it), so a layer would only
add a download and, for any package the runtime also has, shadow its precompiled copy.

The zip carries bytecode for the runtime's Python beside the sources, in
``__pycache__/`` where the import system looks for it, so a cold start loads it
instead of compiling every module (the code directories are read-only in Lambda,
so nothing compiled there is ever kept). The ``.pyc`` files are unchecked-hash
based (PEP 552): no timestamps inside, and the runtime does not even read the
source to validate them; the code is immutable once deployed. They must be made
by the runtime's Python version (``--python``); any other is refused, since its
bytecode would be ignored by the runtime.

The zip is deterministic (fixed timestamps, sorted entries, fixed modes, bytecode
compiled with a fixed hash seed and Lambda's own path as the recorded file names), so
two builds of the same inputs are byte-identical. The artifact has a fingerprint of its
inputs; when it matches and the artifact is intact, nothing is rebuilt.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent
RUNTIME = "python3.12"
PYTHON_VERSION = "3.12"
BYTECODE_TAG = "cpython-312"  # sys.implementation.cache_tag of the runtime's interpreter
# Where Lambda puts each artifact; recorded in the bytecode as its source's file name.
TASK_ROOT = "/var/task"
# The instruction sets a function can be deployed for; the code is pure Python, so the
# zip is the same for both and the manifest records which one the functions run on.
ARCHITECTURES = ("arm64", "x86_64")
FUNCTIONS_ZIP = "functions.zip"
MANIFEST = "manifest.json"
STATE_FILE = ".build-state.json"

# The earliest timestamp a zip entry can carry; any fixed value works, this one
# says plainly that it is not a real time.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
ZIP_FILE_MODE = 0o100644  # regular file, rw-r--r--; the runtime only needs to read
ZIP_COMPRESS_LEVEL = 9
UNIX_SYSTEM = 3

# Never shipped: bytecode and tests.
EXCLUDED_DIR_NAMES = frozenset({"__pycache__", "tests", "test"})
# Files other than modules the package reads at run time (aipic.contract loads the
# contract; in the source tree it is a symlink, zipped as the file it points at).
PACKAGE_DATA = frozenset({"py.typed", "contract.json"})


class BuildError(Exception):
    """An expected failure: reported as a message, without a traceback."""


# ---------------------------------------------------------------- bytecode

# Run by the compiling interpreter: reads [source path, recorded name, .pyc path]
# triples from stdin and writes each .pyc. Unchecked-hash pycs hold no mtime.
COMPILE_CODE = """
import json, py_compile, sys
mode = py_compile.PycInvalidationMode.UNCHECKED_HASH
for source, recorded, target in json.load(sys.stdin):
    try:
        py_compile.compile(source, cfile=target, dfile=recorded, doraise=True,
                           invalidation_mode=mode)
    except py_compile.PyCompileError as error:
        sys.exit(f"cannot compile {recorded}: {error.msg}")
"""
IDENTITY_CODE = (
    "import importlib.util, platform, sys; "
    "print(sys.implementation.cache_tag, platform.python_version(), "
    "importlib.util.MAGIC_NUMBER.hex())"
)


@dataclass(frozen=True)
class Compiler:
    """The interpreter that writes the bytecode: the runtime's Python version only."""

    python: str
    version: str  # e.g. 3.12.1: the fingerprint includes it, as a patch release may
    magic: str  # compile differently (the magic number changes only per minor release)

    @property
    def identity(self) -> tuple[str, bytes]:
        return ("bytecode", f"{BYTECODE_TAG} {self.version} {self.magic}".encode())

    def compile(self, triples: Sequence[tuple[Path, str, Path]]) -> None:
        for _, _, target in triples:
            target.parent.mkdir(parents=True, exist_ok=True)
        document = json.dumps(
            [[str(source), name, str(target)] for source, name, target in triples]
        )
        completed = subprocess.run(
            [self.python, "-E", "-s", "-c", COMPILE_CODE],
            input=document,
            capture_output=True,
            text=True,
            check=False,
            # Nothing in 3.12's bytecode is known to follow string hashes (marshal sorts
            # frozenset constants); a fixed seed keeps it so should that change.
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        if completed.returncode != 0:
            raise BuildError(
                f"compiling bytecode with {self.python} failed: {completed.stderr.strip()}"
            )


def find_compiler(python: str | None) -> Compiler:
    if python is None:
        tag, version = sys.implementation.cache_tag, platform.python_version()
        magic, executable = importlib.util.MAGIC_NUMBER.hex(), sys.executable
    else:
        executable = shutil.which(python) or python
        try:
            completed = subprocess.run(
                [executable, "-E", "-s", "-c", IDENTITY_CODE],
                capture_output=True,
                text=True,
                check=True,
                timeout=60,
            )
        except (OSError, subprocess.SubprocessError) as error:
            raise BuildError(f"cannot run --python {python}: {error}") from None
        tag, version, magic = completed.stdout.split()
    if tag != BYTECODE_TAG:
        raise BuildError(
            f"{executable} is Python {version} ({tag}), but the bytecode must be compiled by "
            f"Python {PYTHON_VERSION} ({BYTECODE_TAG}), the {RUNTIME} runtime's: Lambda would "
            f"ignore it and compile every module on each cold start. Run build.py with "
            f"Python {PYTHON_VERSION} or pass --python /path/to/python{PYTHON_VERSION} "
            "(local/tools/find-python.sh finds one)"
        )
    return Compiler(executable, version, magic)


def bytecode_path(source: Path) -> Path:
    """``pkg/mod.py`` → ``pkg/__pycache__/mod.cpython-312.pyc``: where Python looks first."""
    return source.parent / "__pycache__" / f"{source.stem}.{BYTECODE_TAG}.pyc"


def with_bytecode(
    entries: Sequence[tuple[str, Path]], compiler: Compiler, staging: Path, recorded_root: str
) -> list[tuple[str, Path]]:
    """The entries plus a compiled ``.pyc`` (written below ``staging``) for each module."""
    triples, added = [], []
    for arcname, source in entries:
        if not arcname.endswith(".py"):
            continue
        pyc_name = bytecode_path(Path(arcname)).as_posix()
        target = staging / pyc_name
        triples.append((source, f"{recorded_root}/{arcname}", target))
        added.append((pyc_name, target))
    compiler.compile(triples)
    return sorted([*entries, *added])


@dataclass(frozen=True)
class Artifact:
    key: str  # the manifest's name for it
    filename: str
    fingerprint: str  # of every input; equal fingerprints give identical bytes
    make: Callable[[Path], None]  # writes the artifact to the given path


# ---------------------------------------------------------------- zip writing


def sha256_base64(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return base64.b64encode(digest.digest()).decode("ascii")


def write_deterministic_zip(destination: Path, entries: Iterable[tuple[str, Path]]) -> None:
    """Write ``(archive name, file)`` pairs sorted by name, atomically."""
    temporary = destination.with_name(f".{destination.name}.tmp")
    try:
        with zipfile.ZipFile(temporary, "w") as archive:
            for arcname, source in sorted(entries):
                info = zipfile.ZipInfo(arcname, date_time=ZIP_EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = UNIX_SYSTEM
                info.external_attr = ZIP_FILE_MODE << 16
                archive.writestr(info, source.read_bytes(), compresslevel=ZIP_COMPRESS_LEVEL)
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)


def walk_files(root: Path) -> Iterator[Path]:
    """Regular files below ``root``, skipping excluded directories at any depth."""
    for directory, dir_names, file_names in os.walk(root):
        here = Path(directory)
        dir_names[:] = [name for name in dir_names if name not in EXCLUDED_DIR_NAMES]
        for name in file_names:
            path = here / name
            if path.is_file():
                yield path


# ---------------------------------------------------------------- function code


def function_entries(source: Path) -> list[tuple[str, Path]]:
    """The package's modules, named ``<package>/...`` so it sits at the zip root."""
    if not source.is_dir():
        raise BuildError(f"source package directory not found: {source}")
    if not (source / "__init__.py").is_file():
        raise BuildError(f"{source} is not a Python package (no __init__.py)")
    entries = []
    for path in walk_files(source):
        name = path.name
        is_module = name.endswith(".py") and not is_test_module(name)
        if is_module or name in PACKAGE_DATA:
            relative = path.relative_to(source).as_posix()
            entries.append((f"{source.name}/{relative}", path))
    return sorted(entries)


def is_test_module(name: str) -> bool:
    return name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py")


def build_functions(source: Path, destination: Path, compiler: Compiler) -> None:
    with tempfile.TemporaryDirectory(prefix="aipic-functions-") as staging:
        entries = with_bytecode(function_entries(source), compiler, Path(staging), TASK_ROOT)
        write_deterministic_zip(destination, entries)


# ---------------------------------------------------------------- fingerprints and state


def fingerprint(parts: Iterable[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for label, content in parts:
        # Length-prefixed so that no two different part lists hash alike.
        for field in (label.encode(), content):
            digest.update(len(field).to_bytes(8, "big"))
            digest.update(field)
    return digest.hexdigest()


def builder_identity() -> tuple[str, bytes]:
    return ("build.py", Path(__file__).read_bytes())


def functions_fingerprint(source: Path, compiler: Compiler) -> str:
    return fingerprint(
        [
            builder_identity(),
            compiler.identity,
            *((name, path.read_bytes()) for name, path in function_entries(source)),
        ]
    )


def read_json(path: Path) -> dict[str, object]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def write_if_changed(path: Path, text: str) -> bool:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return True


def render_json(document: object) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def is_current(artifact: Artifact, out: Path, state: dict[str, object]) -> bool:
    """The recorded fingerprint matches and the file on disk is the one recorded."""
    recorded = state.get(artifact.key)
    if not isinstance(recorded, dict) or recorded.get("fingerprint") != artifact.fingerprint:
        return False
    path = out / artifact.filename
    return path.is_file() and recorded.get("sha256_base64") == sha256_base64(path)


# ---------------------------------------------------------------- command line


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Build the Lambda artifacts into an output directory: functions.zip (the "
            "package at the zip root, with bytecode for the Python 3.12 runtime) and "
            "manifest.json (its size and base64 SHA-256). The zip is byte-identical for "
            "identical inputs and not rebuilt when they did not change."
        )
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=REPO_ROOT / "lambda_src" / "aipic",
        help="package directory to zip; it appears at the zip root under its own name "
        "(default: lambda_src/aipic)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "dist",
        help="output directory (default: dist)",
    )
    parser.add_argument(
        "--python",
        help=f"Python {PYTHON_VERSION} interpreter that compiles the bytecode (default: the one "
        "running build.py; any other version is refused)",
    )
    parser.add_argument(
        "--architecture",
        choices=ARCHITECTURES,
        default="arm64",
        help="Lambda architecture the functions run on, recorded in the manifest (default: arm64)",
    )
    return parser.parse_args(argv)


def build(source: Path, out: Path, architecture: str, compiler: Compiler) -> list[str]:
    """Bring ``out`` up to date; return the names of the artifacts that were rebuilt."""
    functions = Artifact(
        key="functions",
        filename=FUNCTIONS_ZIP,
        fingerprint=functions_fingerprint(source, compiler),
        make=lambda destination: build_functions(source, destination, compiler),
    )
    out.mkdir(parents=True, exist_ok=True)
    state_path = out / STATE_FILE
    state = read_json(state_path)

    rebuilt = []
    for artifact in (functions,):
        if is_current(artifact, out, state):
            continue
        started = time.perf_counter()
        artifact.make(out / artifact.filename)
        print(f"built {artifact.filename} in {time.perf_counter() - started:.1f} s")
        rebuilt.append(artifact.filename)

    artifacts: dict[str, dict[str, object]] = {}
    new_state: dict[str, object] = {}
    for artifact in (functions,):
        path = out / artifact.filename
        digest = sha256_base64(path)
        artifacts[artifact.key] = {
            "path": artifact.filename,
            "size": path.stat().st_size,
            "sha256_base64": digest,
        }
        new_state[artifact.key] = {"fingerprint": artifact.fingerprint, "sha256_base64": digest}
    manifest = {"runtime": RUNTIME, "architecture": architecture, "artifacts": artifacts}
    if write_if_changed(out / MANIFEST, render_json(manifest)):
        rebuilt.append(MANIFEST)
    write_if_changed(state_path, render_json(new_state))
    return rebuilt


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        rebuilt = build(
            arguments.source.resolve(),
            arguments.out.resolve(),
            arguments.architecture,
            find_compiler(arguments.python),
        )
    except (BuildError, OSError) as error:
        print(f"build.py: error: {error}", file=sys.stderr)
        return 1
    if not rebuilt:
        print(f"{arguments.out}: up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
