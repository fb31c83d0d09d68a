"""The test implementation of @aws-appsync/utils behaves as AppSync documents it,
and the executor follows AppSync's rules for early returns and appended errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from local.appsync.executor import (
    RESOLVERS,
    AppSyncExecutor,
    NodeResolverRuntime,
    Resolver,
    cognito_identity,
    to_wire,
)

from .conftest import TABLE_NAME

PROBE = """
import { util, extensions, runtime } from '@aws-appsync/utils';

export function request(ctx) {
    if (ctx.args.mode === 'early') {
        runtime.earlyReturn({ early: true });
    }
    if (ctx.args.mode === 'fail') {
        util.error('bad thing', 'BadThing', { some: 'data' }, { hint: 'info' });
    }
    if (ctx.args.mode === 'append') {
        util.appendError('soft problem', 'Soft');
    }
    ctx.stash.seen = true;
    return {
        payload: {
            typed: util.dynamodb.toMapValues({
                s: 'x', n: 1.5, b: false, z: null, l: [1, 'a'], m: { k: 2 },
            }),
            json: util.dynamodb.toMapValuesJson({ n: 3 }),
            filter: util.transform.toSubscriptionFilter({
                or: [{ owner: { eq: 'me' }, a: { gt: 1 } }, { b: { in: [1, 2] } }],
            }),
            id: util.autoId(),
            now: util.time.nowISO8601(),
            seconds: util.time.nowEpochSeconds(),
            blank: util.isNullOrBlank('  '),
        },
    };
}

export function response(ctx) {
    extensions.setSubscriptionFilter(ctx.result.filter);
    return ctx.result;
}
"""


def probe(runtime: NodeResolverRuntime, tmp_path: Path, mode: str) -> Any:
    code = tmp_path / "probe.js"
    code.write_text(PROBE, encoding="utf-8")
    return runtime.evaluate(
        code, "request", {"arguments": {"mode": mode}}, now_epoch_millis=1_000, auto_ids=("id-1",)
    )


def test_util_functions_follow_appsync(node_runtime: NodeResolverRuntime, tmp_path: Path) -> None:
    evaluation = probe(node_runtime, tmp_path, "plain")
    assert evaluation.error is None
    payload = evaluation.result["payload"]
    assert payload["typed"] == {
        "s": {"S": "x"},
        "n": {"N": 1.5},
        "b": {"BOOL": False},
        "z": {"NULL": True},
        "l": {"L": [{"N": 1}, {"S": "a"}]},
        "m": {"M": {"k": {"N": 2}}},
    }
    assert payload["json"] == '{"n":{"N":3}}'
    assert payload["filter"] == {
        "filterGroup": [
            {
                "filters": [
                    {"fieldName": "owner", "operator": "eq", "value": "me"},
                    {"fieldName": "a", "operator": "gt", "value": 1},
                ]
            },
            {"filters": [{"fieldName": "b", "operator": "in", "value": [1, 2]}]},
        ]
    }
    assert (payload["id"], payload["now"], payload["seconds"]) == (
        "id-1",
        "1970-01-01T00:00:01.000Z",
        1,
    )
    assert payload["blank"] is True
    assert evaluation.stash == {"seen": True}
    assert evaluation.effects["autoIdsUsed"] == 1


def test_util_error_carries_type_data_and_info(
    node_runtime: NodeResolverRuntime, tmp_path: Path
) -> None:
    evaluation = probe(node_runtime, tmp_path, "fail")
    assert evaluation.error is not None
    assert (
        evaluation.error.message,
        evaluation.error.error_type,
        evaluation.error.data,
        evaluation.error.error_info,
    ) == ("bad thing", "BadThing", {"some": "data"}, {"hint": "info"})


def test_dynamodb_numbers_go_over_the_wire_as_text() -> None:
    assert to_wire({"M": {"a": {"N": 1.5}, "b": {"L": [{"N": 2}]}, "c": {"S": "x"}}}) == {
        "M": {"a": {"N": "1.5"}, "b": {"L": [{"N": "2"}]}, "c": {"S": "x"}}
    }


def test_executor_early_return_and_appended_errors(
    dynamodb: Any, node_runtime: NodeResolverRuntime, tmp_path: Path, monkeypatch: Any
) -> None:
    (tmp_path / "probe.js").write_text(PROBE, encoding="utf-8")
    probe_resolver = Resolver(
        "Query",
        "probe",
        "probe.js",
        RESOLVERS["listAIPics"].auth_modes,
        RESOLVERS["publish"].data_source,
    )
    monkeypatch.setitem(RESOLVERS, "probe", probe_resolver)
    alice = cognito_identity("alice-sub")
    with AppSyncExecutor(
        dynamodb, TABLE_NAME, runtime=node_runtime, resolvers_dir=tmp_path
    ) as executor:
        early = executor.execute("probe", {"mode": "early"}, alice)
        assert (early.data, early.errors, early.subscription_filter) == ({"early": True}, [], None)
        appended = executor.execute("probe", {"mode": "append"}, alice)
        assert appended.data["filter"]["filterGroup"]
        assert appended.subscription_filter == appended.data["filter"]
        assert [(e["message"], e["errorType"], e["path"]) for e in appended.errors] == [
            ("soft problem", "Soft", ["probe"])
        ]
