"""Cognito identity pool roles and principal tags through boto3 (moto 5.2.5 answers 500)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/authenticated"
PROVIDER = "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"


def test_roles_and_principal_tags_round_trip(client: Callable[[str], Any]) -> None:
    identity = client("cognito-identity")
    pool = identity.create_identity_pool(
        IdentityPoolName="roles", AllowUnauthenticatedIdentities=False
    )["IdentityPoolId"]

    identity.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": ROLE})
    roles = identity.get_identity_pool_roles(IdentityPoolId=pool)
    assert roles["IdentityPoolId"] == pool
    assert roles["Roles"] == {"authenticated": ROLE}

    identity.set_principal_tag_attribute_map(
        IdentityPoolId=pool,
        IdentityProviderName=PROVIDER,
        UseDefaults=False,
        PrincipalTags={"sub": "sub"},
    )
    tags = identity.get_principal_tag_attribute_map(
        IdentityPoolId=pool, IdentityProviderName=PROVIDER
    )
    assert (tags["UseDefaults"], tags["PrincipalTags"]) == (False, {"sub": "sub"})


def test_an_unknown_pool_is_not_found(client: Callable[[str], Any]) -> None:
    with pytest.raises(ClientError) as missing:
        client("cognito-identity").get_identity_pool_roles(
            IdentityPoolId="us-east-1:00000000-0000-0000-0000-000000000000"
        )
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
