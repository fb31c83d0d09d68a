"""Lambda invocations go to the function runtime (or are recorded), never to Docker; the
DynamoDB stream keeps its records for the runtime's poller."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar
from urllib.parse import unquote

import boto3
import pytest

from local.emulator.server import MotoServer
from local.net import LocalHttpServer
from tests.emulator.conftest import REGION, create_function, invocations


def _wait_for(condition: Callable[[], Any], seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_invoke_without_runtime_is_recorded(
    emulator: MotoServer, client: Callable[[str], Any]
) -> None:
    arn = create_function(client, "recorded")
    lam = client("lambda")
    answer = lam.invoke(FunctionName="recorded", Payload=json.dumps({"n": 1}))
    assert answer["StatusCode"] == 200
    assert answer["Payload"].read() == b"null"
    queued = lam.invoke(FunctionName=arn, InvocationType="Event", Payload=b'{"n": 2}')
    assert queued["StatusCode"] == 202
    mine = [e for e in invocations(emulator) if e["function_name"] == "recorded"]
    assert [(e["invocation_type"], e["payload"]) for e in mine] == [
        ("RequestResponse", {"n": 1}),
        ("Event", {"n": 2}),
    ]
    assert all(e["function_arn"] == arn and not e["forwarded"] for e in mine)


def test_s3_notification_is_an_event_invocation(
    emulator: MotoServer, client: Callable[[str], Any]
) -> None:
    arn = create_function(client, "on-upload")
    s3 = client("s3")
    s3.create_bucket(Bucket="notified")
    s3.put_bucket_notification_configuration(
        Bucket="notified",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "LambdaFunctionArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "pics/"}]}},
                }
            ]
        },
    )
    s3.put_object(Bucket="notified", Key="other/x.png", Body=b"x")
    s3.put_object(Bucket="notified", Key="pics/a b.png", Body=b"x")
    mine = [e for e in invocations(emulator) if e["function_name"] == "on-upload"]
    assert len(mine) == 1, mine
    assert mine[0]["invocation_type"] == "Event"
    record = mine[0]["payload"]["Records"][0]
    assert record["eventName"].startswith("ObjectCreated")
    assert unquote(record["s3"]["object"]["key"].replace("+", " ")) == "pics/a b.png"


def test_stream_mapping_leaves_records_for_the_poller(
    emulator: MotoServer, client: Callable[[str], Any]
) -> None:
    arn = create_function(client, "publish")
    dynamodb = client("dynamodb")
    table = dynamodb.create_table(
        TableName="streamed",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    client("lambda").create_event_source_mapping(
        EventSourceArn=table["LatestStreamArn"], FunctionName=arn, StartingPosition="LATEST"
    )
    dynamodb.put_item(TableName="streamed", Item={"id": {"S": "1"}})
    dynamodb.put_item(TableName="streamed", Item={"id": {"S": "2"}})

    assert not [e for e in invocations(emulator) if e["function_name"] == "publish"]
    streams = client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=table["LatestStreamArn"])["StreamDescription"][
        "Shards"
    ][0]
    iterator = streams.get_shard_iterator(
        StreamArn=table["LatestStreamArn"],
        ShardId=shard["ShardId"],
        ShardIteratorType="TRIM_HORIZON",
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in records] == ["1", "2"]


# ---------------------------------------------------------------- with a runtime


class FakeRuntime(BaseHTTPRequestHandler):
    """Answers like the runtime would: RequestResponse 200 + a function error, Event 202."""

    received: ClassVar[list[dict[str, Any]]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        invocation_type = self.headers.get("X-Amz-Invocation-Type")
        with self.lock:
            self.received.append(
                {"path": self.path, "type": invocation_type, "body": json.loads(body or b"null")}
            )
        if invocation_type == "Event":
            self.send_response(202)
            self.end_headers()
            return
        answer = json.dumps({"errorMessage": "boom", "errorType": "ValueError"}).encode()
        self.send_response(200)
        self.send_header("X-Amz-Function-Error", "Unhandled")
        self.send_header("X-Amz-Executed-Version", "$LATEST")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def runtime_emulator() -> Iterator[tuple[MotoServer, Callable[[str], Any]]]:
    FakeRuntime.received = []
    with (
        LocalHttpServer(FakeRuntime) as runtime,
        MotoServer(lambda_runtime_url=runtime.base_origin) as server,
    ):

        def make(service: str) -> Any:
            return boto3.client(
                service,
                region_name=REGION,
                endpoint_url=server.url,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )

        yield server, make


def test_invoke_is_forwarded_and_the_runtime_answers(
    runtime_emulator: tuple[MotoServer, Callable[[str], Any]],
) -> None:
    _, client = runtime_emulator
    arn = create_function(client, "generate")
    lam = client("lambda")
    answer = lam.invoke(FunctionName="generate", Payload=b'{"id": "p1"}')
    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    assert json.loads(answer["Payload"].read())["errorMessage"] == "boom"
    queued = lam.invoke(FunctionName=arn, InvocationType="Event", Payload=b'{"id": "p2"}')
    assert queued["StatusCode"] == 202
    assert FakeRuntime.received[-2:] == [
        {
            "path": "/2015-03-31/functions/generate/invocations",
            "type": "RequestResponse",
            "body": {"id": "p1"},
        },
        {
            "path": f"/2015-03-31/functions/{arn.replace(':', '%3A')}/invocations",
            "type": "Event",
            "body": {"id": "p2"},
        },
    ]


def test_s3_notification_is_forwarded_as_an_event(
    runtime_emulator: tuple[MotoServer, Callable[[str], Any]],
) -> None:
    _, client = runtime_emulator
    arn = create_function(client, "uploaded")
    s3 = client("s3")
    s3.create_bucket(Bucket="forwarded")
    s3.put_bucket_notification_configuration(
        Bucket="forwarded",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    s3.put_object(Bucket="forwarded", Key="pics/x.png", Body=b"x")
    quoted = arn.replace(":", "%3A")
    sent = _wait_for(
        lambda: [r for r in FakeRuntime.received if r["path"].endswith(f"/{quoted}/invocations")]
    )
    assert sent[0]["type"] == "Event"
    assert unquote(sent[0]["body"]["Records"][0]["s3"]["object"]["key"]) == "pics/x.png"
