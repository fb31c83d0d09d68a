"""Resolver execution and field-level auth as a client sees them, on a small API made for
the purpose: the ctx AppSync passes (args, identity, stash, prev.result, source, info),
unit and pipeline resolvers, NONE and Lambda (RequestResponse) data sources, util.error and
util.appendError, and the directive rules for the default and additional modes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from gql import GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError

from local.appsync.api import (
    ApiDefinition,
    AuthProvider,
    DataSourceDefinition,
    FunctionDefinition,
    ResolverDefinition,
    ResolverKind,
    UserPoolConfig,
)
from local.appsync.auth import static_principals
from local.appsync.executor import AuthMode, DataSource
from local.appsync.server import AppSyncEndpoint

from .conftest import ACCOUNT_ID, PUBLISHER, PUBLISHER_KEY_ID, REGION, Stack

ECHO_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:echo"

SCHEMA = """
type Query {
  probe(text: String, count: Int): Probe
  pipeline: AWSJSON
  echo(text: String!): String
  partly: String
  admins: String @aws_cognito_user_pools(cognito_groups: ["admins"])
  either: String @aws_iam @aws_cognito_user_pools
}
type Probe @aws_iam {
  ctx: AWSJSON @aws_cognito_user_pools
  child: Child @aws_cognito_user_pools
  iamOnly: String
}
type Child @aws_cognito_user_pools {
  sourceText: String
}
"""

# Each handler as AppSync would run it; plain JavaScript the harness loads.
PROBE = """
export function request(ctx) {
    ctx.stash.seen = 'request';
    const { args, identity, info, source } = ctx;
    return { payload: { args, identity, info, source } };
}
export function response(ctx) {
    const probe = { ...ctx.result, stash: ctx.stash };
    return { ctx: probe, child: { text: ctx.args.text }, iamOnly: 'secret' };
}
"""
CHILD = """
export function request(ctx) { return { payload: ctx.source.child }; }
export function response(ctx) { return { sourceText: ctx.result.text }; }
"""
PIPELINE_BEFORE = """
export function request(ctx) { ctx.stash.order = ['before']; return {}; }
export function response(ctx) { return { prev: ctx.prev.result, order: ctx.stash.order }; }
"""
STEP_ONE = """
export function request(ctx) { ctx.stash.order.push('one'); return { payload: 1 }; }
export function response(ctx) { return ctx.result; }
"""
STEP_TWO = """
export function request(ctx) {
    ctx.stash.order.push('two');
    return { payload: { previous: ctx.prev.result } };
}
export function response(ctx) { return ctx.result; }
"""
ECHO = """
import { util } from '@aws-appsync/utils';
export function request(ctx) {
    return { operation: 'Invoke', payload: { text: ctx.args.text } };
}
export function response(ctx) {
    if (ctx.error) { util.error(ctx.error.message, ctx.error.type); }
    return ctx.result.echoed;
}
"""
PARTLY = """
import { util } from '@aws-appsync/utils';
export function request() { return { payload: 'still here' }; }
export function response(ctx) {
    util.appendError('something minor', 'Minor', null, { hint: 1 });
    return ctx.result;
}
"""
CONSTANT = """
export function request() { return { payload: 'yes' }; }
export function response(ctx) { return ctx.result; }
"""


def unit(type_name: str, field: str, code: str, source: str = "none") -> ResolverDefinition:
    return ResolverDefinition(type_name, field, ResolverKind.UNIT, code, data_source=source)


@pytest.fixture(scope="module")
def probe_endpoint(stack: Stack) -> Iterator[AppSyncEndpoint]:
    api = ApiDefinition(
        schema_sdl=SCHEMA,
        default_auth=AuthProvider(
            AuthMode.COGNITO_USER_POOLS, UserPoolConfig(stack.user_pool_id, REGION)
        ),
        additional_auth=(AuthProvider(AuthMode.IAM),),
        data_sources={
            "none": DataSourceDefinition("none", DataSource.NONE),
            "echo": DataSourceDefinition("echo", DataSource.LAMBDA, function_arn=ECHO_ARN),
        },
        functions={
            "one": FunctionDefinition("one", "none", STEP_ONE),
            "two": FunctionDefinition("two", "none", STEP_TWO),
        },
        resolvers=(
            unit("Query", "probe", PROBE),
            unit("Probe", "child", CHILD),
            ResolverDefinition(
                "Query",
                "pipeline",
                ResolverKind.PIPELINE,
                PIPELINE_BEFORE,
                functions=("one", "two"),
            ),
            unit("Query", "echo", ECHO, "echo"),
            unit("Query", "partly", PARTLY),
            unit("Query", "admins", CONSTANT),
            unit("Query", "either", CONSTANT),
        ),
    )

    def echo(payload: Any) -> Any:
        if payload["text"] == "boom":
            raise RuntimeError("the echo function failed")
        return {"echoed": payload["text"].upper()}

    stack.fake_lambda.handlers[ECHO_ARN] = echo
    with AppSyncEndpoint(
        api,
        region=REGION,
        lambda_client=stack.lambda_client,
        jwks_url=f"{stack.emulator.url}/{stack.user_pool_id}/.well-known/jwks.json",
        iam_principals=static_principals({PUBLISHER_KEY_ID: PUBLISHER}),
    ) as endpoint:
        yield endpoint


def client_for(stack: Stack, endpoint: AppSyncEndpoint, token: str | None = None) -> Any:
    from gql import Client
    from gql.transport.aiohttp import AIOHTTPTransport
    from gql.transport.appsync_auth import AppSyncIAMAuthentication, AppSyncJWTAuthentication

    host = endpoint.url.split("/")[2]
    if token is None:
        from botocore.credentials import Credentials

        from .conftest import PUBLISHER_SECRET

        auth: Any = AppSyncIAMAuthentication(
            host=host,
            region_name=REGION,
            credentials=Credentials(PUBLISHER_KEY_ID, PUBLISHER_SECRET),
        )
    else:
        auth = AppSyncJWTAuthentication(host=host, jwt=token)
    return Client(transport=AIOHTTPTransport(url=endpoint.url, auth=auth))


def test_the_resolver_sees_the_context_appsync_passes(
    stack: Stack, probe_endpoint: AppSyncEndpoint
) -> None:
    user = stack.sign_up()
    query = gql(
        "query Probe($text: String) "
        "{ probe(text: $text, count: 3) { ctx alias: child { sourceText } } }"
    )
    data = client_for(stack, probe_endpoint, user.id_token).execute(
        GraphQLRequest(query, variable_values={"text": "hello"})
    )
    ctx = json.loads(data["probe"]["ctx"])
    assert ctx["args"] == {"text": "hello", "count": 3}
    identity = ctx["identity"]
    assert identity["sub"] == user.sub
    assert identity["username"] == user.username
    assert identity["issuer"] == f"https://cognito-idp.{REGION}.amazonaws.com/{stack.user_pool_id}"
    assert identity["claims"]["token_use"] == "id"
    assert identity["sourceIp"] == ["127.0.0.1"]
    assert identity["defaultAuthStrategy"] == "ALLOW"
    assert identity["groups"] is None
    assert ctx["info"]["fieldName"] == "probe"
    assert ctx["info"]["parentTypeName"] == "Query"
    assert ctx["info"]["variables"] == {"text": "hello"}
    assert ctx["info"]["selectionSetList"] == ["ctx", "alias", "alias/sourceText"]
    assert ctx["source"] is None
    assert ctx["stash"] == {"seen": "request"}
    # The nested resolver got its parent's value as ctx.source.
    assert data["probe"]["alias"] == {"sourceText": "hello"}


def test_a_pipeline_passes_prev_result_and_stash_from_function_to_function(
    stack: Stack, probe_endpoint: AppSyncEndpoint
) -> None:
    user = stack.sign_up()
    data = client_for(stack, probe_endpoint, user.id_token).execute(gql("{ pipeline }"))
    assert json.loads(data["pipeline"]) == {
        "prev": {"previous": 1},
        "order": ["before", "one", "two"],
    }


def test_a_lambda_data_source_answers_and_its_errors_become_graphql_errors(
    stack: Stack, probe_endpoint: AppSyncEndpoint
) -> None:
    user = stack.sign_up()
    client = client_for(stack, probe_endpoint, user.id_token)
    assert client.execute(gql('{ echo(text: "hi") }')) == {"echo": "HI"}
    invocation = stack.fake_lambda.invocations_of(ECHO_ARN)[-1]
    assert (invocation.invocation_type, invocation.payload) == ("RequestResponse", {"text": "hi"})
    with pytest.raises(TransportQueryError) as raised:
        client.execute(gql('{ echo(text: "boom") }'))
    (error,) = raised.value.errors or []
    assert (error["errorType"], error["message"]) == (
        "Lambda:Unhandled",
        "the echo function failed",
    )


def test_append_error_keeps_the_value_and_reports_the_error(
    stack: Stack, probe_endpoint: AppSyncEndpoint
) -> None:
    user = stack.sign_up()
    with pytest.raises(TransportQueryError) as raised:
        client_for(stack, probe_endpoint, user.id_token).execute(gql("{ partly }"))
    assert raised.value.data == {"partly": "still here"}
    (error,) = raised.value.errors or []
    assert error["errorType"] == "Minor"
    assert error["errorInfo"] == {"hint": 1}
    assert error["path"] == ["partly"]


def test_type_directives_apply_to_fields_and_field_directives_override_them(
    stack: Stack, probe_endpoint: AppSyncEndpoint
) -> None:
    user = stack.sign_up()
    with pytest.raises(TransportQueryError) as raised:
        client_for(stack, probe_endpoint, user.id_token).execute(gql("{ probe { ctx iamOnly } }"))
    # ctx names Cognito itself; iamOnly inherits Probe's @aws_iam: null and an error.
    assert raised.value.data["probe"]["iamOnly"] is None
    assert raised.value.data["probe"]["ctx"] is not None
    (error,) = raised.value.errors or []
    assert error["message"] == "Not Authorized to access iamOnly on type Probe"
    assert error["path"] == ["probe", "iamOnly"]


def test_a_field_without_directives_is_open_to_the_default_mode_only(
    stack: Stack, probe_endpoint: AppSyncEndpoint
) -> None:
    iam = client_for(stack, probe_endpoint)
    assert iam.execute(gql("{ either }")) == {"either": "yes"}
    with pytest.raises(TransportQueryError) as raised:
        iam.execute(gql("{ partly }"))
    assert raised.value.errors[0]["message"] == "Not Authorized to access partly on type Query"
    user = stack.sign_up()
    assert client_for(stack, probe_endpoint, user.id_token).execute(gql("{ either }")) == {
        "either": "yes"
    }


def test_cognito_groups_limit_a_field_to_their_members(
    stack: Stack, probe_endpoint: AppSyncEndpoint
) -> None:
    outsider = stack.sign_up()
    with pytest.raises(TransportQueryError) as raised:
        client_for(stack, probe_endpoint, outsider.id_token).execute(gql("{ admins }"))
    assert raised.value.errors[0]["errorType"] == "Unauthorized"
    stack.cognito.create_group(GroupName="admins", UserPoolId=stack.user_pool_id)
    member = stack.sign_up("admin")
    stack.cognito.admin_add_user_to_group(
        UserPoolId=stack.user_pool_id, Username=member.username, GroupName="admins"
    )
    fresh = stack.sign_up_again(member)
    assert client_for(stack, probe_endpoint, fresh.id_token).execute(gql("{ admins }")) == {
        "admins": "yes"
    }
