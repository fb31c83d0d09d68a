"""AppSync through boto3 against the emulator: what moto 5.2.5 lacks and the patch adds."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

SCHEMA = '''"""A picture."""
type Pic @aws_cognito_user_pools @aws_iam {
  """Its id."""
  id: ID!
  prompt: String
}

type Query {
  getPic(id: ID!): Pic
}

type Mutation {
  putPic(prompt: String!): Pic
  publish(id: ID!): Pic @aws_iam
}

type Subscription {
  onPic: Pic @aws_subscribe(mutations: ["publish"])
}
'''
JS = {"name": "APPSYNC_JS", "runtimeVersion": "1.0.0"}
CODE = (
    "export function request(ctx) { return {}; }\n"
    "export function response(ctx) { return ctx.result; }\n"
)


def _api(client: Callable[[str], Any], name: str) -> tuple[Any, str]:
    appsync = client("appsync")
    api = appsync.create_graphql_api(
        name=name, authenticationType="AWS_IAM", introspectionConfig="DISABLED"
    )["graphqlApi"]
    appsync.start_schema_creation(apiId=api["apiId"], definition=SCHEMA.encode())
    return appsync, api["apiId"]


def test_graphql_api_is_shaped_like_appsyncs(client: Callable[[str], Any]) -> None:
    appsync = client("appsync")
    created = appsync.create_graphql_api(
        name="shaped", authenticationType="AWS_IAM", introspectionConfig="DISABLED"
    )["graphqlApi"]
    api_id = created["apiId"]
    assert re.fullmatch(r"[a-z0-9]{26}", api_id)
    assert created["arn"].endswith(f":apis/{api_id}")
    for answer in (
        created,
        appsync.get_graphql_api(apiId=api_id)["graphqlApi"],
        next(a for a in appsync.list_graphql_apis()["graphqlApis"] if a["apiId"] == api_id),
    ):
        assert answer["uris"] == {
            "GRAPHQL": f"https://{api_id}.appsync-api.us-east-1.amazonaws.com/graphql",
            "REALTIME": f"wss://{api_id}.appsync-realtime-api.us-east-1.amazonaws.com/graphql",
        }
        assert answer["apiType"] == "GRAPHQL"
        assert answer["introspectionConfig"] == "DISABLED"
    updated = appsync.update_graphql_api(
        apiId=api_id, name="shaped", authenticationType="AWS_IAM", introspectionConfig="ENABLED"
    )["graphqlApi"]
    assert updated["introspectionConfig"] == "ENABLED"


def test_sdl_introspection_returns_the_schema_as_uploaded(client: Callable[[str], Any]) -> None:
    appsync, api_id = _api(client, "sdl")
    with_directives = (
        appsync.get_introspection_schema(apiId=api_id, format="SDL", includeDirectives=True)[
            "schema"
        ]
        .read()
        .decode()
    )
    assert with_directives == SCHEMA
    without = (
        appsync.get_introspection_schema(apiId=api_id, format="SDL", includeDirectives=False)[
            "schema"
        ]
        .read()
        .decode()
    )
    assert "@aws_" not in without
    assert '"""Its id."""' in without


def test_data_sources_round_trip(client: Callable[[str], Any]) -> None:
    appsync, api_id = _api(client, "data-sources")
    created = appsync.create_data_source(
        apiId=api_id,
        name="pics",
        type="AMAZON_DYNAMODB",
        serviceRoleArn="arn:aws:iam::123456789012:role/pics",
        dynamodbConfig={"tableName": "pics", "awsRegion": "us-east-1"},
    )["dataSource"]
    assert created["dataSourceArn"].endswith(f":apis/{api_id}/datasources/pics")
    got = appsync.get_data_source(apiId=api_id, name="pics")["dataSource"]
    assert got["dynamodbConfig"]["tableName"] == "pics"
    assert got["serviceRoleArn"] == "arn:aws:iam::123456789012:role/pics"
    with pytest.raises(ClientError, match="already exists"):
        appsync.create_data_source(apiId=api_id, name="pics", type="NONE")
    appsync.update_data_source(apiId=api_id, name="pics", type="NONE", description="now none")
    assert appsync.get_data_source(apiId=api_id, name="pics")["dataSource"]["type"] == "NONE"
    assert [d["name"] for d in appsync.list_data_sources(apiId=api_id)["dataSources"]] == ["pics"]
    appsync.delete_data_source(apiId=api_id, name="pics")
    with pytest.raises(ClientError) as missing:
        appsync.get_data_source(apiId=api_id, name="pics")
    assert missing.value.response["Error"]["Code"] == "NotFoundException"


def test_functions_and_resolvers_keep_runtime_code_and_pipeline_order(
    client: Callable[[str], Any],
) -> None:
    appsync, api_id = _api(client, "resolvers")
    appsync.create_data_source(apiId=api_id, name="none", type="NONE")
    with pytest.raises(ClientError) as no_source:
        appsync.create_function(
            apiId=api_id, name="f", dataSourceName="missing", runtime=JS, code=CODE
        )
    assert no_source.value.response["Error"]["Code"] == "NotFoundException"
    ids = [
        appsync.create_function(
            apiId=api_id, name=name, dataSourceName="none", runtime=JS, code=CODE
        )["functionConfiguration"]["functionId"]
        for name in ("second", "first")
    ]
    function = appsync.get_function(apiId=api_id, functionId=ids[0])["functionConfiguration"]
    assert function["runtime"] == JS
    assert function["code"] == CODE
    assert re.fullmatch(r"[a-z0-9]{26}", function["functionId"])

    pipeline = appsync.create_resolver(
        apiId=api_id,
        typeName="Mutation",
        fieldName="putPic",
        kind="PIPELINE",
        pipelineConfig={"functions": ids},
        runtime=JS,
        code=CODE,
    )["resolver"]
    assert pipeline["resolverArn"].endswith("/types/Mutation/resolvers/putPic")
    got = appsync.get_resolver(apiId=api_id, typeName="Mutation", fieldName="putPic")["resolver"]
    assert got["kind"] == "PIPELINE"
    assert got["pipelineConfig"]["functions"] == ids
    assert got["code"] == CODE

    appsync.create_resolver(
        apiId=api_id,
        typeName="Query",
        fieldName="getPic",
        dataSourceName="none",
        runtime=JS,
        code=CODE,
    )
    unit = appsync.get_resolver(apiId=api_id, typeName="Query", fieldName="getPic")["resolver"]
    assert (unit["kind"], unit["dataSourceName"]) == ("UNIT", "none")
    listed = appsync.list_resolvers(apiId=api_id, typeName="Mutation")["resolvers"]
    assert [r["fieldName"] for r in listed] == ["putPic"]

    appsync.update_resolver(
        apiId=api_id,
        typeName="Mutation",
        fieldName="putPic",
        kind="PIPELINE",
        pipelineConfig={"functions": ids[::-1]},
        runtime=JS,
        code=CODE,
    )
    reordered = appsync.get_resolver(apiId=api_id, typeName="Mutation", fieldName="putPic")
    assert reordered["resolver"]["pipelineConfig"]["functions"] == ids[::-1]

    for wrong in (
        {"typeName": "Query", "fieldName": "nope", "dataSourceName": "none"},
        {
            "typeName": "Query",
            "fieldName": "getPic",
            "kind": "PIPELINE",
            "pipelineConfig": {"functions": ["0" * 26]},
        },
    ):
        with pytest.raises(ClientError) as rejected:
            appsync.create_resolver(apiId=api_id, runtime=JS, code=CODE, **wrong)
        code = rejected.value.response["Error"]["Code"]
        assert code in {"NotFoundException", "BadRequestException"}

    appsync.delete_resolver(apiId=api_id, typeName="Mutation", fieldName="putPic")
    appsync.delete_function(apiId=api_id, functionId=ids[0])
    assert [f["functionId"] for f in appsync.list_functions(apiId=api_id)["functions"]] == ids[1:]
