"""Each resolver handler evaluated under Node: the exact request it sends to its data
source, and what it returns or raises for a given ctx."""

from __future__ import annotations

import re
from typing import Any

import pytest

from local.appsync.executor import Evaluation, cognito_identity

from .conftest import HandlerRunner

ALICE = cognito_identity("11111111-aaaa-4aaa-8aaa-111111111111", "alice")
PIC_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
UUID_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def validation_error(run_handler: HandlerRunner, arguments: dict[str, Any]) -> tuple[str, str]:
    evaluation = run_handler(
        "validatePrompt.js", "request", {"arguments": arguments, "identity": ALICE}
    )
    assert evaluation.error is not None, f"accepted {arguments}"
    assert evaluation.error.error_type == "ValidationError"
    return evaluation.error.message, evaluation.error.error_info["field"]


# --- createAIPic (the pipeline's before/after handlers) ---


def test_create_request_stashes_the_daily_limits(run_handler: HandlerRunner) -> None:
    evaluation = run_handler(
        "createAIPic.js", "request", {"arguments": {"prompt": "x"}, "identity": ALICE}
    )
    assert evaluation.error is None
    assert evaluation.result == {}
    assert evaluation.stash == {"dailyPictureQuota": 25, "dailyPictureCeiling": 1000}


def test_create_request_refuses_a_caller_without_sub(run_handler: HandlerRunner) -> None:
    evaluation = run_handler(
        "createAIPic.js", "request", {"arguments": {"prompt": "x"}, "identity": None}
    )
    assert evaluation.error is not None
    assert evaluation.error.error_type == "Unauthorized"


def test_create_response_returns_the_last_function_result(run_handler: HandlerRunner) -> None:
    pic = {"id": PIC_ID, "owner": ALICE["sub"], "completionStatus": "STARTED"}
    evaluation = run_handler(
        "createAIPic.js", "response", {"prev": {"result": pic}, "identity": ALICE}
    )
    assert evaluation.result == pic


# --- validatePrompt ---


def test_validate_trims_and_passes_settings_given(run_handler: HandlerRunner) -> None:
    settings = {
        "negativePrompt": "  blurry ",
        "width": 768,
        "height": 512,
        "numInferenceSteps": 30,
        "guidanceScale": 7.5,
        "seed": 42,
    }
    evaluation = run_handler(
        "validatePrompt.js",
        "request",
        {"arguments": {"prompt": "  a lighthouse at dawn \n", "settings": settings}},
    )
    clean = {**settings, "negativePrompt": "blurry"}
    assert evaluation.error is None
    assert evaluation.result == {"payload": {"prompt": "a lighthouse at dawn", "settings": clean}}
    assert evaluation.stash == {"prompt": "a lighthouse at dawn", "settings": clean}


@pytest.mark.parametrize(
    "settings",
    [None, {}, {"negativePrompt": "   ", "width": None, "seed": None}],
)
def test_validate_treats_empty_settings_as_none(run_handler: HandlerRunner, settings: Any) -> None:
    evaluation = run_handler(
        "validatePrompt.js", "request", {"arguments": {"prompt": "cat", "settings": settings}}
    )
    assert evaluation.result == {"payload": {"prompt": "cat", "settings": None}}


def test_validate_accepts_the_limits(run_handler: HandlerRunner) -> None:
    for settings in (
        {"width": 256, "height": 1024, "numInferenceSteps": 1, "guidanceScale": 1, "seed": 0},
        {
            "width": 1024,
            "height": 256,
            "numInferenceSteps": 50,
            "guidanceScale": 20,
            "seed": 2147483647,
            "negativePrompt": "n" * 1000,
        },
    ):
        evaluation = run_handler(
            "validatePrompt.js",
            "request",
            {"arguments": {"prompt": "p" * 1000, "settings": settings}},
        )
        assert evaluation.error is None, evaluation.error


@pytest.mark.parametrize("prompt", ["", "   ", "\n\t "])
def test_validate_rejects_a_blank_prompt(run_handler: HandlerRunner, prompt: str) -> None:
    assert validation_error(run_handler, {"prompt": prompt}) == (
        "The prompt must not be empty",
        "prompt",
    )


def test_validate_rejects_a_too_long_prompt(run_handler: HandlerRunner) -> None:
    message, field = validation_error(run_handler, {"prompt": "p" * 1001})
    assert (message, field) == ("The prompt must be at most 1000 characters (got 1001)", "prompt")


CONTROL_MESSAGE = "The prompt must not contain control characters (tab and newline are fine)"
INVISIBLE_MESSAGE = "The prompt must contain at least one visible character"


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ("\u0000", CONTROL_MESSAGE),
        ("\u0000\u0001\u007f", CONTROL_MESSAGE),
        ("\u001b[31m\u001b[0m", CONTROL_MESSAGE),  # ANSI colour codes
        ("\u0085", CONTROL_MESSAGE),  # next line (C1): JavaScript's trim keeps it
        ("\u200b", INVISIBLE_MESSAGE),  # zero-width space
        ("\u200b\u200c\u200d\u2060", INVISIBLE_MESSAGE),
        ("\u00ad\u034f\u180e", INVISIBLE_MESSAGE),
        ("\u202e\u2066\u2069", INVISIBLE_MESSAGE),  # bidi override and isolates
        ("\u2800", INVISIBLE_MESSAGE),  # Braille blank
        ("\u3164\uffa0\u115f", INVISIBLE_MESSAGE),  # Hangul fillers
        ("\ufe0f\U000e0041\U000e007f", INVISIBLE_MESSAGE),  # variation selector, tags
        ("\u00a0\u2003\u3000\ufeff", "The prompt must not be empty"),  # trim removes these
    ],
)
def test_validate_rejects_a_prompt_with_nothing_visible(
    run_handler: HandlerRunner, prompt: str, message: str
) -> None:
    assert validation_error(run_handler, {"prompt": prompt}) == (message, "prompt")


@pytest.mark.parametrize(
    "prompt", ["a cat\u0000", "a \u001b[31mred\u001b[0m cat", "a cat\u0007 in a hat", "\u009b cat"]
)
def test_validate_refuses_control_characters_inside_a_prompt(
    run_handler: HandlerRunner, prompt: str
) -> None:
    """Refused, not stripped: what is generated is what the user typed, or nothing."""
    assert validation_error(run_handler, {"prompt": prompt}) == (CONTROL_MESSAGE, "prompt")


@pytest.mark.parametrize(
    "prompt",
    [
        "a cat\twith\na hat\r\non",
        "\U0001f468\u200d\U0001f469\u200d\U0001f467 a family",  # joined by zero-width joiners
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian with a non-joiner
        "a cat\u200b",
    ],
)
def test_validate_keeps_invisible_characters_inside_a_visible_prompt(
    run_handler: HandlerRunner, prompt: str
) -> None:
    evaluation = run_handler("validatePrompt.js", "request", {"arguments": {"prompt": prompt}})
    assert evaluation.error is None, evaluation.error
    assert evaluation.stash["prompt"] == prompt


@pytest.mark.parametrize(
    "prompt",
    ["p" * 999 + "\U0001f600", "\U0001f600" * 1000, "\u00e9" * 1000, "\U0001f468\u200d" * 500],
)
def test_validate_counts_characters_not_utf16_units(
    run_handler: HandlerRunner, prompt: str
) -> None:
    evaluation = run_handler("validatePrompt.js", "request", {"arguments": {"prompt": prompt}})
    assert evaluation.error is None, evaluation.error


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ("p" * 1000 + "\U0001f600", "The prompt must be at most 1000 characters (got 1001)"),
        ("\U0001f600" * 500 + "p" * 501, "The prompt must be at most 1000 characters (got 1001)"),
        # Over twice the limit in UTF-16 units is over the limit whatever the characters.
        ("\U0001f600" * 1001, "The prompt must be at most 1000 characters"),
        ("p" * 2001, "The prompt must be at most 1000 characters"),
    ],
)
def test_validate_rejects_more_than_the_limit_in_characters(
    run_handler: HandlerRunner, prompt: str, message: str
) -> None:
    assert validation_error(run_handler, {"prompt": prompt}) == (message, "prompt")


@pytest.mark.parametrize("prompt", ["a cat \ud800", "\udc00 a cat", "a \udfff\ud800 cat"])
def test_validate_rejects_a_lone_surrogate(run_handler: HandlerRunner, prompt: str) -> None:
    assert validation_error(run_handler, {"prompt": prompt}) == (
        "The prompt contains an invalid character (a lone surrogate)",
        "prompt",
    )


def test_validate_applies_the_same_rules_to_the_negative_prompt(run_handler: HandlerRunner) -> None:
    def settings_after(negative_prompt: str) -> Any:
        arguments = {"prompt": "a cat", "settings": {"negativePrompt": negative_prompt}}
        evaluation = run_handler("validatePrompt.js", "request", {"arguments": arguments})
        assert evaluation.error is None, evaluation.error
        return evaluation.stash["settings"]

    assert settings_after("\u200b\u2060") is None  # nothing visible: dropped like a blank one
    assert settings_after("n" * 999 + "\U0001f600") == {"negativePrompt": "n" * 999 + "\U0001f600"}
    message, field = validation_error(
        run_handler, {"prompt": "a cat", "settings": {"negativePrompt": "blurry\u001b[0m"}}
    )
    assert field == "settings.negativePrompt"
    assert "must not contain control characters" in message


@pytest.mark.parametrize(
    ("settings", "field", "message_part"),
    [
        ({"width": 500}, "settings.width", "multiple of 64 from 256 to 1024"),
        ({"width": 192}, "settings.width", "multiple of 64"),
        ({"height": 1088}, "settings.height", "multiple of 64"),
        ({"height": 512.5}, "settings.height", "multiple of 64"),
        ({"numInferenceSteps": 0}, "settings.numInferenceSteps", "integer from 1 to 50"),
        ({"numInferenceSteps": 51}, "settings.numInferenceSteps", "integer from 1 to 50"),
        ({"guidanceScale": 0.5}, "settings.guidanceScale", "number from 1 to 20"),
        ({"guidanceScale": 20.01}, "settings.guidanceScale", "number from 1 to 20"),
        ({"seed": -1}, "settings.seed", "integer from 0 to 2147483647"),
        ({"negativePrompt": "n" * 1001}, "settings.negativePrompt", "at most 1000 characters"),
    ],
)
def test_validate_rejects_settings_out_of_range(
    run_handler: HandlerRunner, settings: dict[str, Any], field: str, message_part: str
) -> None:
    message, error_field = validation_error(run_handler, {"prompt": "a cat", "settings": settings})
    assert error_field == field
    assert message_part in message


# --- enforceQuota ---


def test_quota_request_is_one_conditional_atomic_update(run_handler: HandlerRunner) -> None:
    # FIXED_NOW is 2024-05-17T10:30:00Z; the counter expires at the end of 2024-05-18 UTC.
    evaluation = run_handler(
        "enforceQuota.js", "request", {"identity": ALICE, "stash": {"dailyPictureQuota": 25}}
    )
    assert evaluation.error is None
    assert evaluation.result == {
        "operation": "UpdateItem",
        "key": {"id": {"S": f"quota#{ALICE['sub']}#2024-05-17"}},
        "update": {
            "expression": "ADD #count :one SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)",
            "expressionNames": {"#count": "count", "#expiresAt": "expiresAt"},
            "expressionValues": {":one": {"N": 1}, ":expiresAt": {"N": 1716076800}},
        },
        "condition": {
            "expression": "attribute_not_exists(#count) OR #count < :limit",
            "expressionNames": {"#count": "count"},
            "expressionValues": {":limit": {"N": 25}},
        },
    }


def test_quota_day_is_the_utc_day(run_handler: HandlerRunner) -> None:
    last_second = 1_715_990_399  # 2024-05-17T23:59:59Z
    before = run_handler(
        "enforceQuota.js",
        "request",
        {"identity": ALICE, "stash": {"dailyPictureQuota": 5}},
        now_seconds=last_second,
    )
    after = run_handler(
        "enforceQuota.js",
        "request",
        {"identity": ALICE, "stash": {"dailyPictureQuota": 5}},
        now_seconds=last_second + 1,
    )
    assert before.result["key"]["id"]["S"].endswith("#2024-05-17")
    assert after.result["key"]["id"]["S"].endswith("#2024-05-18")
    assert after.result["update"]["expressionValues"][":expiresAt"] == {"N": 1716163200}


def quota_update_failed(run_handler: HandlerRunner, message: str, error_type: str) -> Evaluation:
    """enforceQuota's response handler after DynamoDB refused the count's update."""
    return run_handler(
        "enforceQuota.js",
        "response",
        {
            "identity": ALICE,
            "stash": {"dailyPictureQuota": 25},
            "error": {"message": message, "type": error_type},
        },
    )


def test_quota_request_without_a_configured_limit_fails(run_handler: HandlerRunner) -> None:
    evaluation = run_handler("enforceQuota.js", "request", {"identity": ALICE, "stash": {}})
    assert evaluation.error is not None
    assert evaluation.error.error_type == "InternalFailure"


def test_quota_response_turns_a_failed_condition_into_quota_exceeded(
    run_handler: HandlerRunner,
) -> None:
    evaluation = quota_update_failed(
        run_handler, "The conditional request failed", "DynamoDB:ConditionalCheckFailedException"
    )
    assert evaluation.error is not None
    assert evaluation.error.error_type == "QuotaExceeded"
    assert (
        evaluation.error.message
        == "Daily picture quota of 25 reached; try again after midnight UTC"
    )


def test_quota_response_passes_other_errors_on(run_handler: HandlerRunner) -> None:
    evaluation = quota_update_failed(
        run_handler,
        "Throughput exceeds the current capacity",
        "DynamoDB:ProvisionedThroughputExceededException",
    )
    assert evaluation.error is not None
    assert (evaluation.error.message, evaluation.error.error_type) == (
        "Throughput exceeds the current capacity",
        "DynamoDB:ProvisionedThroughputExceededException",
    )


def test_quota_response_records_the_count(run_handler: HandlerRunner) -> None:
    counter = {"id": "quota#x#2024-05-17", "count": 3, "expiresAt": 1716076800}
    evaluation = run_handler(
        "enforceQuota.js",
        "response",
        {"identity": ALICE, "stash": {"dailyPictureQuota": 25}, "result": counter},
    )
    assert evaluation.error is None
    assert evaluation.result == counter
    assert evaluation.stash["picturesToday"] == 3


# --- enforceGlobalCeiling ---


def test_ceiling_request_is_one_conditional_atomic_update_of_the_global_count(
    run_handler: HandlerRunner,
) -> None:
    evaluation = run_handler(
        "enforceGlobalCeiling.js",
        "request",
        {"identity": ALICE, "stash": {"dailyPictureQuota": 25, "dailyPictureCeiling": 500}},
    )
    assert evaluation.error is None
    assert evaluation.result == {
        "operation": "UpdateItem",
        # One counter for everybody: no caller's sub in the key.
        "key": {"id": {"S": "quota#global#2024-05-17"}},
        "update": {
            "expression": "ADD #count :one SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)",
            "expressionNames": {"#count": "count", "#expiresAt": "expiresAt"},
            "expressionValues": {":one": {"N": 1}, ":expiresAt": {"N": 1716076800}},
        },
        "condition": {
            "expression": "attribute_not_exists(#count) OR #count < :ceiling",
            "expressionNames": {"#count": "count"},
            "expressionValues": {":ceiling": {"N": 500}},
        },
    }


def test_ceiling_day_is_the_utc_day(run_handler: HandlerRunner) -> None:
    first_second = 1_715_990_400  # 2024-05-18T00:00:00Z
    evaluation = run_handler(
        "enforceGlobalCeiling.js",
        "request",
        {"identity": ALICE, "stash": {"dailyPictureCeiling": 5}},
        now_seconds=first_second,
    )
    assert evaluation.result["key"] == {"id": {"S": "quota#global#2024-05-18"}}
    assert evaluation.result["update"]["expressionValues"][":expiresAt"] == {"N": 1716163200}


@pytest.mark.parametrize("ceiling", [None, 0, 2.5, "1000"])
def test_ceiling_request_without_a_configured_ceiling_fails(
    run_handler: HandlerRunner, ceiling: Any
) -> None:
    stash = {} if ceiling is None else {"dailyPictureCeiling": ceiling}
    evaluation = run_handler(
        "enforceGlobalCeiling.js", "request", {"identity": ALICE, "stash": stash}
    )
    assert evaluation.error is not None
    assert (evaluation.error.message, evaluation.error.error_type) == (
        "The daily picture ceiling is not configured",
        "InternalFailure",
    )


def test_ceiling_response_turns_a_failed_condition_into_global_quota_exceeded(
    run_handler: HandlerRunner,
) -> None:
    evaluation = run_handler(
        "enforceGlobalCeiling.js",
        "response",
        {
            "identity": ALICE,
            "stash": {"dailyPictureCeiling": 500},
            "error": {
                "message": "The conditional request failed",
                "type": "DynamoDB:ConditionalCheckFailedException",
            },
        },
    )
    assert evaluation.error is not None
    assert (evaluation.error.message, evaluation.error.error_type) == (
        "The service has made as many pictures today as it can; try again after midnight UTC",
        "GlobalQuotaExceeded",
    )


def test_ceiling_response_passes_other_errors_on(run_handler: HandlerRunner) -> None:
    evaluation = run_handler(
        "enforceGlobalCeiling.js",
        "response",
        {
            "identity": ALICE,
            "stash": {"dailyPictureCeiling": 500},
            "error": {"message": "Rate exceeded", "type": "DynamoDB:ThrottlingException"},
        },
    )
    assert evaluation.error is not None
    assert (evaluation.error.message, evaluation.error.error_type) == (
        "Rate exceeded",
        "DynamoDB:ThrottlingException",
    )


def test_ceiling_response_returns_the_counter(run_handler: HandlerRunner) -> None:
    counter = {"id": "quota#global#2024-05-17", "count": 41, "expiresAt": 1716076800}
    evaluation = run_handler(
        "enforceGlobalCeiling.js",
        "response",
        {"identity": ALICE, "stash": {"dailyPictureCeiling": 500}, "result": counter},
    )
    assert evaluation.error is None
    assert evaluation.result == counter


# --- putPic ---


def test_put_request_creates_a_started_item_owned_by_the_caller(run_handler: HandlerRunner) -> None:
    stash = {"prompt": "a cat", "settings": {"width": 512}}
    evaluation = run_handler(
        "putPic.js", "request", {"identity": ALICE, "stash": stash}, auto_ids=(PIC_ID,)
    )
    assert evaluation.error is None
    assert evaluation.result == {
        "operation": "PutItem",
        "key": {"id": {"S": PIC_ID}},
        "attributeValues": {
            "owner": {"S": ALICE["sub"]},
            "prompt": {"S": "a cat"},
            "completionStatus": {"S": "STARTED"},
            "pendingPartition": {"S": "PENDING"},
            "createdAt": {"S": "2024-05-17T10:30:00.250Z"},
            "updatedAt": {"S": "2024-05-17T10:30:00.250Z"},
            "settings": {"M": {"width": {"N": 512}}},
        },
        "condition": {"expression": "attribute_not_exists(id)"},
    }


def test_put_request_draws_a_uuid_and_leaves_out_absent_settings(
    run_handler: HandlerRunner,
) -> None:
    evaluation = run_handler(
        "putPic.js", "request", {"identity": ALICE, "stash": {"prompt": "a cat", "settings": None}}
    )
    assert UUID_V4.match(evaluation.result["key"]["id"]["S"])
    assert "settings" not in evaluation.result["attributeValues"]
    assert evaluation.effects["autoIdsUsed"] == 1


def test_put_response_raises_the_data_source_error(run_handler: HandlerRunner) -> None:
    evaluation = run_handler(
        "putPic.js",
        "response",
        {
            "identity": ALICE,
            "error": {
                "message": "The conditional request failed",
                "type": "DynamoDB:ConditionalCheckFailedException",
            },
        },
    )
    assert evaluation.error is not None
    assert evaluation.error.error_type == "DynamoDB:ConditionalCheckFailedException"


# --- invokeGenerate ---


def test_invoke_request_is_an_asynchronous_generate_event(run_handler: HandlerRunner) -> None:
    pic = {
        "id": PIC_ID,
        "owner": ALICE["sub"],
        "prompt": "a cat",
        "completionStatus": "STARTED",
        "createdAt": "2024-05-17T10:30:00.250Z",
        "updatedAt": "2024-05-17T10:30:00.250Z",
        "settings": {"seed": 7},
    }
    evaluation = run_handler(
        "invokeGenerate.js", "request", {"identity": ALICE, "prev": {"result": pic}}
    )
    assert evaluation.result == {
        "operation": "Invoke",
        "invocationType": "Event",
        "payload": {
            "id": PIC_ID,
            "owner": ALICE["sub"],
            "prompt": "a cat",
            "settings": {"seed": 7},
        },
    }
    without_settings = {key: value for key, value in pic.items() if key != "settings"}
    evaluation = run_handler(
        "invokeGenerate.js", "request", {"identity": ALICE, "prev": {"result": without_settings}}
    )
    assert evaluation.result["payload"]["settings"] == {}


def test_invoke_response_returns_the_stored_item(run_handler: HandlerRunner) -> None:
    pic = {"id": PIC_ID, "owner": ALICE["sub"]}
    evaluation = run_handler(
        "invokeGenerate.js",
        "response",
        {"identity": ALICE, "prev": {"result": pic}, "result": None},
    )
    assert evaluation.result == pic
    failed = run_handler(
        "invokeGenerate.js",
        "response",
        {
            "identity": ALICE,
            "prev": {"result": pic},
            "error": {"message": "Rate exceeded", "type": "Lambda:TooManyRequestsException"},
        },
    )
    assert failed.error is not None
    assert failed.error.error_type == "Lambda:TooManyRequestsException"


# --- listAIPics ---


def test_list_request_queries_the_callers_partition_only(run_handler: HandlerRunner) -> None:
    # An `owner` argument (not in the schema) would be ignored: the sub is the only source.
    evaluation = run_handler(
        "listAIPics.js", "request", {"identity": ALICE, "arguments": {"owner": "someone-else"}}
    )
    assert evaluation.result == {
        "operation": "Query",
        "index": "byOwner",
        "query": {
            "expression": "#owner = :owner",
            "expressionNames": {"#owner": "owner"},
            "expressionValues": {":owner": {"S": ALICE["sub"]}},
        },
        "scanIndexForward": False,
        "limit": 20,
    }


def test_list_request_passes_limit_and_next_token(run_handler: HandlerRunner) -> None:
    evaluation = run_handler(
        "listAIPics.js",
        "request",
        {"identity": ALICE, "arguments": {"limit": 100, "nextToken": "opaque-token"}},
    )
    assert evaluation.result["limit"] == 100
    assert evaluation.result["nextToken"] == "opaque-token"


@pytest.mark.parametrize("limit", [0, -5, 101, 2.5])
def test_list_request_rejects_a_bad_limit(run_handler: HandlerRunner, limit: Any) -> None:
    evaluation = run_handler(
        "listAIPics.js", "request", {"identity": ALICE, "arguments": {"limit": limit}}
    )
    assert evaluation.error is not None
    assert (evaluation.error.message, evaluation.error.error_type) == (
        "limit must be an integer from 1 to 100",
        "ValidationError",
    )


def test_list_response_is_a_page(run_handler: HandlerRunner) -> None:
    items = [{"id": "b"}, {"id": "a"}]
    evaluation = run_handler(
        "listAIPics.js",
        "response",
        {"identity": ALICE, "result": {"items": items, "nextToken": "t", "scannedCount": 2}},
    )
    assert evaluation.result == {"items": items, "nextToken": "t"}
    last = run_handler(
        "listAIPics.js", "response", {"identity": ALICE, "result": {"items": [], "nextToken": None}}
    )
    assert last.result == {"items": [], "nextToken": None}


# --- publish / subscribe ---


def test_publish_returns_its_input(run_handler: HandlerRunner) -> None:
    arguments = {"owner": ALICE["sub"], "data": '{"id":"p1","completionStatus":"COMPLETED"}'}
    request = run_handler("publish.js", "request", {"arguments": arguments})
    assert request.result == {"payload": arguments}
    response = run_handler("publish.js", "response", {"arguments": arguments, "result": arguments})
    assert response.result == arguments


def test_subscribe_filters_on_the_callers_sub(run_handler: HandlerRunner) -> None:
    assert run_handler("subscribe.js", "request", {"identity": ALICE}).result == {"payload": None}
    evaluation = run_handler("subscribe.js", "response", {"identity": ALICE, "result": None})
    assert evaluation.error is None
    assert evaluation.result is None
    assert evaluation.effects["subscriptionFilter"] == {
        "filterGroup": [
            {"filters": [{"fieldName": "owner", "operator": "eq", "value": ALICE["sub"]}]}
        ]
    }


def test_subscribe_without_sub_is_unauthorized(run_handler: HandlerRunner) -> None:
    evaluation = run_handler("subscribe.js", "response", {"identity": None})
    assert evaluation.error is not None
    assert evaluation.error.error_type == "Unauthorized"
    assert "subscriptionFilter" not in evaluation.effects
