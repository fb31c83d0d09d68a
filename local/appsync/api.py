"""What the local AppSync endpoint serves, as data: the API that Terraform created.

An ``ApiDefinition`` holds what AppSync's control plane reports for one GraphQL API: the
schema as uploaded, the default and additional authorization modes, the data sources,
the pipeline functions and the resolvers (APPSYNC_JS code as deployed). ``make up`` reads
it back from the emulator with ``api_from_appsync``; tests build it from the repository with
``api_from_repository``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from aipic.contract import CONTRACT
from botocore.client import BaseClient
from graphql import parse
from graphql.language import ObjectTypeDefinitionNode, ObjectTypeExtensionNode

from local.appsync.executor import (
    DAILY_QUOTA_FILE,
    RESOLVERS,
    RESOLVERS_DIR,
    AuthMode,
    DataSource,
    substitute_daily_quota,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO_ROOT / "schema.graphql"


class ResolverKind(StrEnum):
    UNIT = "UNIT"
    PIPELINE = "PIPELINE"


@dataclass(frozen=True)
class UserPoolConfig:
    """``user_pool_config`` of the API (AMAZON_COGNITO_USER_POOLS as default mode) or of an
    additional provider. ``app_id_client_regex``: token client ids must match it (None:
    any client of the pool, as AppSync does when it is unset). ``default_action``: ALLOW
    or DENY (DENY: only fields naming the caller's group in a directive are allowed)."""

    user_pool_id: str
    aws_region: str
    app_id_client_regex: str | None = None
    default_action: str = "ALLOW"

    @property
    def issuer(self) -> str:
        """The ``iss`` of the pool's tokens, as AppSync checks it."""
        return f"https://cognito-idp.{self.aws_region}.amazonaws.com/{self.user_pool_id}"


@dataclass(frozen=True)
class AuthProvider:
    """One authorization mode: its type and, for Cognito, its user pool. Only the modes in
    ``AuthMode`` are served (API_KEY, OPENID_CONNECT and AWS_LAMBDA are not emulated)."""

    mode: AuthMode
    user_pool: UserPoolConfig | None = None

    def __post_init__(self) -> None:
        if self.mode is AuthMode.COGNITO_USER_POOLS and self.user_pool is None:
            raise ValueError("an AMAZON_COGNITO_USER_POOLS provider needs its user_pool")


@dataclass(frozen=True)
class DataSourceDefinition:
    """A data source: NONE, AMAZON_DYNAMODB (table_name) or AWS_LAMBDA (function_arn)."""

    name: str
    type: DataSource
    table_name: str | None = None
    function_arn: str | None = None

    def __post_init__(self) -> None:
        if self.type is DataSource.DYNAMODB and not self.table_name:
            raise ValueError(f"DynamoDB data source {self.name!r} needs a table_name")
        if self.type is DataSource.LAMBDA and not self.function_arn:
            raise ValueError(f"Lambda data source {self.name!r} needs a function_arn")


@dataclass(frozen=True)
class FunctionDefinition:
    """A pipeline function: its APPSYNC_JS code and the data source it calls."""

    name: str
    data_source: str
    code: str


@dataclass(frozen=True)
class ResolverDefinition:
    """A field's resolver. UNIT: ``data_source`` + code; PIPELINE: code (before/after
    step) + ``functions`` (names of FunctionDefinitions, in execution order)."""

    type_name: str
    field_name: str
    kind: ResolverKind
    code: str
    data_source: str | None = None
    functions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind is ResolverKind.UNIT and self.data_source is None:
            raise ValueError(
                f"unit resolver {self.type_name}.{self.field_name} needs a data source"
            )
        if self.kind is ResolverKind.PIPELINE and not self.functions:
            raise ValueError(
                f"pipeline resolver {self.type_name}.{self.field_name} has no functions"
            )


@dataclass(frozen=True)
class ApiDefinition:
    """One AppSync GraphQL API as the control plane describes it."""

    schema_sdl: str
    default_auth: AuthProvider
    additional_auth: tuple[AuthProvider, ...] = ()
    data_sources: Mapping[str, DataSourceDefinition] = field(default_factory=dict)
    functions: Mapping[str, FunctionDefinition] = field(default_factory=dict)
    resolvers: tuple[ResolverDefinition, ...] = ()
    name: str = "local-api"
    introspection_enabled: bool = True
    environment_variables: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for resolver in self.resolvers:
            if resolver.data_source is not None and resolver.data_source not in self.data_sources:
                raise ValueError(
                    f"{resolver.type_name}.{resolver.field_name} names an unknown data source "
                    f"{resolver.data_source!r}"
                )
            for function_name in resolver.functions:
                if function_name not in self.functions:
                    raise ValueError(
                        f"{resolver.type_name}.{resolver.field_name} names an unknown function "
                        f"{function_name!r}"
                    )
        for function in self.functions.values():
            if function.data_source not in self.data_sources:
                raise ValueError(
                    f"function {function.name!r} names an unknown data source "
                    f"{function.data_source!r}"
                )

    @property
    def auth_providers(self) -> tuple[AuthProvider, ...]:
        return (self.default_auth, *self.additional_auth)

    def provider(self, mode: AuthMode) -> AuthProvider | None:
        return next((p for p in self.auth_providers if p.mode is mode), None)

    def resolver_for(self, type_name: str, field_name: str) -> ResolverDefinition | None:
        return next(
            (r for r in self.resolvers if (r.type_name, r.field_name) == (type_name, field_name)),
            None,
        )


# --- the repository's API, as modules/api wires it ---

# The contract's data sources (modules/api creates them): one of each type.
_DATA_SOURCE_NAMES = {
    DataSource(kind): name for name, kind in CONTRACT["api"]["data_sources"].items()
}


def api_from_repository(
    *,
    user_pool_id: str,
    region: str,
    table_name: str,
    generate_function_arn: str,
    daily_picture_quota: int | None = None,
    schema_path: Path = SCHEMA_PATH,
    resolvers_dir: Path = RESOLVERS_DIR,
) -> ApiDefinition:
    """The API modules/api creates, built from schema.graphql and the executor's RESOLVERS
    table (data source names from the contract, as modules/api names them)."""

    def code_of(file_name: str) -> str:
        text = (resolvers_dir / file_name).read_text(encoding="utf-8")
        if file_name == DAILY_QUOTA_FILE and daily_picture_quota is not None:
            text = substitute_daily_quota(text, daily_picture_quota)
        return text

    data_sources = {
        name: DataSourceDefinition(
            name,
            kind,
            table_name=table_name if kind is DataSource.DYNAMODB else None,
            function_arn=generate_function_arn if kind is DataSource.LAMBDA else None,
        )
        for kind, name in _DATA_SOURCE_NAMES.items()
    }
    functions: dict[str, FunctionDefinition] = {}
    resolvers: list[ResolverDefinition] = []
    for resolver in RESOLVERS.values():
        if resolver.functions:
            names = []
            for step in resolver.functions:
                name = step.code.removesuffix(".js")
                functions[name] = FunctionDefinition(
                    name, _DATA_SOURCE_NAMES[step.data_source], code_of(step.code)
                )
                names.append(name)
            resolvers.append(
                ResolverDefinition(
                    resolver.type_name,
                    resolver.field_name,
                    ResolverKind.PIPELINE,
                    code_of(resolver.code),
                    functions=tuple(names),
                )
            )
        else:
            assert resolver.data_source is not None
            resolvers.append(
                ResolverDefinition(
                    resolver.type_name,
                    resolver.field_name,
                    ResolverKind.UNIT,
                    code_of(resolver.code),
                    data_source=_DATA_SOURCE_NAMES[resolver.data_source],
                )
            )
    return ApiDefinition(
        schema_sdl=schema_path.read_text(encoding="utf-8"),
        default_auth=AuthProvider(
            AuthMode.COGNITO_USER_POOLS, UserPoolConfig(user_pool_id, region)
        ),
        additional_auth=(AuthProvider(AuthMode.IAM),),
        data_sources=data_sources,
        functions=functions,
        resolvers=tuple(resolvers),
        name="aipic-api",
    )


# --- the API as AppSync's control plane reports it (the emulator, for `make up`) ---


def _user_pool(config: Mapping[str, Any] | None) -> UserPoolConfig | None:
    if not config:
        return None
    return UserPoolConfig(
        config["userPoolId"],
        config["awsRegion"],
        app_id_client_regex=config.get("appIdClientRegex"),
        default_action=config.get("defaultAction", "ALLOW"),
    )


def _paged(client: BaseClient, operation: str, key: str, **arguments: str) -> list[Any]:
    return [
        item
        for page in client.get_paginator(operation).paginate(**arguments)
        for item in page.get(key, [])
    ]


def _object_type_names(schema_sdl: str) -> list[str]:
    return [
        definition.name.value
        for definition in parse(schema_sdl).definitions
        if isinstance(definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode)
    ]


def api_from_appsync(appsync_client: BaseClient, api_id: str) -> ApiDefinition:
    """Reads one API back through AppSync's control-plane API (GetGraphqlApi,
    GetIntrospectionSchema, ListDataSources, ListFunctions, ListResolvers)."""
    api = appsync_client.get_graphql_api(apiId=api_id)["graphqlApi"]
    schema = appsync_client.get_introspection_schema(
        apiId=api_id, format="SDL", includeDirectives=True
    )["schema"]
    schema_sdl = schema.read().decode() if hasattr(schema, "read") else bytes(schema).decode()
    data_sources: dict[str, DataSourceDefinition] = {}
    for source in _paged(appsync_client, "list_data_sources", "dataSources", apiId=api_id):
        data_sources[source["name"]] = DataSourceDefinition(
            source["name"],
            DataSource(source["type"]),
            table_name=(source.get("dynamodbConfig") or {}).get("tableName"),
            function_arn=(source.get("lambdaConfig") or {}).get("lambdaFunctionArn"),
        )
    function_names: dict[str, str] = {}
    functions: dict[str, FunctionDefinition] = {}
    for function in _paged(appsync_client, "list_functions", "functions", apiId=api_id):
        function_names[function["functionId"]] = function["name"]
        functions[function["name"]] = FunctionDefinition(
            function["name"], function["dataSourceName"], function.get("code") or ""
        )
    resolvers: list[ResolverDefinition] = []
    for type_name in dict.fromkeys(_object_type_names(schema_sdl)):
        for resolver in _paged(
            appsync_client, "list_resolvers", "resolvers", apiId=api_id, typeName=type_name
        ):
            pipeline = (resolver.get("pipelineConfig") or {}).get("functions") or []
            resolvers.append(
                ResolverDefinition(
                    resolver["typeName"],
                    resolver["fieldName"],
                    ResolverKind(resolver.get("kind") or "UNIT"),
                    resolver.get("code") or "",
                    data_source=resolver.get("dataSourceName"),
                    functions=tuple(function_names[f] for f in pipeline),
                )
            )
    default = AuthProvider(
        AuthMode(api["authenticationType"]), _user_pool(api.get("userPoolConfig"))
    )
    additional = tuple(
        AuthProvider(
            AuthMode(provider["authenticationType"]), _user_pool(provider.get("userPoolConfig"))
        )
        for provider in api.get("additionalAuthenticationProviders") or []
    )
    return ApiDefinition(
        schema_sdl=schema_sdl,
        default_auth=default,
        additional_auth=additional,
        data_sources=data_sources,
        functions=functions,
        resolvers=tuple(resolvers),
        name=api.get("name", api_id),
        introspection_enabled=api.get("introspectionConfig", "ENABLED") != "DISABLED",
    )
