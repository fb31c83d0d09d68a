"""Reading the API back through AppSync's control-plane API (what `make up` does against
the emulator), checked with botocore's Stubber on the responses AppSync documents."""

from __future__ import annotations

import io
from typing import Any

import boto3
from botocore.response import StreamingBody
from botocore.stub import Stubber

from local.appsync.api import ResolverKind, api_from_appsync, api_from_repository
from local.appsync.executor import AuthMode, DataSource

API_ID = "abcdefghijklmnopqrstuvwxyz"
SDL = (
    "type Query { listAIPics: String }\n"
    "type Mutation { createAIPic(prompt: String!): String }\n"
    "type Subscription { subscribe: String }\n"
)


def _body(text: str) -> StreamingBody:
    raw = text.encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


def test_the_api_is_read_back_with_its_wiring() -> None:
    client = boto3.client(
        "appsync", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    stubber = Stubber(client)
    api: dict[str, Any] = {
        "apiId": API_ID,
        "name": "aipic-local-api",
        "authenticationType": "AMAZON_COGNITO_USER_POOLS",
        "userPoolConfig": {
            "userPoolId": "us-east-1_pool",
            "awsRegion": "us-east-1",
            "defaultAction": "ALLOW",
        },
        "additionalAuthenticationProviders": [{"authenticationType": "AWS_IAM"}],
        "introspectionConfig": "ENABLED",
    }
    stubber.add_response("get_graphql_api", {"graphqlApi": api}, {"apiId": API_ID})
    stubber.add_response(
        "get_introspection_schema",
        {"schema": _body(SDL)},
        {"apiId": API_ID, "format": "SDL", "includeDirectives": True},
    )
    stubber.add_response(
        "list_data_sources",
        {
            "dataSources": [
                {"name": "none", "type": "NONE"},
                {
                    "name": "pics",
                    "type": "AMAZON_DYNAMODB",
                    "dynamodbConfig": {"tableName": "pics", "awsRegion": "us-east-1"},
                },
                {
                    "name": "generate",
                    "type": "AWS_LAMBDA",
                    "lambdaConfig": {"lambdaFunctionArn": "arn:aws:lambda:us-east-1:1:function:g"},
                },
            ]
        },
        {"apiId": API_ID},
    )
    stubber.add_response(
        "list_functions",
        {
            "functions": [
                {"functionId": "f-2", "name": "putPic", "dataSourceName": "pics", "code": "// put"},
                {
                    "functionId": "f-1",
                    "name": "validatePrompt",
                    "dataSourceName": "none",
                    "code": "// v",
                },
            ]
        },
        {"apiId": API_ID},
    )
    stubber.add_response(
        "list_resolvers",
        {
            "resolvers": [
                {
                    "typeName": "Query",
                    "fieldName": "listAIPics",
                    "kind": "UNIT",
                    "dataSourceName": "pics",
                    "code": "// list",
                }
            ]
        },
        {"apiId": API_ID, "typeName": "Query"},
    )
    stubber.add_response(
        "list_resolvers",
        {
            "resolvers": [
                {
                    "typeName": "Mutation",
                    "fieldName": "createAIPic",
                    "kind": "PIPELINE",
                    "pipelineConfig": {"functions": ["f-1", "f-2"]},
                    "code": "// create",
                }
            ]
        },
        {"apiId": API_ID, "typeName": "Mutation"},
    )
    stubber.add_response(
        "list_resolvers", {"resolvers": []}, {"apiId": API_ID, "typeName": "Subscription"}
    )
    with stubber:
        definition = api_from_appsync(client, API_ID)
    stubber.assert_no_pending_responses()
    assert definition.schema_sdl == SDL
    assert definition.default_auth.mode is AuthMode.COGNITO_USER_POOLS
    assert definition.default_auth.user_pool is not None
    assert (
        definition.default_auth.user_pool.issuer
        == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"
    )
    assert [p.mode for p in definition.additional_auth] == [AuthMode.IAM]
    assert definition.data_sources["pics"].table_name == "pics"
    assert definition.data_sources["generate"].type is DataSource.LAMBDA
    create = definition.resolver_for("Mutation", "createAIPic")
    assert create is not None
    assert create.kind is ResolverKind.PIPELINE
    assert create.functions == ("validatePrompt", "putPic")
    assert definition.functions["putPic"].code == "// put"


def test_the_repository_api_wires_every_resolver_modules_api_creates() -> None:
    definition = api_from_repository(
        user_pool_id="us-east-1_pool",
        region="us-east-1",
        table_name="pics",
        generate_function_arn="arn:aws:lambda:us-east-1:1:function:g",
        daily_picture_quota=3,
    )
    create = definition.resolver_for("Mutation", "createAIPic")
    assert create is not None
    assert create.functions == (
        "validatePrompt",
        "enforceQuota",
        "enforceGlobalCeiling",
        "putPic",
        "invokeGenerate",
    )
    assert "const DAILY_PICTURE_QUOTA = 3;" in create.code
    assert {(r.type_name, r.field_name) for r in definition.resolvers} == {
        ("Mutation", "createAIPic"),
        ("Mutation", "cancelAIPic"),
        ("Mutation", "deleteAIPic"),
        ("Query", "listAIPics"),
        ("Mutation", "publish"),
        ("Mutation", "publishAIPic"),
        ("Subscription", "subscribe"),
        ("Subscription", "onAIPicChange"),
    }
    for field_name, step in (("cancelAIPic", "cancelPic"), ("deleteAIPic", "deletePic")):
        pipeline = definition.resolver_for("Mutation", field_name)
        assert pipeline is not None
        assert pipeline.functions == ("getOwnPic", step)
        assert definition.functions[step].data_source == "pics"
