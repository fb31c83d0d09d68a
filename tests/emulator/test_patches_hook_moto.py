"""The patches apply to the installed moto: every method they replace exists with the
signature they were written for, and nothing they add exists in moto yet.

Run in a fresh interpreter (the test process itself never patches moto), so this fails
as soon as a moto upgrade renames, re-signs or implements what a patch relies on.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

APPLY = (
    "import json; from local.emulator import patches; "
    "patches.apply_all(lambda_runtime_url=None); print(json.dumps(patches.HOOKED))"
)

EXPECTED = {
    # appsync
    "adds moto.appsync.responses.AppSyncResponse.create_data_source",
    "adds moto.appsync.responses.AppSyncResponse.create_function",
    "adds moto.appsync.responses.AppSyncResponse.create_resolver",
    "adds moto.appsync.responses.AppSyncResponse.get_resolver",
    "adds moto.appsync.responses.AppSyncResponse.list_resolvers",
    "adds moto.appsync.models.AppSyncBackend.create_data_source",
    "replaces moto.appsync.models.GraphqlAPI.__init__",
    "replaces moto.appsync.responses.AppSyncResponse.create_graphql_api",
    "replaces moto.appsync.responses.AppSyncResponse.get_graphql_api",
    "replaces moto.appsync.responses.AppSyncResponse.get_introspection_schema",
    # cognito identity
    "adds moto.cognitoidentity.responses.CognitoIdentityResponse.set_identity_pool_roles",
    "adds moto.cognitoidentity.responses.CognitoIdentityResponse.get_identity_pool_roles",
    "adds moto.cognitoidentity.responses.CognitoIdentityResponse.set_principal_tag_attribute_map",
    "adds moto.cognitoidentity.responses.CognitoIdentityResponse.get_principal_tag_attribute_map",
    # dynamodb
    "replaces moto.dynamodb.models.DynamoDBBackend.put_item",
    "replaces moto.dynamodb.models.DynamoDBBackend.update_item",
    "replaces moto.dynamodb.models.DynamoDBBackend.delete_item",
    "replaces moto.dynamodb.models.DynamoDBBackend.transact_write_items",
    # lambda
    "replaces moto.awslambda.models.LambdaFunction.invoke",
    "replaces moto.awslambda.responses.LambdaResponse.invoke",
    "replaces moto.awslambda.models.LambdaBackend.send_dynamodb_items",
    # s3
    "replaces moto.s3.models.FakeBucket.get_permission",
    # replay
    "replaces moto.dynamodb.models.table.Table.set_stream_specification",
    "replaces moto.s3.responses.S3Response.put_object",
    "replaces moto.s3.responses.S3Response.upload_part",
}


def test_every_patch_applies_to_the_installed_moto() -> None:
    result = subprocess.run(
        [sys.executable, "-c", APPLY], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    hooked = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert hooked >= EXPECTED, sorted(EXPECTED - hooked)


def test_moto_still_lacks_what_the_patches_add() -> None:
    # Unpatched moto, in this process: the gaps the patches fill are still there.
    from moto.appsync.responses import AppSyncResponse
    from moto.cognitoidentity.responses import CognitoIdentityResponse

    for name in ("create_data_source", "create_function", "create_resolver", "get_resolver"):
        assert not hasattr(AppSyncResponse, name), name
    for name in ("set_identity_pool_roles", "set_principal_tag_attribute_map"):
        assert not hasattr(CognitoIdentityResponse, name), name


def test_a_changed_moto_signature_stops_the_patch() -> None:
    from local.emulator.patches._hooks import MotoChangedError, original

    class Moto:
        def invoke(self, body: str) -> None: ...

    with pytest.raises(MotoChangedError, match="invoke"):
        original(Moto, "invoke", parameters=("self", "body", "request_headers"))
