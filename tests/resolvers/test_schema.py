"""schema.graphql: valid GraphQL (with AppSync's scalars and directives), the seed's
names kept, the extensions present, auth directives as the design says, and the
executor's field -> resolver table in step with it."""

from __future__ import annotations

from pathlib import Path

import graphql
import pytest

from local.appsync.executor import RESOLVERS, RESOLVERS_DIR, AuthMode

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schema.graphql"

# What AppSync defines implicitly; graphql-core needs them declared.
APPSYNC_PRELUDE = """
scalar AWSDate
scalar AWSTime
scalar AWSDateTime
scalar AWSTimestamp
scalar AWSEmail
scalar AWSJSON
scalar AWSURL
scalar AWSPhone
scalar AWSIPAddress
directive @aws_subscribe(mutations: [String!]!) on FIELD_DEFINITION
directive @aws_cognito_user_pools(cognito_groups: [String!]) on FIELD_DEFINITION | OBJECT
directive @aws_iam on FIELD_DEFINITION | OBJECT
directive @aws_api_key on FIELD_DEFINITION | OBJECT
directive @aws_oidc on FIELD_DEFINITION | OBJECT
directive @aws_lambda on FIELD_DEFINITION | OBJECT
"""

DIRECTIVE_AUTH_MODES = {
    "aws_cognito_user_pools": AuthMode.COGNITO_USER_POOLS,
    "aws_iam": AuthMode.IAM,
}


@pytest.fixture(scope="module")
def schema() -> graphql.GraphQLSchema:
    return graphql.build_schema(APPSYNC_PRELUDE + SCHEMA_PATH.read_text(encoding="utf-8"))


def directive_names(node: graphql.language.ast.Node | None) -> set[str]:
    return {directive.name.value for directive in getattr(node, "directives", None) or ()}


def field_of(
    schema: graphql.GraphQLSchema, type_name: str, field_name: str
) -> graphql.GraphQLField:
    type_ = schema.get_type(type_name)
    assert isinstance(type_, graphql.GraphQLObjectType), type_name
    assert field_name in type_.fields, f"{type_name}.{field_name} missing"
    return type_.fields[field_name]


def test_schema_is_valid_graphql(schema: graphql.GraphQLSchema) -> None:
    assert graphql.validate_schema(schema) == []


def test_every_seed_operation_and_type_is_kept(schema: graphql.GraphQLSchema) -> None:
    field_of(schema, "Query", "listAIPics")
    create = field_of(schema, "Mutation", "createAIPic")
    assert str(create.args["prompt"].type) == "String!"
    field_of(schema, "Mutation", "publish")
    field_of(schema, "Subscription", "subscribe")
    pic = schema.get_type("AIPic")
    assert isinstance(pic, graphql.GraphQLObjectType)
    seed_fields = {
        "id": "ID!",
        "completionStatus": "COMPLETION_STATUS",
        "createdAt": "AWSDateTime!",
        "updatedAt": "AWSDateTime!",
        "prompt": "String!",
        "imgId": "String",
    }
    assert {name: str(pic.fields[name].type) for name in seed_fields} == seed_fields
    status = schema.get_type("COMPLETION_STATUS")
    assert isinstance(status, graphql.GraphQLEnumType)
    assert {"STARTED", "PROCESSING", "COMPLETED"} <= set(status.values)


def test_extensions_owner_failure_settings_and_pagination(schema: graphql.GraphQLSchema) -> None:
    pic = schema.get_type("AIPic")
    assert isinstance(pic, graphql.GraphQLObjectType)
    assert str(pic.fields["owner"].type) == "ID!"
    assert str(pic.fields["failureReason"].type) == "String"
    assert str(pic.fields["settings"].type) == "GenerationSettings"
    status = schema.get_type("COMPLETION_STATUS")
    assert isinstance(status, graphql.GraphQLEnumType)
    assert "FAILED" in status.values
    settings_input = schema.get_type("GenerationSettingsInput")
    assert isinstance(settings_input, graphql.GraphQLInputObjectType)
    assert set(settings_input.fields) == {
        "negativePrompt",
        "width",
        "height",
        "numInferenceSteps",
        "guidanceScale",
        "seed",
    }
    create = field_of(schema, "Mutation", "createAIPic")
    # Optional, so the seed's createAIPic(prompt: "...") calls stay valid.
    assert str(create.args["settings"].type) == "GenerationSettingsInput"
    listing = field_of(schema, "Query", "listAIPics")
    assert {name: str(arg.type) for name, arg in listing.args.items()} == {
        "limit": "Int",
        "nextToken": "String",
    }
    connection = graphql.get_named_type(listing.type)
    assert isinstance(connection, graphql.GraphQLObjectType)
    assert {name: str(f.type) for name, f in connection.fields.items()} == {
        "items": "[AIPic!]!",
        "nextToken": "String",
    }


def test_publish_and_subscribe_carry_the_owner_to_filter_on(schema: graphql.GraphQLSchema) -> None:
    publish = field_of(schema, "Mutation", "publish")
    assert {name: str(arg.type) for name, arg in publish.args.items()} == {
        "owner": "ID!",
        "data": "AWSJSON!",
    }
    subscribe = field_of(schema, "Subscription", "subscribe")
    assert graphql.get_named_type(publish.type) is graphql.get_named_type(subscribe.type)
    event = graphql.get_named_type(subscribe.type)
    assert isinstance(event, graphql.GraphQLObjectType)
    assert {name: str(f.type) for name, f in event.fields.items()} == {
        "owner": "ID!",
        "data": "AWSJSON!",
    }
    subscribe_directive = next(
        d
        for d in subscribe.ast_node.directives
        if d.name.value == "aws_subscribe"  # type: ignore[union-attr]
    )
    mutations = graphql.value_from_ast_untyped(subscribe_directive.arguments[0].value)
    assert mutations == ["publish"]


@pytest.mark.parametrize(
    ("type_name", "field_name", "expected"),
    [
        ("Query", "listAIPics", {"aws_cognito_user_pools"}),
        ("Mutation", "createAIPic", {"aws_cognito_user_pools"}),
        ("Mutation", "cancelAIPic", {"aws_cognito_user_pools"}),
        ("Mutation", "deleteAIPic", {"aws_cognito_user_pools"}),
        ("Mutation", "publish", {"aws_iam"}),
        ("Mutation", "publishAIPic", {"aws_iam"}),
        ("Subscription", "subscribe", {"aws_cognito_user_pools", "aws_subscribe"}),
        ("Subscription", "onAIPicChange", {"aws_cognito_user_pools", "aws_subscribe"}),
    ],
)
def test_auth_directives(
    schema: graphql.GraphQLSchema, type_name: str, field_name: str, expected: set[str]
) -> None:
    assert directive_names(field_of(schema, type_name, field_name).ast_node) == expected


def test_types_readable_by_their_callers(schema: graphql.GraphQLSchema) -> None:
    assert directive_names(schema.get_type("AIPicConnection").ast_node) == {
        "aws_cognito_user_pools"
    }
    # IAM writes the events (publish, publishAIPic), signed-in users receive them.
    for event_type in ("PicEvent", "AIPic", "GenerationSettings"):
        assert directive_names(schema.get_type(event_type).ast_node) == {
            "aws_iam",
            "aws_cognito_user_pools",
        }


def test_the_typed_subscription_listens_to_publish_aipic_only(
    schema: graphql.GraphQLSchema,
) -> None:
    publish = field_of(schema, "Mutation", "publishAIPic")
    subscription = field_of(schema, "Subscription", "onAIPicChange")
    assert str(publish.type) == str(subscription.type) == "AIPic"
    directive = next(
        d
        for d in subscription.ast_node.directives  # type: ignore[union-attr]
        if d.name.value == "aws_subscribe"
    )
    assert graphql.value_from_ast_untyped(directive.arguments[0].value) == ["publishAIPic"]
    # Every field a subscriber can select is one the publish Lambda can send.
    pic_input = schema.get_type("AIPicInput")
    pic = schema.get_type("AIPic")
    assert isinstance(pic_input, graphql.GraphQLInputObjectType)
    assert isinstance(pic, graphql.GraphQLObjectType)
    assert set(pic_input.fields) == set(pic.fields)


def test_canceled_is_a_status(schema: graphql.GraphQLSchema) -> None:
    status = schema.get_type("COMPLETION_STATUS")
    assert isinstance(status, graphql.GraphQLEnumType)
    assert set(status.values) == {"STARTED", "PROCESSING", "COMPLETED", "FAILED", "CANCELED"}


def test_executor_wiring_matches_the_schema(schema: graphql.GraphQLSchema) -> None:
    """Each root field has one resolver with the schema's auth modes, and its files exist."""
    root_fields = {
        (root.name, name)
        for root in (schema.query_type, schema.mutation_type, schema.subscription_type)
        if root is not None
        for name in root.fields
    }
    assert {(r.type_name, r.field_name) for r in RESOLVERS.values()} == root_fields
    for resolver in RESOLVERS.values():
        directives = directive_names(
            field_of(schema, resolver.type_name, resolver.field_name).ast_node
        )
        assert resolver.auth_modes == {
            DIRECTIVE_AUTH_MODES[d] for d in directives if d in DIRECTIVE_AUTH_MODES
        }
        for code in (resolver.code, *(function.code for function in resolver.functions)):
            assert (RESOLVERS_DIR / code).is_file(), code
