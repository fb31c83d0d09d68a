"""A cached ``terraform apply``: moto's request recording of the apply, replayed next time.

The apply of the whole stack takes 70-100 s, nearly all of it the provider's own waits
(S3 lifecycle, SQS queues, the KMS key). Replaying the requests that built the stack into a
fresh emulator takes a few seconds and needs no terraform at all:

1. first run (a miss): the emulator records (``/moto-api/recorder/start-recording``), its
   random is seeded (``/moto-api/seed``, itself recorded), terraform applies, recording
   stops; the recording, the state and the outputs are saved under a key;
2. next run (a hit): the recording is replayed (``replay_recording``) into a fresh
   emulator (the seed request
   comes first, so every id moto draws comes out as recorded — the emulator serves a
   recording's requests one at a time and its own ids come from moto's random too, see
   ``local.emulator.app`` and ``local.emulator.patches``), the saved state is copied beside
   it, and a cheap check confirms that every resource the outputs name exists.

The key is a hash of every input that changes what the apply creates: the Terraform files
(``terraform/``, ``modules/``, resolvers), ``schema.graphql``, ``dist/manifest.json``, the
emulator's own code, moto's and terraform's versions, the root's variables and the ports.
The ports belong in it because the emulator's state holds them: the Replicate stand-in's URL
and the emulator's own are function environment variables, and the API's uris and
``graphql_url`` name the AppSync endpoint's origin. So a cached stack starts on the ports
it was recorded with, or misses.

Entries live in ``.tfcli/stack-cache/<key>/`` (git-ignored; ``make clean`` removes them);
the newest ``keep`` entries are kept. An entry is written to a temporary directory and
renamed into place, so a reader never sees half of one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CACHE_DIR = REPO_ROOT / ".tfcli" / "stack-cache"
# The seed every recording starts with (any fixed number: the recording replays it).
RECORDING_SEED = 20240101
RECORDING_FILE = "recording.jsonl"
STATE_FILE = "terraform.tfstate"
OUTPUTS_FILE = "outputs.json"
INPUTS_FILE = "inputs.json"
# What the apply reads; every file under these (Terraform's own directories excepted).
INPUT_TREES = ("terraform", "modules", "local/emulator")
INPUT_SUFFIXES = frozenset({".tf", ".js", ".mjs", ".graphql", ".py", ".json"})
INPUT_FILES = ("schema.graphql", "dist/manifest.json")
SKIPPED_DIRECTORIES = frozenset({".terraform", "__pycache__", "tests", "node_modules"})


class CacheError(RuntimeError):
    """A cached apply could not be replayed or failed its check; ``str()`` says why."""


@dataclass(frozen=True)
class CachedApply:
    """One entry: where its recording and state are, and the outputs saved with them."""

    directory: Path
    outputs: dict[str, Any]

    @property
    def recording(self) -> Path:
        return self.directory / RECORDING_FILE

    @property
    def state(self) -> Path:
        return self.directory / STATE_FILE


def input_files(repo_root: Path = REPO_ROOT) -> list[Path]:
    """Every file whose content is part of the key, in a stable order."""
    found: list[Path] = []
    for tree in INPUT_TREES:
        for directory, subdirectories, files in os.walk(repo_root / tree):
            subdirectories[:] = sorted(d for d in subdirectories if d not in SKIPPED_DIRECTORIES)
            found.extend(
                Path(directory) / name
                for name in sorted(files)
                if Path(name).suffix in INPUT_SUFFIXES
            )
    found.extend(repo_root / name for name in INPUT_FILES)
    return found


def terraform_version() -> str:
    try:
        answer = subprocess.run(
            ["terraform", "version", "-json"],  # noqa: S607 - from PATH, as LocalTerraform
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return str(json.loads(answer.stdout).get("terraform_version", "unknown"))


def cache_inputs(
    *, ports: Mapping[str, int], variables: Mapping[str, object], repo_root: Path = REPO_ROOT
) -> dict[str, Any]:
    """What the key is computed from (saved beside the entry, to say why a key changed)."""
    files: dict[str, str] = {}
    for path in input_files(repo_root):
        relative = str(path.relative_to(repo_root))
        files[relative] = (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
        )
    return {
        "files": files,
        "moto": metadata.version("moto"),
        "terraform": terraform_version(),
        "ports": dict(sorted(ports.items())),
        "variables": {name: variables[name] for name in sorted(variables)},
    }


def cache_key(inputs: Mapping[str, Any]) -> str:
    canonical = json.dumps(inputs, sort_keys=True, default=str).encode()
    return hashlib.sha256(canonical).hexdigest()[:32]


class ApplyCache:
    """Entries under ``directory``, the newest ``keep`` of them kept."""

    def __init__(self, directory: Path = DEFAULT_CACHE_DIR, *, keep: int = 4) -> None:
        self.directory = directory
        self.keep = keep

    def lookup(self, key: str) -> CachedApply | None:
        entry = self.directory / key
        try:
            outputs = json.loads((entry / OUTPUTS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not (entry / RECORDING_FILE).is_file() or not (entry / STATE_FILE).is_file():
            return None
        os.utime(entry)  # recently used: pruned last
        return CachedApply(entry, dict(outputs))

    def save(
        self,
        key: str,
        *,
        recording: Path,
        state: Path,
        outputs: Mapping[str, Any],
        inputs: Mapping[str, Any],
    ) -> CachedApply:
        self.directory.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=self.directory))
        try:
            shutil.copyfile(recording, staging / RECORDING_FILE)
            shutil.copyfile(state, staging / STATE_FILE)
            (staging / OUTPUTS_FILE).write_text(json.dumps(outputs, indent=2), encoding="utf-8")
            (staging / INPUTS_FILE).write_text(json.dumps(inputs, indent=2), encoding="utf-8")
            target = self.directory / key
            if target.exists():  # another run saved the same key meanwhile: same content
                shutil.rmtree(staging)
            else:
                staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._prune()
        return CachedApply(self.directory / key, dict(outputs))

    def discard(self, key: str) -> None:
        shutil.rmtree(self.directory / key, ignore_errors=True)

    def _prune(self) -> None:
        entries = sorted(
            (
                entry
                for entry in self.directory.iterdir()
                if entry.is_dir() and entry.name[0] != "."
            ),
            key=lambda entry: entry.stat().st_mtime,
            reverse=True,
        )
        for stale in entries[self.keep :]:
            shutil.rmtree(stale, ignore_errors=True)


# ---------------------------------------------------------------- moto's recorder, over HTTP


def _moto_api(emulator_url: str, path: str, *, timeout: float = 30.0) -> None:
    with requests.Session() as session:
        session.trust_env = False  # straight to loopback, whatever proxy the environment names
        answer = session.post(f"{emulator_url}/moto-api/{path}", timeout=timeout)
        answer.raise_for_status()


def start_recording(emulator_url: str) -> None:
    """Record from here on, starting with the seed (so a replay re-seeds first)."""
    _moto_api(emulator_url, "recorder/reset-recording")
    _moto_api(emulator_url, "recorder/start-recording")
    _moto_api(emulator_url, f"seed?a={RECORDING_SEED}")


def stop_recording(emulator_url: str) -> None:
    _moto_api(emulator_url, "recorder/stop-recording")


def replay_recording(emulator_url: str, recording: Path) -> tuple[int, float]:
    """Send a recording's requests to the emulator in order; (how many, seconds).

    Replayed from here rather than by ``/moto-api/recorder/replay-recording``: moto's replay
    opens a new connection per request and took twice as long (9.4 s against 4.7 s for
    the stack's 349 requests). The format is moto's (one JSON object a line: method, url,
    headers, body, body_encoded).
    """
    started = time.monotonic()
    count = 0
    with requests.Session() as session, recording.open(encoding="utf-8") as lines:
        session.trust_env = False
        for line in lines:
            entry = json.loads(line)
            body: str | bytes = entry.get("body") or b""
            if entry.get("body_encoded"):
                body = base64.b64decode(body)
            parts = urlsplit(entry["url"])
            headers = {
                name: value
                for name, value in entry["headers"].items()
                if name.lower() not in {"transfer-encoding", "content-length"}
            }
            try:
                session.request(
                    entry["method"],
                    f"{emulator_url}{parts.path}" + (f"?{parts.query}" if parts.query else ""),
                    headers=headers,
                    data=body,
                    timeout=60,
                )
            except requests.RequestException as error:
                raise CacheError(f"replaying request {count + 1} failed: {error}") from error
            count += 1
    return count, time.monotonic() - started


def missing_resources(checks: Iterable[tuple[str, Any]]) -> list[str]:
    """Run each ``(what, probe)``; the ``what`` of every probe that raised."""
    missing = []
    for what, probe in checks:
        try:
            probe()
        except Exception as error:  # noqa: BLE001 - any failure means: not there as recorded
            missing.append(f"{what} ({type(error).__name__}: {error})")
    return missing
