"""GraphQL over HTTP with gql's AIOHTTPTransport and its AppSync auth classes."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from gql import GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from graphql import GraphQLSchema

from .conftest import CREATE, GENERATE_ARN, LIST, PUBLISH, REGION, Stack


def raw_post(stack: Stack, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(
        stack.endpoint.url,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", **headers},
        method="POST",
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_introspection_gives_gql_the_uploaded_schema(stack: Stack) -> None:
    user = stack.sign_up()
    client = stack.jwt_client(user.id_token, fetch_schema=True)
    client.execute(LIST)
    schema = client.schema
    assert isinstance(schema, GraphQLSchema)
    assert set(schema.mutation_type.fields) == {
        "createAIPic",
        "cancelAIPic",
        "deleteAIPic",
        "publish",
        "publishAIPic",
    }
    assert "AWSJSON" in schema.type_map
    assert "aws_subscribe" in {directive.name for directive in schema.directives}


def test_create_then_list_with_a_cognito_id_token(stack: Stack) -> None:
    user = stack.sign_up()
    client = stack.jwt_client(user.id_token, fetch_schema=True)
    created = client.execute(
        GraphQLRequest(CREATE, variable_values={"prompt": "  a lighthouse at dawn "})
    )
    listed = client.execute(LIST)
    pic = created["createAIPic"]
    assert pic["owner"] == user.sub
    assert pic["prompt"] == "a lighthouse at dawn"
    assert pic["completionStatus"] == "STARTED"
    assert listed["listAIPics"]["items"] == [
        {"id": pic["id"], "prompt": "a lighthouse at dawn", "owner": user.sub}
    ]
    invocations = stack.fake_lambda.invocations_of(GENERATE_ARN)
    mine = [i for i in invocations if i.payload["owner"] == user.sub]
    assert [(i.invocation_type, i.payload) for i in mine] == [
        (
            "Event",
            {"id": pic["id"], "owner": user.sub, "prompt": "a lighthouse at dawn", "settings": {}},
        )
    ]


def test_an_access_token_works_too(stack: Stack) -> None:
    user = stack.sign_up()
    listed = stack.jwt_client(user.access_token).execute(LIST)
    assert listed == {"listAIPics": {"items": [], "nextToken": None}}


def test_invalid_prompt_is_a_graphql_error_and_nothing_is_written(stack: Stack) -> None:
    user = stack.sign_up()
    before = len(stack.fake_lambda.invocations)
    with pytest.raises(TransportQueryError) as raised:
        stack.jwt_client(user.id_token).execute(
            GraphQLRequest(CREATE, variable_values={"prompt": "   "})
        )
    (error,) = raised.value.errors or []
    assert error["errorType"] == "ValidationError"
    assert error["message"] == "The prompt must not be empty"
    assert error["path"] == ["createAIPic"]
    assert error["errorInfo"] == {"field": "prompt"}
    (location,) = error["locations"]
    assert set(location) == {"line", "column", "sourceName"}
    assert raised.value.data == {"createAIPic": None}
    assert stack.pictures_of(user.sub) == []
    assert len(stack.fake_lambda.invocations) == before


def test_a_cognito_user_calling_publish_is_refused(stack: Stack) -> None:
    user = stack.sign_up()
    delivered_before = len(stack.endpoint.hub.delivered)
    with pytest.raises(TransportQueryError) as raised:
        stack.jwt_client(user.id_token).execute(
            GraphQLRequest(PUBLISH, variable_values={"owner": user.sub, "data": "{}"})
        )
    (error,) = raised.value.errors or []
    assert error["errorType"] == "Unauthorized"
    assert error["message"] == "Not Authorized to access publish on type Mutation"
    assert error["path"] == ["publish"]
    assert raised.value.data == {"publish": None}
    assert len(stack.endpoint.hub.delivered) == delivered_before


def test_an_iam_caller_may_publish_but_not_create(stack: Stack) -> None:
    published = stack.publish("some-owner", {"id": "p1", "completionStatus": "PROCESSING"})
    assert published["publish"]["owner"] == "some-owner"
    assert json.loads(published["publish"]["data"]) == {
        "id": "p1",
        "completionStatus": "PROCESSING",
    }
    with pytest.raises(TransportQueryError) as raised:
        stack.iam_client().execute(GraphQLRequest(CREATE, variable_values={"prompt": "a cat"}))
    assert (
        raised.value.errors[0]["message"] == "Not Authorized to access createAIPic on type Mutation"
    )


def test_a_wrong_iam_secret_is_refused_with_403(stack: Stack) -> None:
    # gql reads AppSync's refusal body: the errorType says what was wrong.
    with pytest.raises(TransportQueryError) as raised:
        stack.iam_client(secret="not-the-secret").execute(
            GraphQLRequest(PUBLISH, variable_values={"owner": "o", "data": "{}"})
        )
    assert raised.value.errors[0]["errorType"] == "InvalidSignatureException"


def test_an_unknown_access_key_is_refused_with_403(stack: Stack) -> None:
    with pytest.raises(TransportQueryError) as raised:
        stack.iam_client(key_id="AKIAUNKNOWN000000000").execute(
            GraphQLRequest(PUBLISH, variable_values={"owner": "o", "data": "{}"})
        )
    assert raised.value.errors[0]["errorType"] == "UnrecognizedClientException"


def _moto_signing_key() -> Any:
    """The private key moto signs its tokens with (so a test can sign an expired one)."""
    from joserfc.jwk import RSAKey
    from moto.utilities.utils import load_resource

    return RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


def _claims(stack: Stack, user_sub: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": f"https://cognito-idp.{REGION}.amazonaws.com/{stack.user_pool_id}",
        "sub": user_sub,
        "aud": stack.client_id,
        "token_use": "id",
        "iat": now - 60,
        "auth_time": now - 60,
        "exp": now + 3600,
        "cognito:username": "someone",
    } | overrides


def _moto_signed(claims: dict[str, Any]) -> str:
    from joserfc import jwt as jose_jwt

    return jose_jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, _moto_signing_key())


def test_the_tokens_signed_with_the_pools_key_are_accepted(stack: Stack) -> None:
    # The control for the refusals below: the same token made by hand, but valid.
    token = _moto_signed(_claims(stack, "hand-made-sub"))
    status, body = raw_post(
        stack, {"query": "{ listAIPics { nextToken } }"}, {"authorization": token}
    )
    assert (status, body) == (200, {"data": {"listAIPics": {"nextToken": None}}})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"exp": int(time.time()) - 5}, "Token has expired."),
        (
            {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_another"},
            "Unable to parse JWT token.",
        ),
        ({"token_use": "refresh"}, "Unable to parse JWT token."),
    ],
    ids=["expired", "another-pool", "not-id-or-access"],
)
def test_expired_or_foreign_tokens_are_refused_with_401(
    stack: Stack, overrides: dict[str, Any], message: str
) -> None:
    token = _moto_signed(_claims(stack, "hand-made-sub", **overrides))
    status, body = raw_post(
        stack, {"query": "{ listAIPics { nextToken } }"}, {"authorization": token}
    )
    assert status == 401
    assert body == {"errors": [{"errorType": "UnauthorizedException", "message": message}]}


def test_a_forged_token_is_refused_with_401(stack: Stack) -> None:
    user = stack.sign_up()
    claims = jwt.decode(user.id_token, options={"verify_signature": False})
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": "dummy"})
    with pytest.raises(TransportQueryError) as raised:
        stack.jwt_client(forged).execute(LIST)
    assert raised.value.errors == [
        {"errorType": "UnauthorizedException", "message": "Unable to parse JWT token."}
    ]
    status, body = raw_post(
        stack, {"query": "{ listAIPics { nextToken } }"}, {"authorization": forged}
    )
    assert (status, body["errors"][0]["message"]) == (401, "Unable to parse JWT token.")


def test_a_bearer_prefix_or_no_header_is_refused_with_401(stack: Stack) -> None:
    user = stack.sign_up()
    query = {"query": "{ listAIPics { nextToken } }"}
    assert raw_post(stack, query, {"authorization": f"Bearer {user.id_token}"})[0] == 401
    status, body = raw_post(stack, query, {})
    assert status == 401
    assert body["errors"][0]["errorType"] == "UnauthorizedException"


def test_validation_errors_come_back_in_appsyncs_shape(stack: Stack) -> None:
    user = stack.sign_up()
    status, body = raw_post(stack, {"query": "{ noSuchField }"}, {"authorization": user.id_token})
    assert status == 200
    assert body["data"] is None
    (error,) = body["errors"]
    assert "noSuchField" in error["message"]
    assert error["locations"] == [{"line": 1, "column": 3, "sourceName": None}]


def test_a_subscription_over_http_is_refused(stack: Stack) -> None:
    user = stack.sign_up()
    status, body = raw_post(
        stack, {"query": "subscription { subscribe { owner } }"}, {"authorization": user.id_token}
    )
    assert status == 200
    assert body["data"] is None
    assert body["errors"][0]["errorType"] == "UnsupportedOperation"
