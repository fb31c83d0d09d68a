"""Optional: AppSync's own EvaluateCode API evaluates each resolver handler, and its
answer must match the Node harness's. Runs only with real AWS credentials and
AIPIC_EVALUATE_CODE=1 (it calls AWS); otherwise every case reports as skipped."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest

from local.appsync.executor import RESOLVERS_DIR, cognito_identity

from .conftest import HandlerRunner

ALICE = cognito_identity("11111111-aaaa-4aaa-8aaa-111111111111", "alice")
PIC = {
    "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "owner": ALICE["sub"],
    "prompt": "a cat",
    "completionStatus": "STARTED",
    "createdAt": "2024-05-17T10:30:00.250Z",
    "updatedAt": "2024-05-17T10:30:00.250Z",
}
# Values that depend on the moment or on randomness, masked before comparing.
VOLATILE = re.compile(
    r"\d{4}-\d{2}-\d{2}T[\d:.]+Z|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|#\d{4}-\d{2}-\d{2}"
)

CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("createAIPic.js", "request", {"arguments": {"prompt": "a cat"}, "identity": ALICE}),
    ("createAIPic.js", "response", {"prev": {"result": PIC}, "identity": ALICE}),
    (
        "validatePrompt.js",
        "request",
        {"arguments": {"prompt": "  a cat ", "settings": {"width": 512}}},
    ),
    ("validatePrompt.js", "request", {"arguments": {"prompt": "   "}}),
    # Code point handling (split, codePointAt, some/every/includes) as APPSYNC_JS runs it.
    ("validatePrompt.js", "request", {"arguments": {"prompt": "p" * 999 + "\U0001f600"}}),
    ("validatePrompt.js", "request", {"arguments": {"prompt": "\u200b\u2060"}}),
    ("validatePrompt.js", "request", {"arguments": {"prompt": "a \u001b[31mred\u001b[0m cat"}}),
    ("validatePrompt.js", "request", {"arguments": {"prompt": "a cat \ud800"}}),
    ("enforceQuota.js", "request", {"identity": ALICE, "stash": {"dailyPictureQuota": 25}}),
    (
        "enforceQuota.js",
        "response",
        {
            "identity": ALICE,
            "stash": {"dailyPictureQuota": 25},
            "error": {
                "message": "The conditional request failed",
                "type": "DynamoDB:ConditionalCheckFailedException",
            },
        },
    ),
    (
        "putPic.js",
        "request",
        {"identity": ALICE, "stash": {"prompt": "a cat", "settings": {"seed": 3}}},
    ),
    ("invokeGenerate.js", "request", {"identity": ALICE, "prev": {"result": PIC}}),
    ("invokeGenerate.js", "response", {"identity": ALICE, "prev": {"result": PIC}, "result": None}),
    (
        "listAIPics.js",
        "request",
        {"identity": ALICE, "arguments": {"limit": 5, "nextToken": "abc"}},
    ),
    (
        "listAIPics.js",
        "response",
        {"identity": ALICE, "result": {"items": [PIC], "nextToken": None}},
    ),
    ("publish.js", "request", {"arguments": {"owner": ALICE["sub"], "data": "{}"}}),
    ("subscribe.js", "response", {"identity": ALICE}),
]


@pytest.fixture(scope="module")
def appsync_client() -> Any:
    if os.environ.get("AIPIC_EVALUATE_CODE") != "1":
        pytest.skip(
            "AppSync EvaluateCode check is opt-in: set AIPIC_EVALUATE_CODE=1 with AWS credentials"
        )
    import boto3

    session = boto3.Session()
    if session.get_credentials() is None:
        pytest.skip("AppSync EvaluateCode check needs AWS credentials")
    return session.client("appsync")


def masked(value: Any) -> Any:
    return json.loads(VOLATILE.sub("<volatile>", json.dumps(value)))


def test_appsync_evaluates_like_the_harness(
    appsync_client: Any, run_handler: HandlerRunner
) -> None:
    mismatches = []
    for code, fn, ctx in CASES:
        ours = run_handler(code, fn, ctx)
        context = {
            "arguments": {},
            "stash": {},
            "prev": {"result": None},
            "identity": None,
            "source": None,
            "result": None,
            "error": None,
            **ctx,
        }
        theirs = appsync_client.evaluate_code(
            runtime={"name": "APPSYNC_JS", "runtimeVersion": "1.0.0"},
            code=(RESOLVERS_DIR / code).read_text(encoding="utf-8"),
            context=json.dumps(context),
            function=fn,
        )
        if ours.error is not None:
            agrees = ours.error.message in json.dumps(theirs.get("error"))
        else:
            agrees = not theirs.get("error") and masked(
                json.loads(theirs["evaluationResult"])
            ) == masked(ours.result)
        if not agrees:
            mismatches.append((code, fn, theirs, ours))
    assert mismatches == []
