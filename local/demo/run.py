"""One demo run as a frontend does it, against the whole local stack.

Each prompt gets its own user, signed up in the emulator's Cognito; every user subscribes
over AppSync's real-time WebSocket (``start_ack`` first), then all of them call
``createAIPic`` over HTTP at once, wait for their picture's final event and download it from
S3 with their own identity-pool credentials. Everything in between — generate, Replicate,
the webhook, the upload trigger, the stream, publish — is the runtime running what
Terraform created; this module only watches, through ``PictureClient`` and the runtime's
invocation log.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.client import FINAL_STATUSES, GraphQLResponseError, PicEvent, PictureClient, SignedInUser
from local.demo.deadline import Deadline
from local.demo.errors import DemoTimeoutError, PictureOutcomeError
from local.demo.progress import Progress
from local.runtime import InvocationRecord

# The client's own clock, per picture (seconds): key → what the summary calls it.
CLIENT_HOPS = (
    ("createAIPic", "createAIPic round trip"),
    ("processing", "create → PROCESSING event"),
    ("final", "create → final event"),
    ("download", "S3 download"),
)
# Cognito's password policy in the local root: 12+ characters, all four classes.
PASSWORD_SUFFIX = "-Aa1!local"  # noqa: S105 - appended to a random password


@dataclass
class Picture:
    """One prompt's user, its picture and what its subscription received."""

    number: int
    prompt: str
    user: SignedInUser
    pic_id: str | None = None
    started_status: str | None = None
    statuses: list[str] = field(default_factory=list)
    failure_reason: str | None = None
    img_key: str | None = None
    file: Path | None = None
    file_bytes: int | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    misrouted: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    created_at: float | None = None  # epoch seconds, for the invocation log's offsets

    @property
    def label(self) -> str:
        return f"user-{self.number}"

    @property
    def final_status(self) -> str | None:
        return self.statuses[-1] if self.statuses else None

    def as_json(self) -> dict[str, Any]:
        return {
            "user": self.user.username,
            "owner": self.user.sub,
            "prompt": self.prompt,
            "id": self.pic_id,
            "mutationStatus": self.started_status,
            "statuses": self.statuses,
            "failureReason": self.failure_reason,
            "imgId": self.img_key,
            "file": str(self.file) if self.file else None,
            "fileBytes": self.file_bytes,
            "timings": {name: round(seconds, 4) for name, seconds in self.timings.items()},
        }


def sign_up_users(client: PictureClient, prompts: list[str]) -> list[Picture]:
    run_id = secrets.token_hex(4)
    pictures = []
    for number, prompt in enumerate(prompts, start=1):
        email = f"demo-{run_id}-{number}@example.com"
        user = client.sign_up(email, secrets.token_urlsafe(12) + PASSWORD_SUFFIX)
        pictures.append(Picture(number=number, prompt=prompt, user=user))
    return pictures


async def _follow(
    client: PictureClient, picture: Picture, events: AsyncIterator[PicEvent], progress: Progress
) -> None:
    """Create this user's picture and read its subscription until the final event."""
    started = time.monotonic()
    picture.created_at = time.time()
    try:
        created = await asyncio.to_thread(client.create, picture.user, picture.prompt)
    except GraphQLResponseError as error:
        raise PictureOutcomeError(f"{picture.label}: createAIPic failed: {error}") from None
    picture.timings["createAIPic"] = time.monotonic() - started
    picture.pic_id, picture.started_status = str(created["id"]), str(created["completionStatus"])
    progress.step(
        f"{picture.label}: createAIPic({picture.prompt!r}) → {picture.pic_id} "
        f"{picture.started_status}"
    )
    async for event in events:
        if event.owner != picture.user.sub or event.pic.get("owner") != picture.user.sub:
            picture.misrouted.append({"owner": event.owner, **event.pic})
            progress.step(f"{picture.label}'s subscription got someone else's event: {event.pic}")
            continue
        step = event.pic.get("progress")
        if (
            event.pic.get("id") == picture.pic_id
            and picture.statuses
            and picture.statuses[-1] == event.status
        ):
            # A progress step of a PROCESSING picture: the status did not change.
            progress.step(f"{picture.label}'s subscription: {event.status} {step}%")
            continue
        picture.received.append(event.pic)
        if event.pic.get("id") != picture.pic_id:
            continue
        picture.statuses.append(event.status)
        reason = event.pic.get("failureReason")
        picture.failure_reason = reason or picture.failure_reason
        picture.img_key = event.pic.get("imgId") or picture.img_key
        elapsed = time.monotonic() - started
        if event.status == "PROCESSING":
            picture.timings["processing"] = elapsed
        progress.step(
            f"{picture.label}'s subscription: {event.status} {picture.pic_id}"
            + (f" — {reason}" if reason else "")
        )
        if event.status in FINAL_STATUSES:
            picture.timings["final"] = elapsed
            return


async def _run_pictures(
    client: PictureClient, pictures: list[Picture], deadline: Deadline, progress: Progress
) -> None:
    async with contextlib.AsyncExitStack() as subscriptions:
        streams = [
            await subscriptions.enter_async_context(
                client.subscription(picture.user, progress_steps=True)
            )
            for picture in pictures
        ]
        progress.step(
            f"{len(pictures)} user(s) subscribed (start_ack); creating {len(pictures)} picture(s)"
        )
        followers = asyncio.gather(
            *(
                _follow(client, picture, stream, progress)
                for picture, stream in zip(pictures, streams, strict=True)
            )
        )
        try:
            await asyncio.wait_for(followers, timeout=deadline.check("subscribing"))
        except TimeoutError:
            waiting = [p.label for p in pictures if p.final_status not in FINAL_STATUSES]
            raise DemoTimeoutError(
                f"timed out after {deadline.seconds:.0f}s (--timeout) while waiting for the "
                f"final event of {', '.join(waiting)}"
            ) from None


def run_pictures(
    client: PictureClient, pictures: list[Picture], deadline: Deadline, progress: Progress
) -> None:
    asyncio.run(_run_pictures(client, pictures, deadline, progress))


def download_pictures(client: PictureClient, pictures: list[Picture], output_dir: Path) -> None:
    for picture in pictures:
        if picture.final_status != "COMPLETED" or not picture.img_key:
            continue
        started = time.monotonic()
        body = client.download(picture.user, picture.img_key)
        picture.timings["download"] = time.monotonic() - started
        output_dir.mkdir(parents=True, exist_ok=True)
        picture.file = output_dir / f"{picture.pic_id}.png"
        picture.file.write_bytes(body)
        picture.file_bytes = len(body)


def check_outcome(pictures: list[Picture], *, fail: bool) -> None:
    """Every picture ended as asked (COMPLETED; FAILED with a reason under --fail) and no
    subscription received another user's event."""
    expected = "FAILED" if fail else "COMPLETED"
    wrong = [
        f"{p.label} ended {p.final_status}" + (f": {p.failure_reason}" if p.failure_reason else "")
        for p in pictures
        if p.final_status != expected
    ]
    wrong += [
        f"{p.label} FAILED without a reason" for p in pictures if fail and not p.failure_reason
    ]
    wrong += [
        f"{p.label} received {len(p.misrouted)} other users' events"
        for p in pictures
        if p.misrouted
    ]
    if wrong:
        raise PictureOutcomeError(f"expected every picture {expected}: " + "; ".join(wrong))


def invocations_since(records: list[InvocationRecord], since: float) -> list[dict[str, Any]]:
    """The runtime's invocation log from ``since`` (epoch seconds) on, as offsets."""
    return [
        {
            "function": record.function_name,
            "trigger": record.trigger,
            "startOffset": round(record.started_at - since, 4),
            "duration": round(record.duration_seconds, 4),
            "outcome": record.outcome,
            "attempt": record.attempt,
        }
        for record in sorted(records, key=lambda r: r.started_at)
        if record.started_at >= since
    ]
