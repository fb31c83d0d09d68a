"""GraphQL execution as AppSync does it: every field checked against the schema's auth
rules, resolver fields run through their APPSYNC_JS code (unit or pipeline) and data
sources, and the answer in AppSync's format (``data``; ``errors`` with ``message``,
``errorType``, ``data``, ``errorInfo``, ``path``, ``locations``).

The resolver code runs in the Node harness (``NodeResolverRuntime``); the requests it
returns are carried out here: DynamoDB with a boto3 client (the executor's
``DynamoDbDataSource``), Lambda ``Invoke`` (RequestResponse or Event) with a boto3 Lambda
client, NONE by passing the payload through.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute_sync,
    get_operation_ast,
    parse,
    print_ast,
    validate,
)
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

from local.appsync.api import ApiDefinition, ResolverDefinition, ResolverKind
from local.appsync.auth import Caller
from local.appsync.directives import AuthRules, build_appsync_schema, subscription_triggers
from local.appsync.executor import (
    AppSyncError,
    DataSource,
    DynamoDbDataSource,
    Evaluation,
    NodeResolverRuntime,
)
from local.appsync.faults import FieldFaults

Json = Any
DataSourceCall = Callable[[Mapping[str, Json]], tuple[Json, AppSyncError | None]]


class MalformedRequestError(Exception):
    """The body is not a GraphQL request (HTTP 400)."""


# --- data sources ---


def lambda_data_source(lambda_client: BaseClient, function_arn: str) -> DataSourceCall:
    """AppSync's Lambda data source: the request's Invoke carried out with boto3."""

    def call(request: Mapping[str, Json]) -> tuple[Json, AppSyncError | None]:
        if request.get("operation") != "Invoke":
            raise AppSyncError(
                f"Lambda operation not emulated: {request.get('operation')!r}", "MappingTemplate"
            )
        invocation_type = request.get("invocationType") or "RequestResponse"
        if invocation_type not in ("RequestResponse", "Event"):
            raise AppSyncError(f"Invalid invocationType {invocation_type!r}", "MappingTemplate")
        try:
            response = lambda_client.invoke(
                FunctionName=function_arn,
                InvocationType=invocation_type,
                Payload=json.dumps(request.get("payload")).encode(),
            )
        except ClientError as error:
            details = error.response.get("Error", {})
            return None, AppSyncError(
                details.get("Message", str(error)), f"Lambda:{details.get('Code', 'Unknown')}"
            )
        except BotoCoreError as error:
            return None, AppSyncError(str(error), "Lambda:ServiceException")
        if invocation_type == "Event":
            return None, None
        body = response["Payload"].read()
        if response.get("FunctionError"):
            try:
                failure = json.loads(body)
            except ValueError:
                failure = {"errorMessage": body.decode(errors="replace")}
            return None, AppSyncError(str(failure.get("errorMessage")), "Lambda:Unhandled")
        try:
            return (json.loads(body) if body else None), None
        except ValueError:
            return None, AppSyncError(
                "The Lambda function returned invalid JSON", "Lambda:Unhandled"
            )

    return call


def none_data_source(request: Mapping[str, Json]) -> tuple[Json, AppSyncError | None]:
    return request.get("payload"), None


# --- resolvers ---


@dataclass
class FieldEffects:
    """What running one field's resolver did besides returning its value."""

    appended_errors: list[AppSyncError] = field(default_factory=list)
    subscription_filter: Json = None


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


class ResolverRunner:
    """Runs the API's resolvers and functions: code staged as files for the Node harness,
    data sources by name."""

    def __init__(
        self,
        api: ApiDefinition,
        *,
        runtime: NodeResolverRuntime,
        dynamodb_client: BaseClient | None,
        lambda_client: BaseClient | None,
    ) -> None:
        self._api = api
        self._runtime = runtime
        self._staging = tempfile.TemporaryDirectory(prefix="aipic-appsync-code-")
        self._code_dir = Path(self._staging.name)
        self._resolver_files = {
            (r.type_name, r.field_name): self._stage(
                f"resolver.{r.type_name}.{r.field_name}", r.code
            )
            for r in api.resolvers
        }
        self._function_files = {
            name: self._stage(f"function.{name}", function.code)
            for name, function in api.functions.items()
        }
        self._data_sources: dict[str, DataSourceCall] = {}
        for name, source in api.data_sources.items():
            if source.type is DataSource.NONE:
                self._data_sources[name] = none_data_source
            elif source.type is DataSource.DYNAMODB:
                if dynamodb_client is None:
                    raise ValueError(f"data source {name!r} needs a dynamodb_client")
                assert source.table_name is not None
                self._data_sources[name] = DynamoDbDataSource(
                    dynamodb_client, source.table_name
                ).execute
            else:
                if lambda_client is None:
                    raise ValueError(f"data source {name!r} needs a lambda_client")
                assert source.function_arn is not None
                self._data_sources[name] = lambda_data_source(lambda_client, source.function_arn)

    def _stage(self, stem: str, code: str) -> Path:
        path = self._code_dir / f"{_UNSAFE_NAME.sub('_', stem)}.js"
        path.write_text(code, encoding="utf-8")
        return path

    def close(self) -> None:
        self._staging.cleanup()

    def run(
        self, resolver: ResolverDefinition, ctx: dict[str, Json], effects: FieldEffects
    ) -> Json:
        """The field's value; raises AppSyncError for util.error / unauthorized / faults."""
        code = self._resolver_files[(resolver.type_name, resolver.field_name)]
        if resolver.kind is ResolverKind.UNIT:
            assert resolver.data_source is not None
            return self._run_step(code, resolver.data_source, ctx, effects)
        before = self._evaluate(code, "request", ctx, effects)
        if before.early_return:
            return before.result
        ctx["prev"] = {"result": before.result}
        for name in resolver.functions:
            function = self._api.functions[name]
            ctx["prev"] = {
                "result": self._run_step(
                    self._function_files[name], function.data_source, ctx, effects
                )
            }
        return self._evaluate(code, "response", ctx, effects).result

    def _run_step(
        self, code: Path, data_source: str, ctx: dict[str, Json], effects: FieldEffects
    ) -> Json:
        request = self._evaluate(code, "request", ctx, effects)
        if request.early_return:
            return request.result
        if not isinstance(request.result, dict):
            raise AppSyncError(
                f"The request handler returned {request.result!r}, not an object",
                "MappingTemplate",
            )
        try:
            result, error = self._data_sources[data_source](request.result)
        except NotImplementedError as unsupported:
            raise AppSyncError(str(unsupported), "MappingTemplate") from unsupported
        ctx["result"] = result
        ctx["error"] = (
            None if error is None else {"message": error.message, "type": error.error_type}
        )
        try:
            return self._evaluate(code, "response", ctx, effects).result
        finally:
            ctx["result"] = ctx["error"] = None

    def _evaluate(
        self, code: Path, fn: str, ctx: dict[str, Json], effects: FieldEffects
    ) -> Evaluation:
        evaluation = self._runtime.evaluate(code, fn, ctx)
        ctx["stash"] = evaluation.stash
        effects.appended_errors.extend(
            AppSyncError.from_harness(appended)
            for appended in evaluation.effects.get("appendedErrors", [])
        )
        if "subscriptionFilter" in evaluation.effects:
            effects.subscription_filter = evaluation.effects["subscriptionFilter"]
        if evaluation.error is not None:
            raise evaluation.error
        return evaluation


# --- GraphQL execution ---


def unauthorized(field_name: str, type_name: str) -> AppSyncError:
    return AppSyncError(
        f"Not Authorized to access {field_name} on type {type_name}", "Unauthorized"
    )


def _location_list(error: GraphQLError) -> list[dict[str, Json]] | None:
    if not error.locations:
        return None
    return [{"line": loc.line, "column": loc.column, "sourceName": None} for loc in error.locations]


def format_error(error: GraphQLError) -> dict[str, Json]:
    """An error as AppSync writes it in ``errors[]``."""
    original = error.original_error
    if isinstance(original, AppSyncError):
        return {
            "path": list(error.path) if error.path is not None else None,
            "data": original.data,
            "errorType": original.error_type,
            "errorInfo": original.error_info,
            "locations": _location_list(error),
            "message": original.message,
        }
    return {
        "path": list(error.path) if error.path is not None else None,
        "locations": _location_list(error),
        "message": error.message,
    }


@dataclass
class RequestContext:
    """Per-request state the field resolver reads (graphql-core's context_value)."""

    caller: Caller
    headers: Mapping[str, str]
    raw_variables: Mapping[str, Json]
    appended_errors: list[dict[str, Json]] = field(default_factory=list)
    # Subscription start: the root field's effects and arguments are kept here.
    subscription_effects: FieldEffects | None = None
    subscription_arguments: dict[str, Json] | None = None
    # Subscription delivery: the event the root field resolves to (its resolver not run).
    delivery: Json = None
    delivering: bool = False


@dataclass(frozen=True)
class MutationEvent:
    """A mutation's result as subscribers see it: field-name keys, serialized values."""

    mutation: str
    payload: Json


@dataclass
class ParsedRequest:
    document: DocumentNode
    operation: OperationDefinitionNode
    variables: dict[str, Json]
    operation_name: str | None


def _collect_fields(
    selection_set: SelectionSetNode | None, fragments: Mapping[str, FragmentDefinitionNode]
) -> list[FieldNode]:
    fields: list[FieldNode] = []
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            fields.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            fields.extend(_collect_fields(selection.selection_set, fragments))
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            fields.extend(_collect_fields(fragments[selection.name.value].selection_set, fragments))
    return fields


def _selection_list(
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    prefix: str = "",
) -> list[str]:
    names: list[str] = []
    for node in _collect_fields(selection_set, fragments):
        if node.name.value.startswith("__"):
            continue
        name = f"{prefix}{(node.alias or node.name).value}"
        names.append(name)
        names.extend(_selection_list(node.selection_set, fragments, f"{name}/"))
    return names


def _by_field_name(
    value: Json,
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> Json:
    """Response data (keyed by alias) -> keyed by field name, for subscribers."""
    if selection_set is None or value is None:
        return value
    if isinstance(value, list):
        return [_by_field_name(element, selection_set, fragments) for element in value]
    renamed: dict[str, Json] = {}
    for node in _collect_fields(selection_set, fragments):
        key = (node.alias or node.name).value
        if key in value:
            renamed[node.name.value] = _by_field_name(value[key], node.selection_set, fragments)
    return renamed


class GraphQLService:
    """Executes GraphQL requests against the API for an authenticated caller."""

    def __init__(self, api: ApiDefinition, runner: ResolverRunner) -> None:
        self.api = api
        self.schema: GraphQLSchema = build_appsync_schema(api.schema_sdl)
        self.rules = AuthRules(
            self.schema, api.default_auth.mode, [p.mode for p in api.auth_providers]
        )
        self.triggers = subscription_triggers(self.schema)
        self._runner = runner
        # Off until armed: a soak fails chosen mutation calls (local/appsync/faults.py).
        self.faults = FieldFaults()
        self._cognito_default_action = next(
            (p.user_pool.default_action for p in api.auth_providers if p.user_pool), "ALLOW"
        )
        unknown = [
            f"{r.type_name}.{r.field_name}"
            for r in api.resolvers
            if not self._has_field(r.type_name, r.field_name)
        ]
        if unknown:
            raise ValueError(f"resolvers for fields the schema lacks: {unknown}")

    def _has_field(self, type_name: str, field_name: str) -> bool:
        type_ = self.schema.type_map.get(type_name)
        return field_name in getattr(type_, "fields", {})

    # -- parsing

    def parse_request(self, payload: Json) -> ParsedRequest | list[dict[str, Json]]:
        """The request, or AppSync's errors for a document that does not parse/validate.
        Raises MalformedRequestError when the payload is not a GraphQL request at all."""
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            raise MalformedRequestError("The request body must be a JSON object with a query")
        variables = payload.get("variables") or {}
        operation_name = payload.get("operationName")
        if not isinstance(variables, dict) or not isinstance(operation_name, str | None):
            raise MalformedRequestError("variables must be an object and operationName a string")
        try:
            document = parse(payload["query"])
        except GraphQLError as error:
            return [format_error(error)]
        errors = validate(self.schema, document)
        if errors:
            return [format_error(error) for error in errors]
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = (
                f"Unknown operation named '{operation_name}'."
                if operation_name
                else "Must provide operation name if query contains multiple operations."
            )
            return [{"path": None, "locations": None, "message": message}]
        if not self.api.introspection_enabled and _uses_introspection(document):
            return [
                {
                    "path": None,
                    "locations": None,
                    "errorType": "IntrospectionDisabled",
                    "message": "GraphQL introspection is not allowed on this API",
                }
            ]
        return ParsedRequest(document, operation, variables, operation_name)

    # -- queries and mutations

    def execute(
        self, request: ParsedRequest, caller: Caller, headers: Mapping[str, str]
    ) -> tuple[dict[str, Json], list[MutationEvent]]:
        """AppSync's response body, and the events the mutation fields publish."""
        if request.operation.operation is OperationType.SUBSCRIPTION:
            refusal = {
                "path": None,
                "locations": None,
                "errorType": "UnsupportedOperation",
                "message": "Subscriptions are served on the real-time WebSocket endpoint, not "
                "over HTTP POST",
            }
            return {"data": None, "errors": [refusal]}, []
        context = RequestContext(caller, headers, request.variables)
        result = self._run(request, context)
        events: list[MutationEvent] = []
        if request.operation.operation is OperationType.MUTATION and result.data:
            fragments = _fragments(request.document)
            for node in _collect_fields(request.operation.selection_set, fragments):
                name = node.name.value
                value = result.data.get((node.alias or node.name).value)
                if value is not None and name in self.triggers:
                    events.append(
                        MutationEvent(name, _by_field_name(value, node.selection_set, fragments))
                    )
        return self._body(result, context), events

    def _run(self, request: ParsedRequest, context: RequestContext) -> ExecutionResult:
        return execute_sync(
            self.schema,
            request.document,
            context_value=context,
            variable_values=request.variables,
            operation_name=request.operation_name,
            field_resolver=self._resolve_field,
        )

    @staticmethod
    def _body(result: ExecutionResult, context: RequestContext) -> dict[str, Json]:
        body: dict[str, Json] = {"data": result.data}
        errors = [format_error(error) for error in result.errors or ()]
        errors.extend(context.appended_errors)
        if errors:
            body["errors"] = errors
        return body

    # -- subscriptions

    def start_subscription(
        self, request: ParsedRequest, caller: Caller, headers: Mapping[str, str]
    ) -> tuple[str, dict[str, Json], FieldEffects] | list[dict[str, Json]]:
        """Runs the subscription field's resolver for the caller: (field name, arguments,
        effects with the filter it set), or the errors to send back."""
        if request.operation.operation is not OperationType.SUBSCRIPTION:
            return [
                {
                    "errorType": "UnsupportedOperation",
                    "message": f"{request.operation.operation.value} not supported through the "
                    "realtime channel",
                }
            ]
        context = RequestContext(caller, headers, request.variables)
        context.subscription_effects = FieldEffects()
        result = self._run(request, context)
        body = self._body(result, context)
        if "errors" in body:
            return list(body["errors"])
        (node,) = _collect_fields(request.operation.selection_set, _fragments(request.document))
        return node.name.value, context.subscription_arguments or {}, context.subscription_effects

    def deliver(
        self, request: ParsedRequest, caller: Caller, headers: Mapping[str, str], event: Json
    ) -> dict[str, Json]:
        """The ``data`` message payload: the event selected with the subscription's selection."""
        context = RequestContext(
            caller, headers, request.variables, delivery=event, delivering=True
        )
        return self._body(self._run(request, context), context)

    # -- fields

    def _resolve_field(
        self, source: Json, info: GraphQLResolveInfo[RequestContext], **arguments: Json
    ) -> Json:
        context: RequestContext = info.context
        type_name, field_name = info.parent_type.name, info.field_name
        caller = context.caller
        if not self.rules.allows(
            type_name,
            field_name,
            caller.mode,
            caller.groups,
            cognito_default_action=self._cognito_default_action,
        ):
            raise unauthorized(field_name, type_name)
        if info.parent_type is self.schema.mutation_type:
            self.faults.check(field_name, arguments)
        is_subscription_root = info.parent_type is self.schema.subscription_type
        if is_subscription_root and context.delivering:
            return context.delivery
        resolver = self.api.resolver_for(type_name, field_name)
        if resolver is None:
            if is_subscription_root:
                context.subscription_arguments = dict(arguments)
                return None
            if isinstance(source, Mapping):
                return source.get(field_name)
            return getattr(source, field_name, None)
        effects = FieldEffects()
        try:
            return self._runner.run(resolver, self._ctx(source, info, arguments, context), effects)
        finally:
            path = list(info.path.as_list())
            context.appended_errors.extend(
                {**error.as_graphql(path), "locations": _node_locations(info)}
                for error in effects.appended_errors
            )
            if is_subscription_root:
                context.subscription_effects = effects
                context.subscription_arguments = dict(arguments)

    def _ctx(
        self,
        source: Json,
        info: GraphQLResolveInfo[RequestContext],
        arguments: Mapping[str, Json],
        context: RequestContext,
    ) -> dict[str, Json]:
        selection = SelectionSetNode(
            selections=tuple(
                selection
                for node in info.field_nodes
                for selection in (node.selection_set.selections if node.selection_set else ())
            )
        )
        return {
            "arguments": json.loads(json.dumps(dict(arguments))),
            "identity": context.caller.identity,
            "source": source,
            "stash": {},
            "prev": {"result": None},
            "request": {"headers": dict(context.headers), "domainName": None},
            "info": {
                "fieldName": info.field_name,
                "parentTypeName": info.parent_type.name,
                "variables": dict(context.raw_variables),
                "selectionSetList": _selection_list(selection, info.fragments),
                "selectionSetGraphQL": print_ast(selection) if selection.selections else "",
            },
            "env": dict(self.api.environment_variables),
        }


def _node_locations(info: GraphQLResolveInfo[RequestContext]) -> list[dict[str, Json]] | None:
    locations = []
    for node in info.field_nodes:
        if node.loc is not None:
            location = node.loc.source.get_location(node.loc.start)
            locations.append({"line": location.line, "column": location.column, "sourceName": None})
    return locations or None


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def _uses_introspection(document: DocumentNode) -> bool:
    fragments = _fragments(document)
    stack: list[SelectionSetNode | None] = [
        d.selection_set for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    while stack:
        for node in _collect_fields(stack.pop(), fragments):
            if node.name.value in ("__schema", "__type"):
                return True
            stack.append(node.selection_set)
    return False
