"""build.py, run as the command line it is: artifacts, determinism, no-op runs, errors.

Most tests build a tiny fixture package with one small pinned pure-Python
requirement, so pip runs in about a second. The runs that must prove pip was
NOT invoked use an environment in which pip cannot install anything (no index,
an empty find-links directory); `test_pip_cannot_install_in_offline_environment`
shows that environment really makes pip fail. One module-scoped build uses the
repository's real requirements.txt for both architectures.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_PY = REPO_ROOT / "build.py"
TINY_REQUIREMENT = "jmespath==1.1.0"  # pure Python, ships a console script (bin/jp.py)
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
ARTIFACT_FILES = ("functions.zip", "dependencies-layer.zip", "manifest.json")

FIXTURE_MODULES = {
    "__init__.py": '"""fixture package"""\n',
    "py.typed": "",
    "settings.py": "TABLE = 'pics'\n",
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
    requirements: Path
    out: Path

    def build(
        self, *extra: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return run_build(
            "--source",
            str(self.source),
            "--requirements",
            str(self.requirements),
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


def make_project(base: Path, requirements: str = TINY_REQUIREMENT) -> Project:
    source = base / "src" / "aipic"
    write_tree(source, {**FIXTURE_MODULES, **FIXTURE_JUNK})
    requirements_file = base / "requirements.txt"
    requirements_file.write_text(f"# runtime\n{requirements}\n")
    return Project(source, requirements_file, base / "dist")


def offline_pip_env(tmp_path: Path) -> dict[str, str]:
    """An environment in which any pip install fails: no index, nothing to find."""
    empty = tmp_path / "no-wheels"
    empty.mkdir(exist_ok=True)
    return {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(empty)}


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


def run_with_layer(layer_zip: Path, into: Path, code: str) -> subprocess.CompletedProcess[str]:
    """Unpack the layer into ``into`` and run ``code`` on its ``python/`` directory.

    ``-S`` keeps this virtual environment's site-packages (which has the same packages)
    out, so an import can only succeed from the layer; ``m`` is importlib.metadata.
    """
    with zipfile.ZipFile(layer_zip) as archive:
        archive.extractall(into)
    prelude = "import sys, importlib.metadata as m; sys.path.insert(0, sys.argv[1]); "
    return subprocess.run(
        [sys.executable, "-S", "-c", prelude + code, str(into / "python")],
        capture_output=True,
        text=True,
        check=False,
    )


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
    for option in ("--source", "--requirements", "--out", "--architecture"):
        assert option in result.stdout
    assert "manifest.json" in result.stdout


def test_functions_zip_holds_only_the_package_modules_at_its_root(tiny_build: Project) -> None:
    with zipfile.ZipFile(tiny_build.out / "functions.zip") as archive:
        assert_deterministic_entries(archive)
        assert archive.namelist() == sorted(f"aipic/{name}" for name in FIXTURE_MODULES)
        assert (
            archive.read("aipic/handlers/generate.py").decode()
            == (FIXTURE_MODULES["handlers/generate.py"])
        )


def test_layer_zip_holds_the_requirements_under_python(tiny_build: Project) -> None:
    with zipfile.ZipFile(tiny_build.out / "dependencies-layer.zip") as archive:
        assert_deterministic_entries(archive)
        names = archive.namelist()

    assert all(name.startswith("python/") for name in names)
    assert "python/jmespath/__init__.py" in names
    assert "python/jmespath-1.1.0.dist-info/METADATA" in names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    # Machine-specific pip output: console scripts with the build interpreter's
    # shebang, and the RECORD listing their hashes.
    assert not [name for name in names if name.startswith("python/bin/")]
    assert not [name for name in names if name.endswith(("/RECORD", "/direct_url.json"))]


def test_layer_packages_import_with_their_metadata(tiny_build: Project, tmp_path: Path) -> None:
    layer = tmp_path / "layer"
    result = run_with_layer(
        tiny_build.out / "dependencies-layer.zip",
        layer,
        "import jmespath; print(jmespath.__file__); print(m.version('jmespath')); "
        "print(jmespath.search('a.b', {'a': {'b': 7}}))",
    )

    assert result.returncode == 0, result.stderr
    module_file, version, value = result.stdout.split()
    assert Path(module_file).is_relative_to(layer)
    assert version == "1.1.0"
    assert value == "7"


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
            for key, filename in (
                ("functions", "functions.zip"),
                ("dependencies_layer", "dependencies-layer.zip"),
            )
        },
    }
    assert text == json.dumps(manifest, indent=2, sort_keys=True) + "\n"


def test_builds_from_different_directories_are_byte_identical(
    tiny_build: Project, tmp_path: Path
) -> None:
    # Same inputs at another path, into another output directory, with pip
    # installing into another temporary directory.
    elsewhere = Project(
        source=tmp_path / "moved" / "aipic",
        requirements=tmp_path / "reqs.txt",
        out=tmp_path / "other-dist",
    )
    shutil.copytree(tiny_build.source, elsewhere.source)
    shutil.copy(tiny_build.requirements, elsewhere.requirements)

    built(elsewhere.build())

    for name in ARTIFACT_FILES:
        assert (elsewhere.out / name).read_bytes() == (tiny_build.out / name).read_bytes(), name


def test_pip_cannot_install_in_offline_environment(project: Project, tmp_path: Path) -> None:
    # Guards the no-op tests below: were pip invoked there, it would fail.
    result = project.build(env=offline_pip_env(tmp_path))

    assert_clean_failure(result, "pip could not install")
    assert "jmespath" in result.stderr


def test_second_run_with_nothing_changed_does_no_work(project: Project, tmp_path: Path) -> None:
    built(project.build())
    before = mtimes(project.out)

    again = built(project.build(env=offline_pip_env(tmp_path)))

    assert "up to date" in again.stdout
    assert "built" not in again.stdout
    assert mtimes(project.out) == before


def test_changed_source_rebuilds_functions_but_not_the_layer(
    project: Project, tmp_path: Path
) -> None:
    built(project.build())
    before = mtimes(project.out)
    (project.source / "handlers" / "generate.py").write_text("def handler(e, c):\n    return 1\n")

    result = built(project.build(env=offline_pip_env(tmp_path)))

    assert "built functions.zip" in result.stdout
    assert "dependencies-layer.zip" not in result.stdout
    after = mtimes(project.out)
    assert after["dependencies-layer.zip"] == before["dependencies-layer.zip"]
    with zipfile.ZipFile(project.out / "functions.zip") as archive:
        assert archive.read("aipic/handlers/generate.py") == b"def handler(e, c):\n    return 1\n"
    manifest = json.loads((project.out / "manifest.json").read_text())
    functions = manifest["artifacts"]["functions"]
    assert functions["sha256_base64"] == sha256_base64(project.out / "functions.zip")
    assert functions["size"] == (project.out / "functions.zip").stat().st_size


def test_deleted_artifact_is_rebuilt_identically(project: Project, tmp_path: Path) -> None:
    built(project.build())
    original = (project.out / "functions.zip").read_bytes()
    (project.out / "functions.zip").unlink()

    result = built(project.build(env=offline_pip_env(tmp_path)))

    assert "built functions.zip" in result.stdout
    assert (project.out / "functions.zip").read_bytes() == original


def test_changed_requirements_rebuild_the_layer(project: Project) -> None:
    built(project.build())
    project.requirements.write_text(f"{TINY_REQUIREMENT}\nsix==1.17.0\n")

    result = built(project.build())

    assert "built dependencies-layer.zip" in result.stdout
    assert "functions.zip" not in result.stdout
    with zipfile.ZipFile(project.out / "dependencies-layer.zip") as archive:
        assert "python/six.py" in archive.namelist()


def test_architecture_is_recorded_and_switching_it_rebuilds_only_the_layer(
    project: Project,
) -> None:
    built(project.build())
    functions_mtime = (project.out / "functions.zip").stat().st_mtime_ns

    result = built(project.build("--architecture", "x86_64"))

    assert "built dependencies-layer.zip" in result.stdout
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


def test_missing_requirements_file_is_a_clear_error(project: Project) -> None:
    project.requirements.unlink()

    result = project.build()

    assert_clean_failure(result, f"requirements file not found: {project.requirements}")


def test_unknown_package_fails_with_pips_reason(project: Project) -> None:
    missing = "aipic-no-such-package-7f3e2d"
    project.requirements.write_text(f"{missing}==1.0\n")

    result = project.build()

    assert_clean_failure(result, "pip could not install")
    assert f"No matching distribution found for {missing}" in result.stderr
    assert "is ignored: it is neither" not in result.stderr
    assert not (project.out / "manifest.json").exists()


def test_unknown_architecture_is_rejected_by_the_command_line(project: Project) -> None:
    result = project.build("--architecture", "sparc")

    assert result.returncode == 2
    assert "invalid choice: 'sparc'" in result.stderr


# ------------------------------------------------- the repository's real requirements


@pytest.fixture(scope="module")
def real_layers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The real requirements built for both architectures, once per module."""
    layers = {}
    for architecture in ("arm64", "x86_64"):
        base = tmp_path_factory.mktemp(f"real-{architecture}")
        project = make_project(base)
        shutil.copy(REPO_ROOT / "requirements.txt", project.requirements)
        built(project.build("--architecture", architecture))
        layers[architecture] = project.out / "dependencies-layer.zip"
    return layers


def test_real_layer_holds_aarch64_wheels_and_no_boto3(real_layers: dict[str, Path]) -> None:
    with zipfile.ZipFile(real_layers["arm64"]) as archive:
        assert_deterministic_entries(archive)
        names = archive.namelist()

    extensions = [name for name in names if name.endswith(".so")]
    assert any(name.startswith("python/charset_normalizer/") for name in extensions)
    assert extensions
    assert all("aarch64" in name for name in extensions)
    top_level = {name.split("/")[1] for name in names}
    assert {"aws_lambda_powertools", "requests", "urllib3", "certifi"} <= top_level
    assert not {"boto3", "botocore", "bin", "__pycache__"} & top_level
    assert not [name for name in names if "/tests/" in name or "/test/" in name]


def test_real_layer_imports_on_this_machine(real_layers: dict[str, Path], tmp_path: Path) -> None:
    if os.uname().machine != "x86_64":
        pytest.skip("the x86_64 layer's compiled modules load only on x86_64")
    layer = tmp_path / "layer"
    result = run_with_layer(
        real_layers["x86_64"],
        layer,
        "import requests, charset_normalizer.md, aws_lambda_powertools; "
        "from aws_lambda_powertools import Logger; "
        "from aws_lambda_powertools.utilities.batch import BatchProcessor; "
        "print(requests.__file__); print(m.version('aws-lambda-powertools'))",
    )

    assert result.returncode == 0, result.stderr
    module_file, version = result.stdout.split()
    assert Path(module_file).is_relative_to(layer)
    assert f"aws-lambda-powertools=={version}" in (REPO_ROOT / "requirements.txt").read_text()


def test_output_path_that_is_a_file_is_a_clear_error(project: Project) -> None:
    project.out.write_text("not a directory")

    result = project.build()

    assert_clean_failure(result, "build.py: error:")
    assert project.out.read_text() == "not a directory"
