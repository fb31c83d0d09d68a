"""The soak's fault knobs where faults really happen, each off by default and aimed:
the Replicate stand-in (webhooks dropped, duplicated and reordered, an image cut
mid-stream), the runtime's crash plan and the AppSync endpoint's field faults."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest
import requests

from local.appsync.executor import AppSyncError
from local.appsync.faults import ERROR_TYPE, FieldFaults
from local.net import LocalHttpServer
from local.replicate.standin import MODEL_VERSION, ReplicateStandIn
from local.runtime.functions import CrashPlan
from local.runtime.invocations import InvocationResult


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, object]]] = []
    lock = threading.Lock()

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            self.received.append(body)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def receiver() -> Iterator[LocalHttpServer]:
    _Receiver.received = []
    with LocalHttpServer(_Receiver) as server:
        yield server


def _create(standin: ReplicateStandIn, receiver: LocalHttpServer, prompt: str, pic: str) -> str:
    answer = requests.post(
        f"{standin.base_url}/predictions",
        json={
            "version": MODEL_VERSION,
            "input": {"prompt": prompt},
            "webhook": f"{receiver.base_origin}/webhook?id={pic}",
            "webhook_events_filter": ["completed"],
        },
        timeout=10,
    )
    assert answer.status_code == 201
    return str(answer.json()["id"])


def test_a_dropped_webhook_is_never_sent_and_is_recorded(receiver: LocalHttpServer) -> None:
    with ReplicateStandIn(drop_webhooks=1) as standin:
        dropped = _create(standin, receiver, "one", "pic-1")
        sent = _create(standin, receiver, "two", "pic-2")
        standin.wait_for_webhooks()
    assert [body["id"] for body in _Receiver.received] == [sent]
    assert [(f.kind, f.pic_id, f.prediction_id) for f in standin.faults] == [
        ("webhook_dropped", "pic-1", dropped)
    ]


def test_a_duplicated_webhook_comes_twice_then_a_stale_one(receiver: LocalHttpServer) -> None:
    with ReplicateStandIn(duplicate_webhooks=1, webhook_delay=0.0) as standin:
        _create(standin, receiver, "one", "pic-1")
        standin.wait_for_webhooks()
    statuses = [body["status"] for body in _Receiver.received]
    assert statuses == ["succeeded", "succeeded", "processing"]


def test_faults_apply_only_to_marked_prompts(receiver: LocalHttpServer) -> None:
    with ReplicateStandIn(
        drop_webhooks=1, prediction_failures=[429], fault_prompt_marker="[fault]"
    ) as standin:
        _create(standin, receiver, "plain", "pic-1")  # neither 429 nor dropped
        refused = requests.post(
            f"{standin.base_url}/predictions",
            json={"version": MODEL_VERSION, "input": {"prompt": "[fault] x"}, "webhook": "x?id=p2"},
            timeout=10,
        )
        standin.wait_for_webhooks()
    assert refused.status_code == 429
    assert len(_Receiver.received) == 1
    assert [f.kind for f in standin.faults] == ["prediction_failure:429"]
    assert standin.drop_webhooks == 1  # not spent on the unmarked prompt


def test_an_image_cut_mid_stream_sends_half_of_what_it_announced(
    receiver: LocalHttpServer,
) -> None:
    with ReplicateStandIn(cut_image_streams=1) as standin:
        prediction = _create(standin, receiver, "one", "pic-1")
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(standin.file_url(prediction), timeout=10).content  # noqa: B018
        whole = requests.get(standin.file_url(prediction), timeout=10)
    assert whole.status_code == 200
    assert len(whole.content) == int(whole.headers["Content-Length"])
    assert [f.kind for f in standin.faults] == ["image_stream_cut"]


def test_the_crash_plan_is_off_until_armed_and_aimed_by_payload() -> None:
    plan = CrashPlan()
    assert plan.take("fn", b"{}") is None
    plan.arm("fn", 1, after_seconds=0.5, payload_contains="pic-9")
    assert plan.take("fn", b'{"id": "pic-1"}') is None
    assert plan.take("other", b'{"id": "pic-9"}') is None
    assert plan.take("fn", b'{"id": "pic-9"}') == 0.5
    assert plan.take("fn", b'{"id": "pic-9"}') is None  # spent
    # Several strings: all of them must be in the event (a picture's final webhook).
    plan.arm("fn", 1, after_seconds=0.1, payload_contains=("pic-9", "succeeded"))
    assert plan.take("fn", b'{"id": "pic-9", "status": "processing"}') is None
    assert plan.take("fn", b'{"id": "pic-9", "status": "succeeded"}') == 0.1
    exited = json.dumps({"errorType": "Runtime.ExitError", "errorMessage": "x"}).encode()
    plan.record("fn", InvocationResult("req-1", exited, "Unhandled"))
    assert [(c.function_name, c.crashed) for c in plan.injected] == [("fn", True)]


def test_field_faults_fail_the_chosen_calls_as_appsync_does() -> None:
    faults = FieldFaults()
    faults.check("publish", {"owner": "a", "data": '{"id": "p1"}'})  # off by default
    faults.fail("publish", 1, pic_ids={"p1"})
    faults.check("publish", {"owner": "a", "data": '{"id": "p2"}'})  # another picture
    with pytest.raises(AppSyncError) as failed:
        faults.check("publish", {"owner": "a", "data": '{"id": "p1"}'})
    assert failed.value.error_type == ERROR_TYPE
    faults.check("publish", {"owner": "a", "data": '{"id": "p1"}'})  # spent
    assert [(f.owner, f.pic_id) for f in faults.injected] == [("a", "p1")]
