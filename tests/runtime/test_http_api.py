"""HTTP APIs served from what the emulator holds: routes, AWS_PROXY, payload format 2.0."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest


def make_api(aws, function_arn, route_keys, stage="$default"):
    client = aws("apigatewayv2")
    api_id = client.create_api(Name="hooks", ProtocolType="HTTP")["ApiId"]
    integration = client.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=function_arn,
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    for route_key in route_keys:
        client.create_route(ApiId=api_id, RouteKey=route_key, Target=f"integrations/{integration}")
    client.create_stage(ApiId=api_id, StageName=stage, AutoDeploy=True)
    return api_id


def request(url, method="POST", body=b"", headers=None):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(
            urllib.request.Request(url, data=body or None, method=method, headers=headers or {})
        ) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_route_invokes_the_function_with_a_payload_2_0_event(deploy, start_runtime, aws):
    deploy.queue("seen")
    arn = deploy.function("hook", "handlers.record", environment={"SEEN_QUEUE": "seen"})
    api_id = make_api(aws, arn, ["POST /hooks/{name}"])
    runtime = start_runtime()
    base = runtime.http_api_url(api_id)

    status, headers, body = request(
        f"{base}/hooks/replicate?id=p1&tag=a&tag=b",
        body=b'{"status": "succeeded"}',
        headers={"Content-Type": "application/json", "X-Signature": "s1", "Cookie": "a=1; b=2"},
    )

    assert status == 201
    assert headers["X-Seen"] == "yes"
    event = json.loads(body)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /hooks/{name}"
    assert event["rawPath"] == "/hooks/replicate"
    assert event["rawQueryString"] == "id=p1&tag=a&tag=b"
    assert event["queryStringParameters"] == {"id": "p1", "tag": "a,b"}
    assert event["pathParameters"] == {"name": "replicate"}
    assert event["headers"]["x-signature"] == "s1"
    assert event["headers"]["content-type"] == "application/json"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["body"] == '{"status": "succeeded"}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["apiId"] == api_id
    assert context["stage"] == "$default"
    assert context["routeKey"] == "POST /hooks/{name}"
    assert context["http"]["method"] == "POST"
    assert context["http"]["path"] == "/hooks/replicate"
    assert context["http"]["sourceIp"] == "127.0.0.1"
    assert context["requestId"]
    assert isinstance(context["timeEpoch"], int)
    assert [r.trigger for r in runtime.invocations.records("hook")] == [f"http-api:{api_id}"]


def test_a_form_body_arrives_base64_encoded_as_api_gateway_sends_it(deploy, start_runtime, aws):
    arn = deploy.function("hook", "handlers.echo")
    api_id = make_api(aws, arn, ["POST /form"])
    runtime = start_runtime()

    status, _, body = request(
        f"{runtime.http_api_url(api_id)}/form",
        body=b"a=1&b=2",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    event = json.loads(body)["event"]
    assert status == 200
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"a=1&b=2"


def test_unmatched_routes_are_404_and_function_errors_500(deploy, start_runtime, aws):
    arn = deploy.function("hook", "handlers.fail")
    api_id = make_api(aws, arn, ["POST /hooks"])
    runtime = start_runtime()
    base = runtime.http_api_url(api_id)

    assert request(f"{base}/hooks", method="GET")[0] == 404
    assert request(f"{base}/elsewhere")[0] == 404
    status, _, body = request(f"{base}/hooks", body=b"{}")
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})


@pytest.mark.parametrize(
    ("returned", "status", "body"),
    [
        ({"statusCode": 204}, 204, b""),
        ({"ok": True}, 200, b'{"event": {"ok": true}}'),  # no statusCode: the JSON as a 200
    ],
)
def test_response_mapping(deploy, start_runtime, aws, returned, status, body):
    code = (
        "import json\n"
        f"RETURNED = {returned!r}\n"
        "def handler(event, context):\n"
        "    if 'statusCode' in RETURNED:\n"
        "        return RETURNED\n"
        "    return {'event': json.loads(event['body'])}\n"
    )
    arn = deploy.function("mapper", "m.handler", files={"m.py": code})
    api_id = make_api(aws, arn, ["$default"])
    runtime = start_runtime()

    answer = request(
        f"{runtime.http_api_url(api_id)}/any/path",
        body=json.dumps(returned).encode(),
        headers={"Content-Type": "application/json"},
    )

    assert (answer[0], answer[2]) == (status, body)
    assert answer[1]["Content-Type"] == "application/json"
