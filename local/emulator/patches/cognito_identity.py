"""Cognito identity pools: the role attachment and the principal-tag map.

moto 5.2.5 answers ``SetIdentityPoolRoles`` and ``SetPrincipalTagAttributeMap`` (and their
``Get*``) with a 500: ``CognitoIdentityResponse`` has no such methods. This patch adds the
four to ``CognitoIdentityResponse``; the values live on moto's ``CognitoIdentityPool``, so
they go when the pool is deleted, and a pool that does not exist is moto's own
``ResourceNotFoundException``.
"""

from __future__ import annotations

import json
from typing import Any

from moto.cognitoidentity.exceptions import ResourceNotFoundError
from moto.cognitoidentity.models import CognitoIdentityPool
from moto.cognitoidentity.responses import CognitoIdentityResponse

from local.emulator.patches._hooks import add


def _pool(response: CognitoIdentityResponse) -> CognitoIdentityPool:
    pool_id = response._get_param("IdentityPoolId")
    pool = response.backend.identity_pools.get(pool_id)
    if pool is None:
        raise ResourceNotFoundError(pool_id)
    return pool


def _state(pool: CognitoIdentityPool) -> dict[str, Any]:
    state: dict[str, Any] | None = getattr(pool, "_local_state", None)
    if state is None:
        state = {"Roles": {}, "RoleMappings": {}, "PrincipalTags": {}}
        setattr(pool, "_local_state", state)  # noqa: B010 - moto's class has no slot for it
    return state


def set_identity_pool_roles(self: CognitoIdentityResponse) -> str:
    state = _state(_pool(self))
    state["Roles"] = self._get_param("Roles") or {}
    state["RoleMappings"] = self._get_param("RoleMappings") or {}
    return ""


def get_identity_pool_roles(self: CognitoIdentityResponse) -> str:
    pool = _pool(self)
    state = _state(pool)
    answer: dict[str, Any] = {"IdentityPoolId": pool.identity_pool_id, "Roles": state["Roles"]}
    if state["RoleMappings"]:
        answer["RoleMappings"] = state["RoleMappings"]
    return json.dumps(answer)


def _principal_tags(pool: CognitoIdentityPool, provider: str) -> dict[str, Any]:
    tags: dict[str, Any] = _state(pool)["PrincipalTags"].get(
        provider, {"UseDefaults": True, "PrincipalTags": {}}
    )
    return {"IdentityPoolId": pool.identity_pool_id, "IdentityProviderName": provider, **tags}


def set_principal_tag_attribute_map(self: CognitoIdentityResponse) -> str:
    pool = _pool(self)
    provider = self._get_param("IdentityProviderName")
    _state(pool)["PrincipalTags"][provider] = {
        "UseDefaults": bool(self._get_param("UseDefaults", False)),
        "PrincipalTags": self._get_param("PrincipalTags") or {},
    }
    return json.dumps(_principal_tags(pool, provider))


def get_principal_tag_attribute_map(self: CognitoIdentityResponse) -> str:
    pool = _pool(self)
    return json.dumps(_principal_tags(pool, self._get_param("IdentityProviderName")))


def apply() -> None:
    for function in (
        set_identity_pool_roles,
        get_identity_pool_roles,
        set_principal_tag_attribute_map,
        get_principal_tag_attribute_map,
    ):
        add(CognitoIdentityResponse, function.__name__, function)
