"""What Terraform created, read back from the emulator through the AWS APIs.

Nothing here knows the stack's names: functions, mappings, invoke configs, HTTP APIs and
schedules are whatever the emulator lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError

# moto accepts any key; these say plainly that they are not real credentials.
FAKE_ACCESS_KEY_ID = "AKIALOCALRUNTIME0000"
FAKE_SECRET_ACCESS_KEY = "local-runtime-fake-secret"  # noqa: S105 - a placeholder, not a secret
FAKE_SESSION_TOKEN = "local-runtime-fake-session-token"  # noqa: S105


class AwsClients:
    """boto3 clients pointed at the emulator, with fake credentials and no proxy."""

    def __init__(self, endpoint_url: str, region: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._session = boto3.session.Session(
            aws_access_key_id=FAKE_ACCESS_KEY_ID,
            aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
            region_name=region,
        )
        self._config = Config(
            retries={"max_attempts": 2, "mode": "standard"}, proxies={}, connect_timeout=5
        )
        self._clients: dict[str, BaseClient] = {}

    def __call__(self, service: str) -> BaseClient:
        if service not in self._clients:
            self._clients[service] = self._session.client(
                service, endpoint_url=self.endpoint_url, config=self._config
            )
        return self._clients[service]


@dataclass(frozen=True)
class LayerVersion:
    arn: str
    code_sha256: str


@dataclass(frozen=True)
class Destination:
    """An on-success/on-failure destination; only SQS queues are delivered to locally."""

    arn: str

    @property
    def service(self) -> str:
        return self.arn.split(":")[2]

    @property
    def queue_name(self) -> str:
        return self.arn.split(":")[5]

    @property
    def account_id(self) -> str:
        return self.arn.split(":")[4]


@dataclass(frozen=True)
class AsyncInvokeConfig:
    """GetFunctionEventInvokeConfig, with Lambda's defaults when there is none."""

    maximum_retry_attempts: int = 2
    maximum_event_age_seconds: int = 21600
    on_failure: Destination | None = None
    on_success: Destination | None = None


@dataclass(frozen=True)
class FunctionConfig:
    name: str
    arn: str
    runtime: str
    handler: str
    timeout_seconds: int
    memory_mb: int
    code_sha256: str
    environment: dict[str, str]
    layers: tuple[LayerVersion, ...]
    architectures: tuple[str, ...]
    reserved_concurrency: int | None
    async_config: AsyncInvokeConfig = field(default_factory=AsyncInvokeConfig)


@dataclass(frozen=True)
class StreamMapping:
    """A DynamoDB stream event-source mapping (ListEventSourceMappings)."""

    uuid: str
    function_arn: str
    event_source_arn: str
    enabled: bool
    batch_size: int
    maximum_batching_window_seconds: float
    starting_position: str
    filter_patterns: tuple[str, ...]
    report_batch_item_failures: bool
    bisect_batch_on_function_error: bool
    maximum_retry_attempts: int
    maximum_record_age_seconds: int
    on_failure: Destination | None


@dataclass(frozen=True)
class HttpRoute:
    route_key: str
    integration_id: str | None


@dataclass(frozen=True)
class HttpIntegration:
    integration_id: str
    integration_type: str
    integration_uri: str
    payload_format_version: str
    timeout_millis: int


@dataclass(frozen=True)
class HttpApi:
    api_id: str
    name: str
    routes: tuple[HttpRoute, ...]
    integrations: dict[str, HttpIntegration]
    stages: tuple[str, ...]


@dataclass(frozen=True)
class ScheduleTarget:
    target_id: str
    arn: str
    input: str | None


@dataclass(frozen=True)
class ScheduledRule:
    name: str
    arn: str
    event_bus: str
    schedule_expression: str
    targets: tuple[ScheduleTarget, ...]


@dataclass(frozen=True)
class StackConfig:
    functions: dict[str, FunctionConfig]
    stream_mappings: tuple[StreamMapping, ...]
    http_apis: tuple[HttpApi, ...]
    scheduled_rules: tuple[ScheduledRule, ...]


def _destination(config: dict[str, Any] | None, key: str) -> Destination | None:
    arn = ((config or {}).get(key) or {}).get("Destination")
    return Destination(str(arn)) if arn else None


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _layer_version(clients: AwsClients, arn: str) -> LayerVersion:
    # The name + number form: moto 5.2.5 answers GetLayerVersionByArn with a 500, which the
    # client's retries made cost ~2 s per function.
    name, _, version = arn.rpartition(":")
    layer = clients("lambda").get_layer_version(LayerName=name, VersionNumber=int(version))
    return LayerVersion(arn=arn, code_sha256=str(layer["Content"]["CodeSha256"]))


def _async_config(clients: AwsClients, function_name: str) -> AsyncInvokeConfig:
    try:
        found = clients("lambda").get_function_event_invoke_config(FunctionName=function_name)
    except ClientError as error:
        if _error_code(error) in {"ResourceNotFoundException", "404"}:
            return AsyncInvokeConfig()
        raise
    defaults = AsyncInvokeConfig()
    return AsyncInvokeConfig(
        maximum_retry_attempts=int(
            found.get("MaximumRetryAttempts", defaults.maximum_retry_attempts)
        ),
        maximum_event_age_seconds=int(
            found.get("MaximumEventAgeInSeconds", defaults.maximum_event_age_seconds)
        ),
        on_failure=_destination(found.get("DestinationConfig"), "OnFailure"),
        on_success=_destination(found.get("DestinationConfig"), "OnSuccess"),
    )


def _reserved_concurrency(clients: AwsClients, function_name: str) -> int | None:
    try:
        found = clients("lambda").get_function_concurrency(FunctionName=function_name)
    except ClientError:
        return None
    value = found.get("ReservedConcurrentExecutions")
    return None if value is None else int(value)


def read_function(clients: AwsClients, function_name: str) -> FunctionConfig:
    found = clients("lambda").get_function_configuration(FunctionName=function_name)
    return FunctionConfig(
        name=str(found["FunctionName"]),
        arn=str(found["FunctionArn"]),
        runtime=str(found.get("Runtime", "")),
        handler=str(found.get("Handler", "")),
        timeout_seconds=int(found.get("Timeout", 3)),
        memory_mb=int(found.get("MemorySize", 128)),
        code_sha256=str(found["CodeSha256"]),
        environment=dict((found.get("Environment") or {}).get("Variables") or {}),
        layers=tuple(_layer_version(clients, layer["Arn"]) for layer in found.get("Layers", [])),
        architectures=tuple(found.get("Architectures") or ["x86_64"]),
        reserved_concurrency=_reserved_concurrency(clients, function_name),
        async_config=_async_config(clients, function_name),
    )


def _paginate(client: BaseClient, operation: str, key: str, **kwargs: str) -> list[Any]:
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


def read_functions(clients: AwsClients) -> dict[str, FunctionConfig]:
    names = [f["FunctionName"] for f in _paginate(clients("lambda"), "list_functions", "Functions")]
    return {name: read_function(clients, name) for name in names}


def read_stream_mappings(clients: AwsClients) -> tuple[StreamMapping, ...]:
    mappings = _paginate(clients("lambda"), "list_event_source_mappings", "EventSourceMappings")
    found: list[StreamMapping] = []
    for mapping in mappings:
        source = str(mapping.get("EventSourceArn", ""))
        if ":dynamodb:" not in source:
            continue  # SQS/Kinesis/Kafka mappings are not polled locally
        filters = (mapping.get("FilterCriteria") or {}).get("Filters") or []
        found.append(
            StreamMapping(
                uuid=str(mapping["UUID"]),
                function_arn=str(mapping["FunctionArn"]),
                event_source_arn=source,
                enabled=mapping.get("State", "Enabled") in {"Enabled", "Enabling", "Creating"},
                batch_size=int(mapping.get("BatchSize") or 100),
                maximum_batching_window_seconds=float(
                    mapping.get("MaximumBatchingWindowInSeconds") or 0
                ),
                starting_position=str(mapping.get("StartingPosition") or "TRIM_HORIZON"),
                filter_patterns=tuple(str(f["Pattern"]) for f in filters if f.get("Pattern")),
                report_batch_item_failures="ReportBatchItemFailures"
                in (mapping.get("FunctionResponseTypes") or []),
                bisect_batch_on_function_error=bool(mapping.get("BisectBatchOnFunctionError")),
                maximum_retry_attempts=_int_or(mapping.get("MaximumRetryAttempts"), -1),
                maximum_record_age_seconds=_int_or(mapping.get("MaximumRecordAgeInSeconds"), -1),
                on_failure=_destination(mapping.get("DestinationConfig"), "OnFailure"),
            )
        )
    return tuple(found)


def _int_or(value: object, default: int) -> int:
    return default if value is None else int(str(value))


def read_http_apis(clients: AwsClients) -> tuple[HttpApi, ...]:
    client = clients("apigatewayv2")
    apis: list[HttpApi] = []
    for api in client.get_apis().get("Items", []):
        if api.get("ProtocolType", "HTTP") != "HTTP":
            continue
        api_id = str(api["ApiId"])
        integrations = {
            str(item["IntegrationId"]): HttpIntegration(
                integration_id=str(item["IntegrationId"]),
                integration_type=str(item.get("IntegrationType", "")),
                integration_uri=str(item.get("IntegrationUri", "")),
                payload_format_version=str(item.get("PayloadFormatVersion") or "1.0"),
                timeout_millis=int(item.get("TimeoutInMillis") or 30000),
            )
            for item in client.get_integrations(ApiId=api_id).get("Items", [])
        }
        routes = tuple(
            HttpRoute(
                route_key=str(route["RouteKey"]),
                integration_id=_integration_id(route.get("Target")),
            )
            for route in client.get_routes(ApiId=api_id).get("Items", [])
        )
        stages = tuple(
            str(stage["StageName"]) for stage in client.get_stages(ApiId=api_id).get("Items", [])
        )
        apis.append(HttpApi(api_id, str(api.get("Name", "")), routes, integrations, stages))
    return tuple(apis)


def _integration_id(target: object) -> str | None:
    """A route's target is ``integrations/<id>``."""
    if not target:
        return None
    return str(target).rpartition("/")[2]


def read_scheduled_rules(clients: AwsClients) -> tuple[ScheduledRule, ...]:
    client = clients("events")
    rules: list[ScheduledRule] = []
    for bus in client.list_event_buses().get("EventBuses", []) or [{"Name": "default"}]:
        bus_name = str(bus["Name"])
        for rule in client.list_rules(EventBusName=bus_name).get("Rules", []):
            expression = rule.get("ScheduleExpression")
            if not expression or rule.get("State", "ENABLED") != "ENABLED":
                continue
            targets = client.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus_name)
            rules.append(
                ScheduledRule(
                    name=str(rule["Name"]),
                    arn=str(rule["Arn"]),
                    event_bus=bus_name,
                    schedule_expression=str(expression),
                    targets=tuple(
                        ScheduleTarget(str(t["Id"]), str(t["Arn"]), t.get("Input"))
                        for t in targets.get("Targets", [])
                    ),
                )
            )
    return tuple(rules)


def read_stack(clients: AwsClients) -> StackConfig:
    return StackConfig(
        functions=read_functions(clients),
        stream_mappings=read_stream_mappings(clients),
        http_apis=read_http_apis(clients),
        scheduled_rules=read_scheduled_rules(clients),
    )
