"""A frontend's script against the stack, configured only by its client outputs file.

    python local/examples/gql_client.py local-outputs.json [--prompt "..."] [--png out.png]

Reads ``local-outputs.json`` (written by ``make up``; on AWS, ``terraform output -json
client_outputs`` of the dev/prod root) and nothing else, and uses only ``gql`` and
``boto3``, as any Python client would:

1. Cognito user pool: sign up, confirm (locally the emulator's admin call, as an operator
   would), sign in → ID token;
2. AppSync real-time: ``subscribe`` over the WebSocket (gql's ``AppSyncWebsocketsTransport``
   with ``AppSyncJWTAuthentication``);
3. AppSync HTTP: ``createAIPic`` (gql's HTTP transport, same authentication);
4. waits for the picture's COMPLETED (or FAILED) event;
5. Cognito identity pool: the user's own AWS credentials → S3 ``GetObject`` of the PNG.

Prints one JSON line (the statuses received, the key, the PNG's size) and exits 0 when the
picture was COMPLETED and downloaded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from gql import Client, GraphQLRequest
from gql.transport.appsync_auth import AppSyncJWTAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport
from gql.transport.requests import RequestsHTTPTransport

CREATE = (
    "mutation Create($prompt: String!) { createAIPic(prompt: $prompt) { id completionStatus } }"
)
SUBSCRIBE = "subscription { subscribe { owner data } }"
FINAL = {"COMPLETED", "FAILED"}


class AcknowledgingTransport(AppSyncWebsocketsTransport):
    """gql reads AppSync's ``start_ack`` but does not tell its caller; a client must not
    create the picture before the subscription is in place, so this tells it."""

    def __init__(self, **kwargs: Any) -> None:  # noqa: ANN401 - gql's own arguments
        super().__init__(**kwargs)
        self.subscribed = asyncio.Event()

    def _parse_answer(self, answer: str) -> Any:  # noqa: ANN401 - gql's own return type
        parsed = super()._parse_answer(answer)
        if parsed[0] == "start_ack":
            self.subscribed.set()
        return parsed


def aws(service: str, outputs: dict[str, Any], **credentials: str) -> Any:  # noqa: ANN401
    endpoint = (outputs.get("custom") or {}).get("aws_endpoint_url")  # None on AWS
    if endpoint and not credentials:
        # The emulator accepts any credentials (the admin calls need some); on AWS the
        # environment's own are used.
        credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
    return boto3.client(
        service, region_name=outputs["auth"]["aws_region"], endpoint_url=endpoint, **credentials
    )


def sign_up_and_in(outputs: dict[str, Any], email: str, password: str) -> str:
    auth = outputs["auth"]
    idp = aws("cognito-idp", outputs)
    idp.sign_up(
        ClientId=auth["user_pool_client_id"],
        Username=email,
        Password=password,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    idp.admin_confirm_sign_up(UserPoolId=auth["user_pool_id"], Username=email)
    answer = idp.admin_initiate_auth(
        UserPoolId=auth["user_pool_id"],
        ClientId=auth["user_pool_client_id"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    return str(answer["AuthenticationResult"]["IdToken"])


def download(outputs: dict[str, Any], id_token: str, key: str) -> bytes:
    auth = outputs["auth"]
    identity = aws("cognito-identity", outputs)
    logins = {f"cognito-idp.{auth['aws_region']}.amazonaws.com/{auth['user_pool_id']}": id_token}
    identity_id = identity.get_id(IdentityPoolId=auth["identity_pool_id"], Logins=logins)
    credentials = identity.get_credentials_for_identity(
        IdentityId=identity_id["IdentityId"], Logins=logins
    )["Credentials"]
    s3 = aws(
        "s3",
        outputs,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretKey"],
        aws_session_token=credentials["SessionToken"],
    )
    return bytes(s3.get_object(Bucket=outputs["storage"]["bucket_name"], Key=key)["Body"].read())


async def create_and_follow(
    outputs: dict[str, Any], id_token: str, prompt: str, timeout: float
) -> list[dict[str, Any]]:
    """Subscribe, create, and return the picture's events up to its final one."""
    data = outputs["data"]
    host = urlsplit(data["url"]).netloc
    realtime_url = (outputs.get("custom") or {}).get("realtime_url")  # gql derives it on AWS
    transport = AcknowledgingTransport(
        url=realtime_url or data["url"], auth=AppSyncJWTAuthentication(host=host, jwt=id_token)
    )
    http = Client(
        transport=RequestsHTTPTransport(
            url=data["url"],
            headers=AppSyncJWTAuthentication(host=host, jwt=id_token).get_headers(),
            timeout=30,
        )
    )
    async with Client(transport=transport) as session:
        events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def listen() -> None:
            async for result in session.subscribe(GraphQLRequest(SUBSCRIBE)):
                await events.put(json.loads(result["subscribe"]["data"]))

        listener = asyncio.create_task(listen())
        await asyncio.wait_for(transport.subscribed.wait(), timeout)
        request = GraphQLRequest(CREATE, variable_values={"prompt": prompt})
        created = (await asyncio.to_thread(http.execute, request))["createAIPic"]
        received: list[dict[str, Any]] = []
        while not received or received[-1]["completionStatus"] not in FINAL:
            event = await asyncio.wait_for(events.get(), timeout)
            if event["id"] == created["id"]:
                received.append(event)
        listener.cancel()
        return received


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Sign up, subscribe, create a picture, wait for it, download it."
    )
    parser.add_argument("outputs", type=Path, help="the client outputs (local-outputs.json)")
    parser.add_argument("--prompt", default="a paper boat on a pond, watercolour")
    parser.add_argument("--png", type=Path, help="also write the picture here")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per wait")
    arguments = parser.parse_args()
    outputs = json.loads(arguments.outputs.read_text(encoding="utf-8"))

    email = f"gql-example-{secrets.token_hex(4)}@example.com"
    id_token = sign_up_and_in(outputs, email, secrets.token_urlsafe(12) + "-Aa1!")
    events = asyncio.run(create_and_follow(outputs, id_token, arguments.prompt, arguments.timeout))
    final = events[-1]
    png = (
        download(outputs, id_token, final["imgId"])
        if final["completionStatus"] == "COMPLETED"
        else b""
    )
    if arguments.png and png:
        arguments.png.write_bytes(png)
    print(
        json.dumps(
            {
                "user": email,
                "id": final["id"],
                "statuses": [event["completionStatus"] for event in events],
                "imgId": final.get("imgId"),
                "pngBytes": len(png),
                "pngSignature": png[:8].hex(),
            }
        )
    )
    return 0 if png.startswith(b"\x89PNG\r\n\x1a\n") else 1


if __name__ == "__main__":
    sys.exit(main())
