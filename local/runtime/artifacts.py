"""The deployed code, found by its CodeSha256 among the build's zips, unpacked like Lambda.

moto keeps a function's zip but serves no fetchable copy of it, so the code is the zip in
the artifacts directory (``dist/`` of ``make build``) whose SHA-256 is the function's (or
layer version's) CodeSha256. None matching means the emulator runs another build than the
one on disk: refused, with what to do.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from local.runtime.config import FunctionConfig


class StaleArtifactError(RuntimeError):
    """A deployed function's or layer's code matches no zip in the artifacts directory."""


def code_sha256(path: Path) -> str:
    """Lambda's CodeSha256: the base64 SHA-256 of the zip."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return base64.b64encode(digest.digest()).decode()


@dataclass(frozen=True)
class Deployment:
    """Where a function's code lives locally: Lambda's /var/task and /opt."""

    task_root: Path
    opt_dir: Path

    def layer_paths(self, runtime: str) -> list[Path]:
        """The layer directories Lambda's Python runtime (``python3.12``) puts on sys.path."""
        python = self.opt_dir / "python"
        return [python / "lib" / runtime / "site-packages", python]


def _extract(archive: Path, target: Path) -> None:
    """Unzip refusing entries that would land outside ``target``."""
    with zipfile.ZipFile(archive) as zipped:
        for member in zipped.infolist():
            parts = PurePosixPath(member.filename).parts
            if member.filename.startswith("/") or ".." in parts:
                raise StaleArtifactError(f"{archive}: unsafe entry {member.filename!r}")
            zipped.extract(member, target)


class ArtifactStore:
    """Indexes the zips of an artifacts directory by CodeSha256 and unpacks them once each."""

    def __init__(self, artifacts_dir: Path, work_dir: Path) -> None:
        self.artifacts_dir = artifacts_dir
        self._work_dir = work_dir
        self._by_sha: dict[str, Path] = {}
        self.rescan()

    def rescan(self) -> None:
        """Hash the zips again (after a rebuild)."""
        zips = sorted(self.artifacts_dir.glob("*.zip")) if self.artifacts_dir.is_dir() else []
        self._by_sha = {code_sha256(path): path for path in zips}

    def _zip_for(self, sha: str, what: str) -> Path:
        found = self._by_sha.get(sha)
        if found is None:
            known = ", ".join(f"{p.name} ({s})" for s, p in self._by_sha.items()) or "no zips"
            raise StaleArtifactError(
                f"{what} was deployed with CodeSha256 {sha}, which matches no zip in "
                f"{self.artifacts_dir} ({known}). The emulator holds another build than the "
                "one on disk: run `make build` and apply Terraform again, or point the "
                "runtime at the artifacts that were deployed."
            )
        return found

    def _unpacked(self, sha: str, archive: Path) -> Path:
        target = self._work_dir / "code" / hashlib.sha256(sha.encode()).hexdigest()[:16]
        if not target.is_dir():
            partial = target.with_suffix(".partial")
            shutil.rmtree(partial, ignore_errors=True)
            _extract(archive, partial)
            partial.rename(target)
        return target

    def check(self, function: FunctionConfig) -> None:
        """Raise StaleArtifactError unless the function's code and layers are all on disk."""
        self._zip_for(function.code_sha256, f"function {function.name}")
        for layer in function.layers:
            self._zip_for(layer.code_sha256, f"layer {layer.arn} of function {function.name}")

    def deploy(self, function: FunctionConfig) -> Deployment:
        code_sha = function.code_sha256
        task_root = self._unpacked(code_sha, self._zip_for(code_sha, f"function {function.name}"))
        # Lambda extracts the layers into /opt in the function's order, later ones on top.
        layers_key = hashlib.sha256("|".join(x.code_sha256 for x in function.layers).encode())
        opt_dir = self._work_dir / "opt" / layers_key.hexdigest()[:16]
        if not opt_dir.is_dir():
            partial = opt_dir.with_suffix(".partial")
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            for layer in function.layers:
                what = f"layer {layer.arn} of function {function.name}"
                _extract(self._zip_for(layer.code_sha256, what), partial)
            partial.rename(opt_dir)
        return Deployment(task_root=task_root, opt_dir=opt_dir)
