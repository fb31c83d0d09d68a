"""A local stand-in for Replicate: the prediction API, the file host, the signed webhook.

    with ReplicateStandIn(webhook_secret=secret) as replicate:
        env["REPLICATE_API_URL"] = replicate.base_url       # http://127.0.0.1:PORT/v1
        env["IMAGE_HOST_ALLOWLIST"] = replicate.image_host   # 127.0.0.1
        ...
        replicate.wait_for_webhooks()

``POST /v1/predictions`` (a model version: ``{"version": ...}``) and
``POST /v1/models/<owner>/<name>/predictions`` (an official model, no version) answer
201 with a prediction like Replicate's; then a bounded
background thread "runs" the model and POSTs the prediction to the request's ``webhook``
for each event its ``webhook_events_filter`` asks for (default ``["completed"]``):
``start`` (status starting), ``logs`` (status processing, the log so far with a diffusers
tqdm bar per denoising step, at most one event per ``LOGS_INTERVAL_SECONDS`` of model
time, as Replicate throttles them) and ``completed`` (the outcome). Each is signed as
Replicate (Svix) signs; the ``completed`` one is retried as Replicate retries it (on no
connection or a non-2xx, with backoff for about a minute), the others are sent once.
``POST /v1/predictions/<id>/cancel`` cancels a prediction that is starting or processing:
its run stops and its ``completed`` event reports ``canceled``.
``GET /files/<prediction id>.png`` serves a real PNG drawn from the prompt;
``GET /redirect?location=<URL>`` answers 302 to that URL (see :meth:`redirect_url`).

Signing here is written independently of ``aipic.signature`` so the tests check the
handler against the published scheme, not against itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import secrets
import struct
import textwrap
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from local.net import LocalHttpServer

MODEL_VERSION = "39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b"
DEFAULT_WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"local-stand-in-signing-key-32byt").decode()
# Replicate retries only a prediction's final ("completed") webhook, when it cannot
# connect or gets a 4xx/5xx, "several times on an exponential backoff", the last about
# a minute after the prediction completed; it never retries intermediate events.
REPLICATE_WEBHOOK_RETRY_DELAYS_SECONDS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
# Above generate's 10 s request timeout, so a delay can make it time out (the soak's
# "in doubt" fault); stop() cuts a delay short.
MAX_ANSWER_DELAY_SECONDS = 15.0
# Replicate sends "logs" (and "output") events at most this often.
LOGS_INTERVAL_SECONDS = 0.5
# A Stable Diffusion run: denoising steps when the input names none, model seconds per step.
DEFAULT_INFERENCE_STEPS = 50
DEFAULT_STEP_SECONDS = 0.1
MAX_INFERENCE_STEPS = 500
SEED_LOG_LINE = "Using seed: 1234"
# A dripping file host sends this many bytes per interval, at most this many times.
DRIP_BYTES = 8
MAX_DRIPS = 200
# A paced file host writes this much at a time, so the rate holds within a few ms.
PACED_WRITE_BYTES = 64 * 1024
# Lateness a paced link makes up (its own sleeps and writes overrunning); a write late by
# more found the client not reading, and that idle time is lost, as on a link.
PACED_LINK_SLACK_SECONDS = 0.01


def _official_model(path: str) -> str | None:
    """``owner/name`` of ``/v1/models/<owner>/<name>/predictions``, else None."""
    parts = path.split("/")
    shaped = len(parts) == 6 and parts[:3] == ["", "v1", "models"] and parts[5] == "predictions"
    return f"{parts[3]}/{parts[4]}" if shaped and parts[3] and parts[4] else None


def sign_webhook(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``webhook-signature`` value: ``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body``."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_webhook_headers(
    secret: str, body: bytes, *, timestamp: int | None = None, message_id: str | None = None
) -> dict[str, str]:
    """The headers Replicate sends with a webhook (lowercase, as API Gateway passes them)."""
    message_id = message_id or f"msg_{secrets.token_hex(12)}"
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "content-type": "application/json",
        "user-agent": "Svix-Webhooks/1.24.0",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign_webhook(secret, message_id, timestamp, body),
    }


DEFAULT_IMAGE_SIZE = (512, 512)


def render_png(prompt: str, size: tuple[int, int] = DEFAULT_IMAGE_SIZE) -> bytes:
    """A real PNG drawn from the prompt (same prompt, same PNG): a two-colour gradient,
    shapes placed by the prompt's hash, and the prompt itself as a caption."""
    from PIL import Image, ImageDraw, ImageFont

    seed = hashlib.sha256(prompt.encode()).digest()
    width, height = size
    top, bottom = (seed[0], seed[1], seed[2]), (seed[3], seed[4], seed[5])
    gradient = Image.linear_gradient("L").resize(size)
    image = Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), gradient)
    draw = ImageDraw.Draw(image)
    for index in range(6):
        part = seed[6 + index * 4 : 10 + index * 4]
        x, y = part[0] * width // 256, part[1] * height // 256
        radius = min(width, height) // 32 + part[2] * min(width, height) // 1536
        colour = (part[3], part[0] ^ part[2], part[1] ^ part[3])
        shape = draw.ellipse if index % 2 else draw.rectangle
        shape((x - radius, y - radius, x + radius, y + radius), fill=colour)
    font = ImageFont.load_default(size=max(10, height // 24))
    caption = textwrap.fill(prompt, width=max(10, width // (height // 48 + 1)))
    _, upper, _, lower = draw.multiline_textbbox((0, 0), caption, font=font)
    band_top = height - (lower - upper) - 24
    draw.rectangle((0, band_top, width, height), fill=(16, 16, 16))
    draw.multiline_text((12, band_top + 12 - upper), caption, font=font, fill=(240, 240, 240))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def iter_large_png(approx_bytes: int, seed: int = 7) -> Iterator[bytes]:
    """A valid, uncompressed PNG of about ``approx_bytes``, produced in small chunks.

    Built on the fly so serving a 64 MiB image costs the stand-in almost no memory.
    """
    width = 1024
    row_bytes = 1 + width * 3
    height = max(1, approx_bytes // row_bytes)
    yield b"\x89PNG\r\n\x1a\n" + _png_chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    )
    rows = [
        bytes([0]) + bytes((seed * (r + 1) + i) % 256 for i in range(width * 3)) for r in range(8)
    ]
    compressor = zlib.compressobj(level=0)
    for row_index in range(height):
        data = compressor.compress(rows[row_index % len(rows)])
        if data:
            yield _png_chunk(b"IDAT", data)
    yield _png_chunk(b"IDAT", compressor.flush()) + _png_chunk(b"IEND", b"")


def large_png_size(approx_bytes: int) -> int:
    """Exact size of ``iter_large_png(approx_bytes)``."""
    return sum(len(chunk) for chunk in iter_large_png(approx_bytes))


def tqdm_bar(done: int, total: int, step_seconds: float) -> str:
    """One line of tqdm's default meter, as diffusers prints it for a denoising step:
    ``" 46%|████▌     | 23/50 [00:02<00:02, 10.00it/s]"``."""
    width = 10
    full, partial = divmod(done * width * 8 // total, 8)
    bar = "█" * full + (" ▏▎▍▌▋▊▉"[partial] if full < width else "")

    def clock(seconds: float) -> str:
        return f"{int(seconds) // 60:02d}:{int(seconds) % 60:02d}"

    rate = f"{1 / step_seconds:5.2f}it/s" if done and step_seconds > 0 else "?it/s"
    return (
        f"{done * 100 // total:3d}%|{bar.ljust(width)}| {done}/{total} "
        f"[{clock(done * step_seconds)}<{clock((total - done) * step_seconds)}, {rate}]"
    )


def run_logs(done: int, total: int, step_seconds: float) -> str:
    """The prediction's log after ``done`` of ``total`` steps (one bar line per step)."""
    bars = [tqdm_bar(step, total, step_seconds) for step in range(done + 1)]
    return "\n".join([SEED_LOG_LINE, *bars]) + "\n"


@dataclass
class WebhookDelivery:
    prediction: dict[str, Any]
    url: str
    event: str = "completed"  # start | logs | completed
    status_codes: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return bool(self.status_codes) and 200 <= self.status_codes[-1] < 300


@dataclass(frozen=True)
class InjectedFault:
    """One fault the stand-in injected: what, for which picture (the ``?id=`` of the
    prediction's webhook URL) and which prediction (None when none was created)."""

    kind: str  # "prediction_failure:<status>", "prediction_delay", "webhook_dropped", ...
    pic_id: str | None
    prediction_id: str | None = None


def pic_id_of_webhook(url: object) -> str | None:
    """The picture id generate puts in the webhook URL (``...?id=<pic id>``)."""
    if not isinstance(url, str):
        return None
    found = parse_qs(urlsplit(url).query).get("id")
    return found[0] if found else None


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


class ReplicateStandIn(LocalHttpServer):
    """Replicate's prediction API + file host + webhook sender on 127.0.0.1.

    Options: ``outcome`` "succeeded" | "failed" | "canceled"; ``error`` for a failure;
    ``image_size`` of the PNG; ``large_image_bytes`` serves a generated PNG of about that
    size instead; ``content_type`` of the file response; ``send_content_length``;
    ``redirect_image_to`` answers the file URL with a 302 to that URL; ``output_url``
    replaces the output URL in the webhook; ``prediction_failures`` / ``image_failures``:
    HTTP statuses answered, in order, before the API / file host works (e.g. [429, 500]);
    ``retry_after`` header value sent with a 429; ``prediction_delays``: seconds, in
    order, that the API waits after creating a prediction before it answers (a client with
    a shorter timeout gives up, and the prediction exists anyway, as on Replicate; at most
    ``MAX_ANSWER_DELAY_SECONDS``, cut short by ``stop()``); ``expected_token`` makes the
    API demand ``Authorization: Bearer <token>``; ``webhook_delay`` before the first
    delivery; ``image_delay`` seconds the file host waits before it answers (at most
    ``MAX_ANSWER_DELAY_SECONDS``); ``image_bytes_per_second`` caps the rate the file host
    sends an image at (a network link's bandwidth: it waits between writes instead of
    computing, so a client waits on it as on a CDN, without the stand-in taking a core);
    ``drip_interval`` makes the file host send its answer
    ``DRIP_BYTES`` at a time with that pause between (a slow-loris host), from the first
    body byte, or from the status line when ``drip_headers``; ``webhook_route`` maps a
    webhook URL to the URL that is really called (the local stack's HTTP API servers);
    ``webhook_retry_delays``: seconds between the ``completed`` webhook's retries
    (Replicate's schedule by default; a test may shorten it); ``step_seconds``: model
    seconds per denoising step (``num_inference_steps`` of the input, default 50, make the
    run); ``time_scale``: real seconds per model second (the tests run a 5 s model run in
    0.05 s, a demo in real time with 1.0).

    Fault counters (each "the next N", off at 0, settable while serving; every fault
    injected is appended to ``faults``): ``drop_webhooks`` — predictions whose webhook is
    never sent (a delivery Replicate lost for good); ``duplicate_webhooks`` — predictions
    whose ``completed`` webhook is sent twice at once (two messages, racing) and then a
    stale ``processing`` one (out of order); ``cut_image_streams`` — file responses that
    announce the whole ``Content-Length``, send half of the body and close the connection
    (a host failing mid-stream). ``fault_prompt_marker``: when set, every fault option
    (the counters and the ``*_failures`` / ``prediction_delays`` lists) applies only to
    predictions whose prompt contains it, so a soak aims each fault at its own picture
    while other traffic flows untouched.
    """

    def __init__(
        self,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
        *,
        outcome: str = "succeeded",
        error: object = "CUDA out of memory",
        image_size: tuple[int, int] = DEFAULT_IMAGE_SIZE,
        large_image_bytes: int | None = None,
        content_type: str = "image/png",
        send_content_length: bool = True,
        redirect_image_to: str | None = None,
        output_url: str | None = None,
        prediction_failures: list[int] | None = None,
        image_failures: list[int] | None = None,
        retry_after: str | None = None,
        prediction_delays: list[float] | None = None,
        expected_token: str | None = None,
        webhook_delay: float = 0.05,
        image_delay: float = 0.0,
        image_bytes_per_second: float | None = None,
        drip_interval: float | None = None,
        drip_headers: bool = False,
        webhook_route: Callable[[str], str] | None = None,
        webhook_retry_delays: Sequence[float] = REPLICATE_WEBHOOK_RETRY_DELAYS_SECONDS,
        port: int = 0,
        step_seconds: float = DEFAULT_STEP_SECONDS,
        time_scale: float = 0.01,
        progress_bar: bool = True,
        drop_webhooks: int = 0,
        duplicate_webhooks: int = 0,
        cut_image_streams: int = 0,
        fault_prompt_marker: str | None = None,
    ) -> None:
        super().__init__(_ReplicateRequestHandler, port)
        self.webhook_secret = webhook_secret
        self.outcome = outcome
        self.error = error
        self.image_size = image_size
        self.large_image_bytes = large_image_bytes
        self.content_type = content_type
        self.send_content_length = send_content_length
        self.redirect_image_to = redirect_image_to
        self.output_url = output_url
        self.prediction_failures = list(prediction_failures or [])
        self.image_failures = list(image_failures or [])
        self.retry_after = retry_after
        self.prediction_delays = list(prediction_delays or [])
        self.expected_token = expected_token
        self.webhook_delay = webhook_delay
        self.image_delay = image_delay
        self.image_bytes_per_second = image_bytes_per_second
        self.drip_interval = drip_interval
        self.drip_headers = drip_headers
        # Where a webhook URL is really reached, as DNS would say: the local stack maps
        # its public-looking HTTP API URLs onto the function runtime's local servers.
        self.webhook_route = webhook_route
        self.webhook_retry_delays = tuple(webhook_retry_delays)
        self.step_seconds = step_seconds
        self.time_scale = time_scale
        # False: the model logs no tqdm bar (its logs events carry no progress).
        self.progress_bar = progress_bar
        self.drop_webhooks = drop_webhooks
        self.duplicate_webhooks = duplicate_webhooks
        self.cut_image_streams = cut_image_streams
        self.fault_prompt_marker = fault_prompt_marker
        self.faults: list[InjectedFault] = []
        self.requests: list[ReceivedRequest] = []
        self.predictions: dict[str, dict[str, Any]] = {}
        self.deliveries: list[WebhookDelivery] = []
        self.cancellations: list[str] = []  # prediction ids, in the order cancelled
        self._lock = threading.Lock()
        self._delivery_threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    @property
    def base_url(self) -> str:
        """Use as REPLICATE_API_URL."""
        return f"{self.base_origin}/v1"

    @property
    def image_host(self) -> str:
        """Use as IMAGE_HOST_ALLOWLIST."""
        return "127.0.0.1"

    def file_url(self, prediction_id: str) -> str:
        return f"{self.base_origin}/files/{prediction_id}.png"

    def redirect_url(self, location: str) -> str:
        """A URL on the stand-in that answers 302 with ``Location: <location>``, verbatim."""
        return f"{self.base_origin}/redirect?{urlencode({'location': location})}"

    @property
    def prediction_requests(self) -> list[ReceivedRequest]:
        """Every prediction creation, through either endpoint."""
        return [
            r
            for r in self.requests
            if r.method == "POST"
            and (r.path == "/v1/predictions" or _official_model(r.path) is not None)
        ]

    @property
    def completed_deliveries(self) -> list[WebhookDelivery]:
        """The ``completed`` webhook deliveries (one per prediction that asked for it)."""
        return [delivery for delivery in self.deliveries if delivery.event == "completed"]

    @property
    def file_requests(self) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.path.startswith("/files/")]

    def inference_steps(self, prediction_id: str) -> int:
        steps = self.predictions[prediction_id]["input"].get("num_inference_steps")
        if isinstance(steps, int) and not isinstance(steps, bool) and steps > 0:
            return min(steps, MAX_INFERENCE_STEPS)
        return DEFAULT_INFERENCE_STEPS

    def final_prediction(self, prediction_id: str) -> dict[str, Any]:
        """The prediction as the final ("completed") webhook carries it."""
        with self._lock:
            prediction = dict(self.predictions[prediction_id])
        now = _now()
        if prediction["status"] == "canceled":
            prediction.update(completed_at=now, output=None, error=None)
            return prediction
        steps = self.inference_steps(prediction_id)
        prediction.update(
            status=self.outcome, completed_at=now, started_at=prediction.get("started_at") or now
        )
        if self.outcome == "succeeded":
            prediction.update(
                output=[self.output_url or self.file_url(prediction_id)],
                error=None,
                logs=run_logs(steps, steps, self.step_seconds),
                metrics={"predict_time": round(steps * self.step_seconds, 3), "total_time": 2.4},
            )
        else:
            prediction.update(output=None, error=self.error)
        return prediction

    def logs_schedule(self, prediction_id: str) -> list[tuple[float, int]]:
        """(model seconds since start, steps done) of each ``logs`` event of a run: one
        per LOGS_INTERVAL_SECONDS while it runs, the last at its end."""
        steps = self.inference_steps(prediction_id)
        run_seconds = steps * self.step_seconds
        schedule: list[tuple[float, int]] = []
        at = LOGS_INTERVAL_SECONDS
        while at < run_seconds:
            schedule.append((at, int(at / self.step_seconds)))
            at += LOGS_INTERVAL_SECONDS
        schedule.append((run_seconds, steps))
        return schedule

    def stop(self) -> None:
        self._stopping.set()  # ends any delayed answer at once
        super().stop()

    def wait_for_webhooks(self, timeout: float = 15.0) -> list[WebhookDelivery]:
        """Wait (bounded) until every webhook delivery has finished; return them all."""
        deadline = time.monotonic() + timeout
        for thread in list(self._delivery_threads):
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if any(thread.is_alive() for thread in self._delivery_threads):
            raise TimeoutError("webhook deliveries still running")
        return list(self.deliveries)

    # -- called by the request handler

    def _create_prediction(
        self, request: dict[str, Any], official_model: str | None = None
    ) -> dict[str, Any]:
        prediction_id = secrets.token_hex(13)[:26]
        created_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        prediction = {
            "id": prediction_id,
            "model": official_model or "stability-ai/stable-diffusion",
            # Replicate reports an official model's prediction without a version id.
            "version": None if official_model else request.get("version"),
            "input": request.get("input", {}),
            "logs": "",
            "output": None,
            "data_removed": False,
            "error": None,
            "status": "starting",
            "created_at": created_at,
            "urls": {
                "cancel": f"{self.base_url}/predictions/{prediction_id}/cancel",
                "get": f"{self.base_url}/predictions/{prediction_id}",
                "stream": f"{self.base_origin}/stream/{prediction_id}",
            },
            "webhook": request.get("webhook"),
            "webhook_events_filter": request.get("webhook_events_filter"),
        }
        webhook = request.get("webhook")
        pic_id = pic_id_of_webhook(webhook)
        with self._lock:
            self.predictions[prediction_id] = prediction
            dropped = self._take("drop_webhooks", "webhook_dropped", pic_id, prediction_id)
            duplicated = self._take(
                "duplicate_webhooks", "webhook_duplicated", pic_id, prediction_id
            )
        if webhook and not dropped:
            events = frozenset(request.get("webhook_events_filter") or ["completed"])
            thread = threading.Thread(
                target=self._run, args=(prediction_id, webhook, events, duplicated), daemon=True
            )
            self._delivery_threads.append(thread)
            thread.start()
        return prediction

    def faults_apply(self, prompt: object) -> bool:
        """Whether the fault options apply to a prediction of this prompt."""
        marker = self.fault_prompt_marker
        return marker is None or (isinstance(prompt, str) and marker in prompt)

    def _take(self, counter: str, kind: str, pic_id: str | None, prediction_id: str | None) -> bool:
        """Spend one of the fault counter ``counter`` (the lock held), recording it."""
        prompt = self.predictions.get(prediction_id or "", {}).get("input", {}).get("prompt")
        if not self.faults_apply(prompt):
            return False
        left = int(getattr(self, counter))
        if left <= 0:
            return False
        setattr(self, counter, left - 1)
        self.faults.append(InjectedFault(kind, pic_id, prediction_id))
        return True

    def _run(
        self, prediction_id: str, url: str, events: frozenset[str], duplicated: bool = False
    ) -> None:
        """The prediction's life: start, a logs event per interval while it runs, the
        outcome; a cancel stops it before the next event. Bounded by the step count.
        ``duplicated``: the outcome is sent twice at once (racing), then a stale
        ``processing`` event after it (out of order)."""
        time.sleep(self.webhook_delay)
        if self._advance(prediction_id, started_at=_now()) and "start" in events:
            self._deliver(prediction_id, url, "start", self._snapshot(prediction_id))
        steps, elapsed, sent_logs = self.inference_steps(prediction_id), 0.0, ""
        for at, done in self.logs_schedule(prediction_id):
            if self._stopping.wait((at - elapsed) * self.time_scale):
                return
            elapsed = at
            logs = run_logs(done, steps, self.step_seconds) if self.progress_bar else SEED_LOG_LINE
            if not self._advance(prediction_id, status="processing", logs=logs):
                break  # canceled meanwhile
            # Replicate sends a logs event when the model logged something new.
            if "logs" in events and logs != sent_logs:
                sent_logs = logs
                self._deliver(prediction_id, url, "logs", self._snapshot(prediction_id))
        if "completed" not in events:
            return
        final = self.final_prediction(prediction_id)
        if not duplicated:
            self._deliver(prediction_id, url, "completed", final)
            return
        racing = [
            threading.Thread(
                target=self._deliver, args=(prediction_id, url, "completed", final), daemon=True
            )
            for _ in range(2)
        ]
        for thread in racing:
            thread.start()
        for thread in racing:
            thread.join(timeout=60)
        time.sleep(1.0)
        stale = {**final, "status": "processing", "logs": "50%|█████     | 25/50"}
        self._deliver(prediction_id, url, "logs", stale)

    def _advance(self, prediction_id: str, **changes: str) -> bool:
        """Apply ``changes`` unless the prediction was canceled; False if it was."""
        with self._lock:
            prediction = self.predictions[prediction_id]
            if prediction["status"] == "canceled":
                return False
            prediction.update(changes)
            return True

    def _snapshot(self, prediction_id: str) -> dict[str, Any]:
        with self._lock:
            return dict(self.predictions[prediction_id])

    def _deliver(
        self, prediction_id: str, url: str, event: str, prediction: dict[str, Any]
    ) -> None:
        delivery = WebhookDelivery(prediction=prediction, url=url, event=event)
        with self._lock:
            self.deliveries.append(delivery)
        if self.webhook_route is not None:
            url = self.webhook_route(url)
        if urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
            delivery.errors.append("not delivered: the stand-in only calls local webhooks")
            return
        body = json.dumps(prediction).encode()
        # Same message id on every retry, fresh timestamp and signature, as Svix does.
        message_id = f"msg_{secrets.token_hex(12)}"
        retries = self.webhook_retry_delays if event == "completed" else ()
        for delay in (0.0, *retries):
            if self._stopping.wait(delay):
                return
            headers = signed_webhook_headers(self.webhook_secret, body, message_id=message_id)
            try:
                response = requests.post(
                    url, data=body, headers=headers, timeout=30, allow_redirects=False
                )
            except requests.RequestException as error:
                delivery.errors.append(str(error))
                continue
            delivery.status_codes.append(response.status_code)
            if 200 <= response.status_code < 300:
                return

    def _cancel(self, prediction_id: str) -> dict[str, Any] | None:
        with self._lock:
            prediction = self.predictions.get(prediction_id)
            if prediction is not None and prediction["status"] in ("starting", "processing"):
                prediction["status"] = "canceled"
                self.cancellations.append(prediction_id)
            return None if prediction is None else dict(prediction)

    def _next_failure(self, failures: list[int]) -> int | None:
        with self._lock:
            return failures.pop(0) if failures else None

    def _record_fault(
        self, kind: str, pic_id: str | None, prediction_id: str | None = None
    ) -> None:
        with self._lock:
            self.faults.append(InjectedFault(kind, pic_id, prediction_id))

    def _delay_answer(self, prediction: dict[str, Any]) -> None:
        with self._lock:
            delay = (
                self.prediction_delays.pop(0)
                if self.prediction_delays and self.faults_apply(prediction["input"].get("prompt"))
                else 0.0
            )
            if delay:
                pic_id = pic_id_of_webhook(prediction.get("webhook"))
                self.faults.append(InjectedFault("prediction_delay", pic_id, prediction["id"]))
        self._stopping.wait(min(delay, MAX_ANSWER_DELAY_SECONDS))

    def _paced(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """``chunks`` in pieces at ``image_bytes_per_second`` (all at once when unset); ends
        early on ``stop()``. Like a link, it never catches up on idle time: once a write is
        late by more than ``PACED_LINK_SLACK_SECONDS`` (the client was not reading), the
        time lost is not sent faster afterwards; smaller lateness (the stand-in's own
        overhead) is made up, so the link carries its nominal rate."""
        rate = self.image_bytes_per_second
        if not rate:
            yield from chunks
            return
        due = time.monotonic()  # when the link is free for the next piece
        for chunk in chunks:
            for start in range(0, len(chunk), PACED_WRITE_BYTES):
                wait = due - time.monotonic()
                if wait > 0 and self._stopping.wait(wait):
                    return
                if -wait > PACED_LINK_SLACK_SECONDS:
                    due = time.monotonic()  # the link idled: that time is lost
                piece = chunk[start : start + PACED_WRITE_BYTES]
                due += len(piece) / rate
                yield piece

    def _drip(self, write: Callable[[bytes], object], data: bytes, interval: float) -> None:
        """Send ``data`` a few bytes at a time; bounded, and cut short by ``stop()``."""
        for drip in range(MAX_DRIPS):
            piece = data[drip * DRIP_BYTES : (drip + 1) * DRIP_BYTES]
            if not piece or self._stopping.wait(interval if drip else 0.0):
                return
            write(piece)


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _request_of(body: bytes) -> dict[str, Any]:
    try:
        request = json.loads(body)
    except ValueError:
        return {}
    return request if isinstance(request, dict) else {}


def _pic_id_of_request(body: bytes) -> str | None:
    return pic_id_of_webhook(_request_of(body).get("webhook"))


def _prompt_of_request(body: bytes) -> object:
    model_input = _request_of(body).get("input")
    return model_input.get("prompt") if isinstance(model_input, dict) else None


class _ReplicateRequestHandler(BaseHTTPRequestHandler):
    server_version = "ReplicateStandIn/1.0"

    @property
    def standin(self) -> ReplicateStandIn:
        return self.server.owner  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: object) -> None:
        return

    def _record(self, body: bytes = b"") -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        with self.standin._lock:
            self.standin.requests.append(ReceivedRequest(self.command, self.path, headers, body))

    def _send_json(
        self, status: int, payload: object, headers: dict[str, str] | None = None
    ) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._record(body)
        standin = self.standin
        path = urlsplit(self.path).path
        if path.startswith("/v1/predictions/") and path.endswith("/cancel"):
            self._answer_cancel(path.split("/")[3])
            return
        official_model = _official_model(path)
        if path != "/v1/predictions" and official_model is None:
            self._send_json(404, {"detail": "Not found."})
            return
        failure = (
            standin._next_failure(standin.prediction_failures)
            if standin.faults_apply(_prompt_of_request(body))
            else None
        )
        if failure is not None:
            standin._record_fault(f"prediction_failure:{failure}", _pic_id_of_request(body))
            extra = (
                {"Retry-After": standin.retry_after}
                if failure == 429 and standin.retry_after
                else {}
            )
            detail = "Request was throttled." if failure == 429 else "Internal server error"
            self._send_json(failure, {"detail": detail, "status": failure}, extra)
            return
        if not self._authenticated():
            return
        try:
            request = json.loads(body)
        except ValueError:
            self._send_json(400, {"detail": "Invalid JSON"})
            return
        if not isinstance(request.get("input"), dict) or (
            official_model is None and not request.get("version")
        ):
            self._send_json(
                422, {"detail": "- version: Invalid version or not permitted", "status": 422}
            )
            return
        prediction = standin._create_prediction(request, official_model)
        standin._delay_answer(prediction)
        try:
            self._send_json(201, prediction)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client timed out and left

    def _authenticated(self) -> bool:
        """False (after answering 401) when the stand-in demands a token not sent."""
        standin = self.standin
        if (
            standin.expected_token
            and self.headers.get("Authorization") != f"Bearer {standin.expected_token}"
        ):
            self._send_json(
                401,
                {
                    "title": "Unauthenticated",
                    "detail": "You did not pass a valid authentication token",
                    "status": 401,
                },
            )
            return False
        return True

    def _answer_cancel(self, prediction_id: str) -> None:
        if not self._authenticated():
            return
        prediction = self.standin._cancel(prediction_id)
        if prediction is None:
            self._send_json(404, {"detail": "Not found."})
            return
        self._send_json(200, prediction)

    def do_GET(self) -> None:
        self._record()
        standin = self.standin
        path = urlsplit(self.path).path
        if path == "/redirect":
            self.send_response(302)
            self.send_header("Location", parse_qs(urlsplit(self.path).query)["location"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        prediction_id = path.removeprefix("/files/").rsplit(".", 1)[0]
        if not path.startswith("/files/") or prediction_id not in standin.predictions:
            self._send_json(404, {"detail": "Not found."})
            return
        prompt = standin.predictions[prediction_id]["input"].get("prompt")
        failure = (
            standin._next_failure(standin.image_failures) if standin.faults_apply(prompt) else None
        )
        if failure is not None:
            self._send_json(failure, {"detail": "file host failure"})
            return
        with standin._lock:
            pic_id = pic_id_of_webhook(standin.predictions[prediction_id].get("webhook"))
            cut = standin._take("cut_image_streams", "image_stream_cut", pic_id, prediction_id)
        if cut:
            self._send_cut_png(prediction_id)
            return
        if standin.redirect_image_to:
            self.send_response(302)
            self.send_header("Location", standin.redirect_image_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        standin._stopping.wait(min(standin.image_delay, MAX_ANSWER_DELAY_SECONDS))
        if standin.drip_interval is not None:
            self._send_dripping_png(prediction_id, standin.drip_interval)
            return
        if standin.large_image_bytes is not None:
            chunks: Iterator[bytes] = iter_large_png(standin.large_image_bytes)
            length = (
                large_png_size(standin.large_image_bytes) if standin.send_content_length else None
            )
        else:
            prompt = str(standin.predictions[prediction_id]["input"].get("prompt", ""))
            png = render_png(prompt, standin.image_size)
            chunks, length = iter([png]), len(png)
        self.send_response(200)
        self.send_header("Content-Type", standin.content_type)
        if standin.send_content_length and length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        try:
            for piece in standin._paced(chunks):
                self.wfile.write(piece)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client stopped reading (e.g. over the byte cap)

    def _send_cut_png(self, prediction_id: str) -> None:
        """The whole length announced, half the body sent, the connection closed."""
        png = render_png(str(self.standin.predictions[prediction_id]["input"].get("prompt", "")))
        self.send_response(200)
        self.send_header("Content-Type", self.standin.content_type)
        self.send_header("Content-Length", str(len(png)))
        self.end_headers()
        self.close_connection = True
        try:
            self._write_now(png[: len(png) // 2])
        except (BrokenPipeError, ConnectionResetError):
            return

    def _send_dripping_png(self, prediction_id: str, interval: float) -> None:
        standin = self.standin
        png = render_png(str(standin.predictions[prediction_id]["input"].get("prompt", "")))
        head = (
            f"HTTP/1.0 200 OK\r\nContent-Type: {standin.content_type}\r\n"
            f"Content-Length: {len(png)}\r\n\r\n"
        ).encode()
        try:
            if standin.drip_headers:
                standin._drip(self._write_now, head + png, interval)
                return
            self._write_now(head)
            standin._drip(self._write_now, png, interval)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up

    def _write_now(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()
