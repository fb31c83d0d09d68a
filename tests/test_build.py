"""build.py, run as the command line it is: artifacts, bytecode, determinism, no-op runs, errors.

Most tests build a tiny fixture package; one builds the repository's real package and
imports every handler from it with only what the Lambda runtime ships beside it.
"""

import base64
import hashlib
import importlib.util
import json
import marshal
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_PY = REPO_ROOT / "build.py"
# What the Lambda runtime ships (boto3 and its dependencies), as top-level import names.
RUNTIME_PROVIDED_TOP_LEVEL = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3"}
)
BYTECODE_TAG = "cpython-312"
UNCHECKED_HASH_FLAGS = 0b01  # PEP 552: hash-based, source not checked
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
ARTIFACT_FILES = ("functions.zip", "manifest.json")

FIXTURE_MODULES = {
    "__init__.py": '"""fixture package"""\n',
    "py.typed": "",
    "settings.py": "TABLE = 'pics'\n",
    # A set constant: its order in the bytecode follows string hashes unless they are fixed.
    "statuses.py": "def is_final(s):\n    return s in {'COMPLETED', 'FAILED', 'CANCELED', 'X'}\n",
    "handlers/__init__.py": "",
    "handlers/generate.py": "def handler(event, context):\n    return event\n",
    "handlers/webhook.py": "def handler(event, context):\n    return {'statusCode': 200}\n",
}
FIXTURE_JUNK = {
    "__pycache__/settings.cpython-312.pyc": "not code",
    "handlers/__pycache__/generate.cpython-312.pyc": "not code",
    "tests/test_settings.py": "def test_nothing():\n    pass\n",
    "test_inline.py": "def test_nothing():\n    pass\n",
    "conftest.py": "",
    "NOTES.md": "scratch notes",
}


@dataclass
class Project:
    source: Path
    out: Path

    def build(
        self, *extra: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return run_build(
            "--source",
            str(self.source),
            "--out",
            str(self.out),
            *extra,
            env=env,
        )


def run_build(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BUILD_PY), *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=240,
    )


def write_tree(root: Path, files: dict[str, str]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


# Like lambda_src/aipic/contract.json: a symlink to a file outside the package.
FIXTURE_CONTRACT = '{"table": {"hash_key": "id"}}\n'


def make_project(base: Path) -> Project:
    source = base / "src" / "aipic"
    write_tree(source, {**FIXTURE_MODULES, **FIXTURE_JUNK})
    shared = base / "modules" / "contract" / "contract.json"
    write_tree(shared.parent, {shared.name: FIXTURE_CONTRACT})
    (source / "contract.json").symlink_to(os.path.relpath(shared, source))
    return Project(source, base / "dist")


def built(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"build failed:\n{result.stdout}\n{result.stderr}"
    return result


def mtimes(out: Path) -> dict[str, int]:
    return {name: (out / name).stat().st_mtime_ns for name in ARTIFACT_FILES}


def sha256_base64(path: Path) -> str:
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def assert_clean_failure(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def runtime_stand_in(into: Path) -> Path:
    """A directory holding only what the Lambda runtime ships, linked from this environment."""
    into.mkdir()
    for top in RUNTIME_PROVIDED_TOP_LEVEL:
        spec = importlib.util.find_spec(top)
        assert spec is not None, top
        assert spec.origin is not None, top
        origin = Path(spec.origin)
        package = origin.parent if origin.name == "__init__.py" else origin
        (into / package.name).symlink_to(package)
    return into


def pyc_name(module: str) -> str:
    """``pkg/mod.py`` → ``pkg/__pycache__/mod.cpython-312.pyc``."""
    directory, _, file = module.rpartition("/")
    prefix = f"{directory}/" if directory else ""
    return f"{prefix}__pycache__/{file.removesuffix('.py')}.{BYTECODE_TAG}.pyc"


def assert_bytecode_for_every_module(archive: zipfile.ZipFile, recorded_root: str) -> int:
    """Each ``.py`` has its unchecked-hash ``.pyc`` for 3.12, and nothing else is bytecode."""
    names = set(archive.namelist())
    modules = sorted(name for name in names if name.endswith(".py"))
    assert modules
    assert {pyc_name(module) for module in modules} == {n for n in names if n.endswith(".pyc")}
    for module in modules:
        source = archive.read(module)
        data = archive.read(pyc_name(module))
        assert data[:4] == importlib.util.MAGIC_NUMBER, module  # this test runs on 3.12
        assert int.from_bytes(data[4:8], "little") == UNCHECKED_HASH_FLAGS, module
        assert data[8:16] == importlib.util.source_hash(source), module
        code = marshal.loads(data[16:])
        assert code.co_filename == f"{recorded_root}/{module}", module
    return len(modules)


def assert_deterministic_entries(archive: zipfile.ZipFile) -> None:
    infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert len(set(names)) == len(names)
    for info in infos:
        assert not info.is_dir(), info.filename
        assert info.date_time == ZIP_EPOCH, info.filename
        assert info.external_attr >> 16 == 0o100644, info.filename
        assert info.create_system == 3, info.filename
        assert info.compress_type == zipfile.ZIP_DEFLATED, info.filename
        assert info.extra == b"", info.filename


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """One build of the fixture project that read-only tests share."""
    project = make_project(tmp_path_factory.mktemp("tiny"))
    built(project.build())
    return project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path)


def test_help_describes_every_option() -> None:
    result = run_build("--help")

    assert result.returncode == 0
    for option in ("--source", "--out", "--architecture", "--python"):
        assert option in result.stdout
    assert "manifest.json" in result.stdout


def test_functions_zip_holds_only_the_package_modules_at_its_root(tiny_build: Project) -> None:
    with zipfile.ZipFile(tiny_build.out / "functions.zip") as archive:
        assert_deterministic_entries(archive)
        sources = [f"aipic/{name}" for name in FIXTURE_MODULES]
        bytecode = [pyc_name(name) for name in sources if name.endswith(".py")]
        assert archive.namelist() == sorted([*sources, *bytecode, "aipic/contract.json"])
        # The symlink ships as the file it points at.
        assert archive.read("aipic/contract.json").decode() == FIXTURE_CONTRACT
        assert (
            archive.read("aipic/handlers/generate.py").decode()
            == (FIXTURE_MODULES["handlers/generate.py"])
        )


def test_the_zip_carries_unchecked_hash_bytecode_for_the_runtime(tiny_build: Project) -> None:
    with zipfile.ZipFile(tiny_build.out / "functions.zip") as archive:
        assert_bytecode_for_every_module(archive, "/var/task")


def test_shipped_bytecode_is_what_python_imports(tiny_build: Project, tmp_path: Path) -> None:
    # Unchecked-hash bytecode is loaded without reading the source: a source edited after
    # the build still runs as built, which shows the .pyc (not the source) was imported.
    task_root = tmp_path / "task"
    with zipfile.ZipFile(tiny_build.out / "functions.zip") as archive:
        archive.extractall(task_root)
    (task_root / "aipic" / "settings.py").write_text("TABLE = 'edited'\n")

    result = subprocess.run(
        [sys.executable, "-S", "-B", "-c", "import aipic.settings as s; print(s.TABLE)"],
        capture_output=True,
        text=True,
        check=False,
        cwd=task_root,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "pics"


def test_bytecode_of_another_python_version_is_refused(project: Project, tmp_path: Path) -> None:
    # Stands in for a Python 3.11: answers build.py's identity question as 3.11 would.
    python311 = tmp_path / "python3.11"
    python311.write_text("#!/bin/sh\necho cpython-311 3.11.7 a70d0d0a\n")
    python311.chmod(python311.stat().st_mode | stat.S_IXUSR)

    result = project.build("--python", str(python311))

    assert_clean_failure(result, "is Python 3.11.7 (cpython-311)")
    assert "must be compiled by Python 3.12" in result.stderr
    assert not project.out.exists()


def test_bytecode_does_not_depend_on_the_hash_seed(tiny_build: Project, tmp_path: Path) -> None:
    for seed in ("1", "2"):
        out = tmp_path / f"seed-{seed}"
        built(
            run_build(
                "--source",
                str(tiny_build.source),
                "--out",
                str(out),
                env={**os.environ, "PYTHONHASHSEED": seed},
            )
        )
        assert (out / "functions.zip").read_bytes() == (
            tiny_build.out / "functions.zip"
        ).read_bytes()


def test_manifest_records_each_artifact_as_terraform_hashes_it(tiny_build: Project) -> None:
    text = (tiny_build.out / "manifest.json").read_text()
    manifest = json.loads(text)

    assert manifest == {
        "runtime": "python3.12",
        "architecture": "arm64",
        "artifacts": {
            key: {
                "path": filename,
                "size": (tiny_build.out / filename).stat().st_size,
                "sha256_base64": sha256_base64(tiny_build.out / filename),
            }
            for key, filename in (("functions", "functions.zip"),)
        },
    }
    assert text == json.dumps(manifest, indent=2, sort_keys=True) + "\n"


def test_builds_from_different_directories_are_byte_identical(
    tiny_build: Project, tmp_path: Path
) -> None:
    # Same inputs at another path, into another output directory.
    elsewhere = Project(source=tmp_path / "moved" / "aipic", out=tmp_path / "other-dist")
    shutil.copytree(tiny_build.source, elsewhere.source)

    built(elsewhere.build())

    for name in ARTIFACT_FILES:
        assert (elsewhere.out / name).read_bytes() == (tiny_build.out / name).read_bytes(), name


def test_second_run_with_nothing_changed_does_no_work(project: Project) -> None:
    built(project.build())
    before = mtimes(project.out)

    again = built(project.build())

    assert "up to date" in again.stdout
    assert "built" not in again.stdout
    assert mtimes(project.out) == before


def test_changed_source_rebuilds_the_functions(project: Project) -> None:
    built(project.build())
    (project.source / "handlers" / "generate.py").write_text("def handler(e, c):\n    return 1\n")

    result = built(project.build())

    assert "built functions.zip" in result.stdout
    with zipfile.ZipFile(project.out / "functions.zip") as archive:
        assert archive.read("aipic/handlers/generate.py") == b"def handler(e, c):\n    return 1\n"
    manifest = json.loads((project.out / "manifest.json").read_text())
    functions = manifest["artifacts"]["functions"]
    assert functions["sha256_base64"] == sha256_base64(project.out / "functions.zip")
    assert functions["size"] == (project.out / "functions.zip").stat().st_size


def test_deleted_artifact_is_rebuilt_identically(project: Project) -> None:
    built(project.build())
    original = (project.out / "functions.zip").read_bytes()
    (project.out / "functions.zip").unlink()

    result = built(project.build())

    assert "built functions.zip" in result.stdout
    assert (project.out / "functions.zip").read_bytes() == original


def test_architecture_is_recorded_and_switching_it_rebuilds_nothing_but_the_manifest(
    project: Project,
) -> None:
    built(project.build())
    functions_mtime = (project.out / "functions.zip").stat().st_mtime_ns

    result = built(project.build("--architecture", "x86_64"))

    assert "built" not in result.stdout  # pure Python: the same zip for both
    assert (project.out / "functions.zip").stat().st_mtime_ns == functions_mtime
    manifest = json.loads((project.out / "manifest.json").read_text())
    assert manifest["architecture"] == "x86_64"


def test_missing_source_directory_is_a_clear_error(project: Project) -> None:
    shutil.rmtree(project.source)

    result = project.build()

    assert_clean_failure(result, f"source package directory not found: {project.source}")
    assert not project.out.exists()


def test_source_that_is_not_a_package_is_a_clear_error(project: Project) -> None:
    (project.source / "__init__.py").unlink()

    assert_clean_failure(project.build(), "is not a Python package (no __init__.py)")


def test_unknown_architecture_is_rejected_by_the_command_line(project: Project) -> None:
    result = project.build("--architecture", "sparc")

    assert result.returncode == 2
    assert "invalid choice: 'sparc'" in result.stderr


# ------------------------------------------------- the repository's real package


HANDLERS = ("generate", "webhook", "on_upload", "publish", "cleanup", "sweeper", "pre_sign_up")


def test_real_handlers_import_with_only_what_the_runtime_ships(tmp_path: Path) -> None:
    """No layer: the real zip beside the runtime's packages (and -S: no site-packages)
    is all every handler needs; each module is loaded from one of the two."""
    out = tmp_path / "dist"
    built(run_build("--out", str(out)))
    task_root = tmp_path / "task"
    with zipfile.ZipFile(out / "functions.zip") as archive:
        archive.extractall(task_root)
    runtime = runtime_stand_in(tmp_path / "runtime")
    code = (
        "import importlib, sys; sys.path[0:0] = sys.argv[1:3]; "
        + "".join(f"importlib.import_module('aipic.handlers.{h}'); " for h in HANDLERS)
        + "print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", code, str(task_root), str(runtime)],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AWS_REGION": "us-east-1"},
    )

    assert result.returncode == 0, result.stderr
    assert "aipic" in result.stdout


def test_output_path_that_is_a_file_is_a_clear_error(project: Project) -> None:
    project.out.write_text("not a directory")

    result = project.build()

    assert_clean_failure(result, "build.py: error:")
    assert project.out.read_text() == "not a directory"
