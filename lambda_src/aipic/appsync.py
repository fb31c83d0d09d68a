"""Publish picture events through AppSync's IAM-only ``publish`` and ``publishAIPic``
mutations, both in one request: ``publish`` feeds the ``subscribe`` subscription (the
picture as AWSJSON), ``publishAIPic`` the typed ``onAIPicChange``. A subscriber receives
the fields the mutation selects, so ``publishAIPic`` selects every field of AIPic.

The request is signed with SigV4 for service ``appsync`` using the function's own
credentials (``boto3.Session``), so only a role allowed ``appsync:GraphQL`` on those two
fields can call it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from urllib3 import PoolManager, Timeout
from urllib3.exceptions import HTTPError

from aipic.errors import TransientError

AIPIC_SELECTION = (
    "id owner prompt completionStatus createdAt updatedAt imgId failureReason progress "
    "deletedAt settings { negativePrompt width height numInferenceSteps guidanceScale seed }"
)
PUBLISH_MUTATION = (
    "mutation Publish($owner: ID!, $data: AWSJSON!, $pic: AIPicInput!) "
    "{ publish(owner: $owner, data: $data) { owner data } "
    f"publishAIPic(pic: $pic) {{ {AIPIC_SELECTION} }} }}"
)
TIMEOUT_SECONDS = 5.0


class PublishError(TransientError):
    """AppSync did not accept the event (transport error, non-2xx, or GraphQL errors)."""


class AppSyncPublisher:
    def __init__(
        self, *, url: str, region: str, credentials: Credentials, http: PoolManager
    ) -> None:
        self._url = url
        self._signer = SigV4Auth(credentials, "appsync", region)
        self._http = http

    def publish(self, owner: str, picture: Mapping[str, Any]) -> None:
        """Send one event: the picture (AIPic's fields, plain JSON values)."""
        variables = {
            "owner": owner,
            "data": json.dumps(picture, sort_keys=True),
            "pic": dict(picture),
        }
        body = json.dumps({"query": PUBLISH_MUTATION, "variables": variables})
        request = AWSRequest(
            method="POST",
            url=self._url,
            data=body.encode(),
            headers={"Content-Type": "application/json"},
        )
        self._signer.add_auth(request)
        try:
            response = self._http.request(
                "POST",
                self._url,
                body=request.body,
                headers=dict(request.headers),
                timeout=Timeout(connect=TIMEOUT_SECONDS, read=TIMEOUT_SECONDS),
                retries=False,
                redirect=False,
            )
        except HTTPError as error:
            raise PublishError(f"AppSync request failed: {error}") from error
        if not 200 <= response.status < 300:
            text = response.data.decode(errors="replace")[:300]
            raise PublishError(f"AppSync answered HTTP {response.status}: {text}")
        try:
            payload = json.loads(response.data)
        except ValueError:
            raise PublishError("AppSync answered with a body that is not JSON") from None
        errors = payload.get("errors") if isinstance(payload, dict) else None
        if errors:
            raise PublishError(f"AppSync reported GraphQL errors: {json.dumps(errors)[:300]}")
