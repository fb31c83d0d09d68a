"""The local stack's resolver runtime and test table follow the contract.

local/appsync wires schema fields to resolver files and data sources as modules/api
does, and tests/support/pics_table.py builds the table modules/data creates: both
from the contract. The checks compare what they built with the contract; over a
hand-edited wiring they report the difference.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

import boto3
import pytest
from aipic.contract import CONTRACT, TABLE
from moto import mock_aws

from local.appsync.api import api_from_repository
from local.appsync.executor import RESOLVERS, DataSource, PipelineFunction, Resolver
from local.pics_table import create_pics_table

API = CONTRACT["api"]


def wiring_drift(resolvers: Mapping[str, Resolver]) -> list[str]:
    """How ``resolvers`` (the local runtime's wiring) disagree with the contract."""
    kinds = {name: DataSource(kind) for name, kind in API["data_sources"].items()}
    expected: dict[str, tuple[str, str, Any]] = {
        field: (
            pipeline["type"],
            f"{pipeline['code']}.js",
            tuple((f"{s['name']}.js", kinds[s["data_source"]]) for s in pipeline["functions"]),
        )
        for field, pipeline in API["pipelines"].items()
    }
    expected |= {
        field: (unit["type"], f"{field}.js", kinds[unit["data_source"]])
        for field, unit in API["units"].items()
    }
    actual = {
        field: (
            r.type_name,
            r.code,
            tuple((f.code, f.data_source) for f in r.functions) if r.functions else r.data_source,
        )
        for field, r in resolvers.items()
    }
    return [
        f"{field}: local {actual.get(field)} != contract {expected.get(field)}"
        for field in sorted(set(expected) | set(actual))
        if actual.get(field) != expected.get(field)
    ]


def test_the_local_resolver_runtime_is_wired_as_the_contract_says() -> None:
    assert wiring_drift(RESOLVERS) == []


def test_a_local_wiring_change_is_caught() -> None:
    create = RESOLVERS["createAIPic"]
    swapped = (create.functions[1], create.functions[0], *create.functions[2:])
    edited = {
        **RESOLVERS,
        "createAIPic": dataclasses.replace(create, functions=swapped),
        "listAIPics": dataclasses.replace(RESOLVERS["listAIPics"], data_source=DataSource.NONE),
        "extra": Resolver("Query", "extra", "extra.js", frozenset(), DataSource.NONE),
    }
    problems = wiring_drift(edited)
    assert [problem.split(":")[0] for problem in problems] == ["createAIPic", "extra", "listAIPics"]
    assert PipelineFunction("validatePrompt.js", DataSource.NONE) in create.functions


def test_the_local_api_names_the_contracts_data_sources() -> None:
    api = api_from_repository(
        user_pool_id="pool",
        region="eu-west-1",
        table_name="pics",
        generate_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:generate",
    )
    assert {name: ds.type.value for name, ds in api.data_sources.items()} == API["data_sources"]


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        yield boto3.client("dynamodb", region_name="eu-west-1")


def test_the_test_table_is_the_contracts(dynamodb: Any) -> None:
    create_pics_table(dynamodb, "pics")
    table = dynamodb.describe_table(TableName="pics")["Table"]
    assert table["KeySchema"] == [{"AttributeName": TABLE["hash_key"], "KeyType": "HASH"}]
    assert {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]} == (
        TABLE["key_attributes"]
    )
    indexes = {
        index["IndexName"]: (
            [key["AttributeName"] for key in index["KeySchema"]],
            index["Projection"]["ProjectionType"],
        )
        for index in table["GlobalSecondaryIndexes"]
    }
    assert indexes == {
        index["name"]: ([index["hash_key"], index["range_key"]], index["projection"])
        for index in TABLE["indexes"].values()
    }
    assert table["StreamSpecification"]["StreamViewType"] == TABLE["stream_view_type"]
    ttl = dynamodb.describe_time_to_live(TableName="pics")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == TABLE["ttl_attribute"]
