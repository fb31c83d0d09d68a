"""AppSync: data sources, pipeline functions and resolvers; ids, uris and settings like AppSync's.

moto 5.2.5 has GraphQL APIs and schemas but no data sources (``CreateDataSource`` → 404,
no route), no functions (404) and no resolvers (the ``/types/...`` route exists, the
action does not: 500). This patch adds the three, each with Create/Get/Update/Delete/List:

- routes in ``moto.appsync.urls.url_paths`` (read when moto builds the AppSync app);
- ``AppSyncResponse.<operation>`` methods, which moto's dispatcher finds by name once the
  botocore router has named the operation;
- ``AppSyncBackend.<operation>`` methods holding the objects on their ``GraphqlAPI``, so
  deleting the API deletes them.

AppSync's own checks are kept where a wrong wiring would otherwise pass unnoticed: a
function or unit resolver must name an existing data source, a pipeline resolver's
functions must exist, and a resolver's type and field must be in the uploaded schema.

It also replaces what moto answers for a GraphQL API:

- ``GraphqlAPI.__init__``: the id is 26 characters of ``[a-z0-9]`` like AppSync's (moto's
  UUID makes the provider split the id at its first hyphen);
- ``AppSyncResponse.{create,get,update,list}_graphql_api(s)``: ``uris`` and ``dns`` are
  AppSync's GRAPHQL and REALTIME endpoints (moto's ``http://graphql.uri`` fails
  ``modules/pipeline``'s validation), and ``apiType``, ``introspectionConfig``,
  ``queryDepthLimit``, ``resolverCountLimit`` come back as set (without them a re-plan
  replaces the API);
- ``AppSyncResponse.get_introspection_schema``: SDL is the schema as uploaded, with its
  directives and descriptions (moto rebuilds it and loses both); without
  ``includeDirectives`` the directives are stripped and the rest kept.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

from graphql import DirectiveNode, parse, print_ast
from graphql.language import (
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    Visitor,
    visit,
)
from moto.appsync import urls
from moto.appsync.exceptions import AppSyncExceptions, BadRequestException
from moto.appsync.models import AppSyncBackend, GraphqlAPI
from moto.appsync.responses import AppSyncResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.moto_api._internal import mock_random

from local.emulator.patches._hooks import add, original, replace

ID_ALPHABET = string.ascii_lowercase + string.digits
ID_LENGTH = 26
# Settings AppSync returns and moto drops, with AppSync's defaults.
API_SETTINGS_DEFAULTS: dict[str, Any] = {
    "apiType": "GRAPHQL",
    "introspectionConfig": "ENABLED",
    "queryDepthLimit": 0,
    "resolverCountLimit": 0,
}
API_OPTIONAL_SETTINGS = ("enhancedMetricsConfig", "ownerContact", "mergedApiExecutionRoleArn")

URL_PATHS = {
    "{0}/v1/apis/(?P<api_id>[^/]+)/datasources$": AppSyncResponse.dispatch,
    "{0}/v1/apis/(?P<api_id>[^/]+)/datasources/(?P<name>[^/]+)$": AppSyncResponse.dispatch,
    "{0}/v1/apis/(?P<api_id>[^/]+)/functions$": AppSyncResponse.dispatch,
    "{0}/v1/apis/(?P<api_id>[^/]+)/functions/(?P<function_id>[^/]+)$": AppSyncResponse.dispatch,
    # Resolvers (/types/<type>/resolvers[/<field>]) already match moto's
    # "/types/(?P<type_name>.+)$" route.
}


class NotFoundError(AppSyncExceptions):
    code = 404

    def __init__(self, message: str) -> None:
        super().__init__("NotFoundException", message)


def new_id() -> str:
    # moto's own random, so ``/moto-api/seed`` makes the ids of a replayed recording the
    # recorded ones (see local/stack_cache.py).
    return "".join(mock_random.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


# ---------------------------------------------------------------- what hangs off an API


class ApiExtras:
    """What this patch keeps per GraphQL API (an attribute of moto's ``GraphqlAPI``)."""

    def __init__(self) -> None:
        self.settings: dict[str, Any] = dict(API_SETTINGS_DEFAULTS)
        self.data_sources: dict[str, dict[str, Any]] = {}
        self.functions: dict[str, dict[str, Any]] = {}
        self.resolvers: dict[tuple[str, str], dict[str, Any]] = {}


def extras(api: GraphqlAPI) -> ApiExtras:
    found = getattr(api, "_local_extras", None)
    if not isinstance(found, ApiExtras):
        found = ApiExtras()
        setattr(api, "_local_extras", found)  # noqa: B010 - moto's class has no slot for it
    return found


def _schema_fields(api: GraphqlAPI) -> dict[str, set[str]] | None:
    """Type name → field names of the uploaded schema (``None`` before one is uploaded)."""
    schema = api.graphql_schema
    if schema is None or schema.status != "SUCCESS":
        return None
    fields: dict[str, set[str]] = {}
    for definition in parse(schema.definition).definitions:
        if isinstance(definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
            names = {field.name.value for field in definition.fields or ()}
            fields.setdefault(definition.name.value, set()).update(names)
    return fields


# ---------------------------------------------------------------- backend


def _api(backend: AppSyncBackend, api_id: str) -> GraphqlAPI:
    return backend.get_graphql_api(api_id)  # raises NotFoundException for a missing API


def _arn(api: GraphqlAPI, suffix: str) -> str:
    return f"{api.arn}/{suffix}"


def _require_data_source(api: GraphqlAPI, name: str | None) -> None:
    if not name:
        raise BadRequestException("dataSourceName is required")
    if name not in extras(api).data_sources:
        raise NotFoundError(f"No data source found named {name}.")


def create_data_source(self: AppSyncBackend, api_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    api = _api(self, api_id)
    name = spec.get("name") or ""
    if not name or not spec.get("type"):
        raise BadRequestException("A data source needs a name and a type.")
    sources = extras(api).data_sources
    if name in sources:
        raise BadRequestException(f"Data source with name {name} already exists.")
    sources[name] = {**spec, "dataSourceArn": _arn(api, f"datasources/{name}")}
    return sources[name]


def get_data_source(self: AppSyncBackend, api_id: str, name: str) -> dict[str, Any]:
    sources = extras(_api(self, api_id)).data_sources
    if name not in sources:
        raise NotFoundError(f"Data source {name} not found.")
    return sources[name]


def update_data_source(self: AppSyncBackend, api_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    api = _api(self, api_id)
    current = get_data_source(self, api_id, spec["name"])
    extras(api).data_sources[spec["name"]] = {**spec, "dataSourceArn": current["dataSourceArn"]}
    return extras(api).data_sources[spec["name"]]


def delete_data_source(self: AppSyncBackend, api_id: str, name: str) -> None:
    get_data_source(self, api_id, name)
    del extras(_api(self, api_id)).data_sources[name]


def list_data_sources(self: AppSyncBackend, api_id: str) -> list[dict[str, Any]]:
    return list(extras(_api(self, api_id)).data_sources.values())


def create_function(self: AppSyncBackend, api_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    api = _api(self, api_id)
    _require_data_source(api, spec.get("dataSourceName"))
    function_id = new_id()
    function = {
        **spec,
        "functionId": function_id,
        "functionArn": _arn(api, f"functions/{function_id}"),
    }
    extras(api).functions[function_id] = function
    return function


def get_function(self: AppSyncBackend, api_id: str, function_id: str) -> dict[str, Any]:
    functions = extras(_api(self, api_id)).functions
    if function_id not in functions:
        raise NotFoundError(f"Function {function_id} not found.")
    return functions[function_id]


def update_function(self: AppSyncBackend, api_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    api = _api(self, api_id)
    current = get_function(self, api_id, spec["functionId"])
    _require_data_source(api, spec.get("dataSourceName"))
    updated = {**spec, "functionArn": current["functionArn"]}
    extras(api).functions[spec["functionId"]] = updated
    return updated


def delete_function(self: AppSyncBackend, api_id: str, function_id: str) -> None:
    get_function(self, api_id, function_id)
    del extras(_api(self, api_id)).functions[function_id]


def list_functions(self: AppSyncBackend, api_id: str) -> list[dict[str, Any]]:
    return list(extras(_api(self, api_id)).functions.values())


def _check_resolver(api: GraphqlAPI, spec: dict[str, Any]) -> None:
    type_name, field_name = spec["typeName"], spec["fieldName"]
    fields = _schema_fields(api)
    if fields is not None and field_name not in fields.get(type_name, set()):
        raise NotFoundError(f"No field named {field_name} found on type {type_name}.")
    if spec.get("kind", "UNIT") == "PIPELINE":
        for function_id in (spec.get("pipelineConfig") or {}).get("functions", []):
            if function_id not in extras(api).functions:
                raise NotFoundError(f"Function {function_id} not found.")
    else:
        _require_data_source(api, spec.get("dataSourceName"))


def create_resolver(self: AppSyncBackend, api_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    api = _api(self, api_id)
    key = (spec["typeName"], spec["fieldName"])
    if key in extras(api).resolvers:
        raise BadRequestException(f"Resolver for {key[0]}.{key[1]} already exists.")
    _check_resolver(api, spec)
    resolver = {
        "kind": "UNIT",
        **spec,
        "resolverArn": _arn(api, f"types/{key[0]}/resolvers/{key[1]}"),
    }
    extras(api).resolvers[key] = resolver
    return resolver


def get_resolver(
    self: AppSyncBackend, api_id: str, type_name: str, field_name: str
) -> dict[str, Any]:
    resolvers = extras(_api(self, api_id)).resolvers
    if (type_name, field_name) not in resolvers:
        raise NotFoundError(f"No resolver found for {type_name}.{field_name}.")
    return resolvers[(type_name, field_name)]


def update_resolver(self: AppSyncBackend, api_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    api = _api(self, api_id)
    current = get_resolver(self, api_id, spec["typeName"], spec["fieldName"])
    _check_resolver(api, spec)
    updated = {"kind": "UNIT", **spec, "resolverArn": current["resolverArn"]}
    extras(api).resolvers[(spec["typeName"], spec["fieldName"])] = updated
    return updated


def delete_resolver(self: AppSyncBackend, api_id: str, type_name: str, field_name: str) -> None:
    get_resolver(self, api_id, type_name, field_name)
    del extras(_api(self, api_id)).resolvers[(type_name, field_name)]


def list_resolvers(self: AppSyncBackend, api_id: str, type_name: str) -> list[dict[str, Any]]:
    resolvers = extras(_api(self, api_id)).resolvers
    return [resolver for (owner, _), resolver in resolvers.items() if owner == type_name]


BACKEND_METHODS = {
    function.__name__: function
    for function in (
        create_data_source,
        get_data_source,
        update_data_source,
        delete_data_source,
        list_data_sources,
        create_function,
        get_function,
        update_function,
        delete_function,
        list_functions,
        create_resolver,
        get_resolver,
        update_resolver,
        delete_resolver,
        list_resolvers,
    )
}


# ---------------------------------------------------------------- responses


def _spec(response: AppSyncResponse) -> dict[str, Any]:
    """The request's members (botocore-parsed, path parameters included) minus apiId."""
    members = {**response.uri_match, **response.params}
    members.pop("apiId", None)
    return {name: value for name, value in members.items() if value is not None}


def _backend(response: AppSyncResponse) -> AppSyncBackend:
    return response.appsync_backend


def _api_id(response: AppSyncResponse) -> str:
    return str(response._get_param("apiId"))


def _respond_create_data_source(self: AppSyncResponse) -> ActionResult:
    return ActionResult(
        {"dataSource": create_data_source(_backend(self), _api_id(self), _spec(self))}
    )


def _respond_get_data_source(self: AppSyncResponse) -> ActionResult:
    found = get_data_source(_backend(self), _api_id(self), self._get_param("name"))
    return ActionResult({"dataSource": found})


def _respond_update_data_source(self: AppSyncResponse) -> ActionResult:
    return ActionResult(
        {"dataSource": update_data_source(_backend(self), _api_id(self), _spec(self))}
    )


def _respond_delete_data_source(self: AppSyncResponse) -> ActionResult:
    delete_data_source(_backend(self), _api_id(self), self._get_param("name"))
    return EmptyResult()


def _respond_list_data_sources(self: AppSyncResponse) -> ActionResult:
    return ActionResult({"dataSources": list_data_sources(_backend(self), _api_id(self))})


def _respond_create_function(self: AppSyncResponse) -> ActionResult:
    created = create_function(_backend(self), _api_id(self), _spec(self))
    return ActionResult({"functionConfiguration": created})


def _respond_get_function(self: AppSyncResponse) -> ActionResult:
    found = get_function(_backend(self), _api_id(self), self._get_param("functionId"))
    return ActionResult({"functionConfiguration": found})


def _respond_update_function(self: AppSyncResponse) -> ActionResult:
    updated = update_function(_backend(self), _api_id(self), _spec(self))
    return ActionResult({"functionConfiguration": updated})


def _respond_delete_function(self: AppSyncResponse) -> ActionResult:
    delete_function(_backend(self), _api_id(self), self._get_param("functionId"))
    return EmptyResult()


def _respond_list_functions(self: AppSyncResponse) -> ActionResult:
    return ActionResult({"functions": list_functions(_backend(self), _api_id(self))})


def _respond_create_resolver(self: AppSyncResponse) -> ActionResult:
    return ActionResult({"resolver": create_resolver(_backend(self), _api_id(self), _spec(self))})


def _respond_get_resolver(self: AppSyncResponse) -> ActionResult:
    found = get_resolver(
        _backend(self), _api_id(self), self._get_param("typeName"), self._get_param("fieldName")
    )
    return ActionResult({"resolver": found})


def _respond_update_resolver(self: AppSyncResponse) -> ActionResult:
    return ActionResult({"resolver": update_resolver(_backend(self), _api_id(self), _spec(self))})


def _respond_delete_resolver(self: AppSyncResponse) -> ActionResult:
    delete_resolver(
        _backend(self), _api_id(self), self._get_param("typeName"), self._get_param("fieldName")
    )
    return EmptyResult()


def _respond_list_resolvers(self: AppSyncResponse) -> ActionResult:
    found = list_resolvers(_backend(self), _api_id(self), self._get_param("typeName"))
    return ActionResult({"resolvers": found})


RESPONSE_METHODS = {
    name.removeprefix("_respond_"): function
    for name, function in dict(globals()).items()
    if name.startswith("_respond_")
}


# ---------------------------------------------------------------- the API itself


# Where the local AppSync endpoint (local/appsync) serves the API, when one does: then the
# API reports that endpoint as its uris, as AppSync reports its own, so whatever Terraform
# wires from them (the publish function's APPSYNC_GRAPHQL_URL) reaches it.
_local_origin: list[str] = []


def endpoints(api_id: str, region: str) -> tuple[dict[str, str], dict[str, str]]:
    """(``uris``, ``dns``) of an AppSync GraphQL API."""
    if _local_origin:
        origin = _local_origin[0]
        host = origin.split("://", 1)[1]
        realtime = origin.replace("https://", "wss://").replace("http://", "ws://")
        return (
            {"GRAPHQL": f"{origin}/graphql", "REALTIME": f"{realtime}/graphql"},
            {"GRAPHQL": host, "REALTIME": host},
        )
    dns = {
        "GRAPHQL": f"{api_id}.appsync-api.{region}.amazonaws.com",
        "REALTIME": f"{api_id}.appsync-realtime-api.{region}.amazonaws.com",
    }
    uris = {
        "GRAPHQL": f"https://{dns['GRAPHQL']}/graphql",
        "REALTIME": f"wss://{dns['REALTIME']}/graphql",
    }
    return uris, dns


def _appsync_shaped(response: AppSyncResponse, answer: dict[str, Any]) -> None:
    api = response.appsync_backend.graphql_apis.get(answer.get("apiId", ""))
    if api is None:
        return
    answer["uris"], answer["dns"] = endpoints(api.api_id, api.region)
    answer.update(extras(api).settings)


def _record_settings(response: AppSyncResponse, api_id: str) -> None:
    api = response.appsync_backend.graphql_apis.get(api_id)
    if api is None:
        return
    settings = extras(api).settings
    for name in (*API_SETTINGS_DEFAULTS, *API_OPTIONAL_SETTINGS):
        value = response._get_param(name)
        if value is not None:
            settings[name] = value


def _reshaping(name: str, *, records_settings: bool) -> Callable[[AppSyncResponse], ActionResult]:
    moto_method = original(AppSyncResponse, name, parameters=("self",))

    def reshaped(self: AppSyncResponse) -> ActionResult:
        result = moto_method(self)
        body: dict[str, Any] = result.result
        for api_answer in body.get("graphqlApis", [body.get("graphqlApi")]):
            if not api_answer:
                continue
            if records_settings:
                _record_settings(self, api_answer["apiId"])
            _appsync_shaped(self, api_answer)
        return result  # type: ignore[no-any-return]

    reshaped.__name__ = name
    return reshaped


class _DropDirectives(Visitor):
    def enter_directive(self, node: DirectiveNode, *_: object) -> object:
        return self.REMOVE


def introspection_sdl(definition: str, *, include_directives: bool) -> str:
    """The SDL AppSync answers: the schema as uploaded, optionally without directives."""
    if include_directives:
        return definition
    return print_ast(visit(parse(definition), _DropDirectives()))


def _get_introspection_schema_factory() -> Callable[[AppSyncResponse], ActionResult]:
    moto_method = original(AppSyncResponse, "get_introspection_schema", parameters=("self",))

    def get_introspection_schema(self: AppSyncResponse) -> ActionResult:
        if self._get_param("format") != "SDL":
            return moto_method(self)  # type: ignore[no-any-return]
        schema = self.appsync_backend.get_graphql_schema(api_id=self._get_param("apiId"))
        include = self._get_bool_param("includeDirectives", True)
        return ActionResult(
            {"schema": introspection_sdl(schema.definition, include_directives=include)}
        )

    return get_introspection_schema


def _appsync_id_factory() -> Callable[..., None]:
    moto_init = original(GraphqlAPI, "__init__")

    def __init__(self: GraphqlAPI, *args: object, **kwargs: object) -> None:  # noqa: N807
        moto_init(self, *args, **kwargs)
        moto_id, self.api_id = self.api_id, new_id()
        self.arn = self.arn.replace(moto_id, self.api_id)

    return __init__


def apply(local_origin: str | None = None) -> None:
    if local_origin:
        _local_origin.append(local_origin.rstrip("/"))
    for path, handler in URL_PATHS.items():
        if path in urls.url_paths:
            raise RuntimeError(f"moto.appsync.urls already routes {path}: review the patch")
        urls.url_paths[path] = handler
    for name, function in BACKEND_METHODS.items():
        add(AppSyncBackend, name, function)
    for name, function in RESPONSE_METHODS.items():
        add(AppSyncResponse, name, function)
    replace(GraphqlAPI, "__init__", _appsync_id_factory())
    for name, records in (
        ("create_graphql_api", True),
        ("update_graphql_api", True),
        ("get_graphql_api", False),
        ("list_graphql_apis", False),
    ):
        replace(AppSyncResponse, name, _reshaping(name, records_settings=records))
    replace(AppSyncResponse, "get_introspection_schema", _get_introspection_schema_factory())
