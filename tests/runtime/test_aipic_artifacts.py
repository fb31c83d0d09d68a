"""The real build (dist/ of `make build`) runs in the runtime: no layer, import path, handler."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.runtime import FunctionRuntime
from local.runtime.events import s3_object_created_record
from tests.runtime.conftest import FAST

DIST = Path(__file__).resolve().parents[2] / "dist"


@pytest.fixture
def dist() -> Path:
    if not (DIST / "manifest.json").is_file():
        pytest.fail("dist/ is missing: run `make build` first")
    return DIST


def test_on_upload_from_the_build_completes_a_picture(dist, aws, emulator_url):
    manifest = json.loads((dist / "manifest.json").read_text())
    artifacts = manifest["artifacts"]
    lambda_client = aws("lambda")
    role = aws("iam").create_role(RoleName="on-upload", AssumeRolePolicyDocument="{}")["Role"][
        "Arn"
    ]
    lambda_client.create_function(
        FunctionName="uploads",
        Runtime=manifest["runtime"],
        Role=role,
        Handler="aipic.handlers.on_upload.handler",
        Code={"ZipFile": (dist / artifacts["functions"]["path"]).read_bytes()},
        Architectures=[manifest["architecture"]],
        Environment={
            "Variables": {"PICS_TABLE_NAME": "local-pics", "POWERTOOLS_SERVICE_NAME": "aipic"}
        },
    )
    dynamodb = aws("dynamodb")
    dynamodb.create_table(
        TableName="local-pics",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(
        TableName="local-pics",
        Item={"id": {"S": "pic 1"}, "owner": {"S": "u1"}, "completionStatus": {"S": "PROCESSING"}},
    )
    with FunctionRuntime(emulator_url, dist, settings=FAST) as real:
        # S3 URL-encodes the key in the notification; the handler must decode it.
        record = s3_object_created_record(bucket="b", key="pics/u1/pic 1.png", size=3, etag="e")
        answer = aws("lambda", real.invoke_url).invoke(
            FunctionName="uploads", Payload=json.dumps({"Records": [record]}).encode()
        )
        body = json.loads(answer["Payload"].read())

    assert "FunctionError" not in answer, body
    assert body == {"completed": ["pics/u1/pic 1.png"], "ignored": []}
    item = dynamodb.get_item(TableName="local-pics", Key={"id": {"S": "pic 1"}})["Item"]
    assert item["completionStatus"] == {"S": "COMPLETED"}
    assert item["imgId"] == {"S": "pics/u1/pic 1.png"}
