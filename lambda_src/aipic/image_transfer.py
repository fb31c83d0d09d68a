"""Stream a generated image from Replicate's file host into S3 in constant memory.

The URL (and every redirect hop, followed by hand) must use an allowed scheme and point
at an allow-listed host or one of its subdomains; the response must be an image type we
know an extension for; the byte cap is enforced while streaming, and early when the
response announces a larger ``Content-Length``. Bytes go to S3 as they arrive: one
``put_object`` for an image smaller than a part, otherwise a multipart upload of
``PART_SIZE`` parts that is aborted on any error, so nothing partial is ever stored.

Two kinds of failure: :class:`ImageRejectedError` is permanent (the picture must be
marked FAILED), :class:`ImageTransferError` is transient (worth another webhook delivery).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

# S3's minimum part size is 5 MiB; 5 MiB parts keep peak memory near one part.
PART_SIZE = 5 * 1024 * 1024
CHUNK_SIZE = 256 * 1024
MAX_REDIRECTS = 3
# Replicate waits only a few seconds for the webhook's answer; these bound the download.
CONNECT_TIMEOUT_SECONDS = 3.05
READ_TIMEOUT_SECONDS = 5.0
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
EXTENSIONS_BY_CONTENT_TYPE = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
}


class ImageRejectedError(Exception):
    """The output can never be stored (bad URL, not an image, too large)."""


class ImageTransferError(Exception):
    """The transfer failed for a reason that may pass (network, file host 5xx, S3)."""


@dataclass(frozen=True)
class ImagePolicy:
    allowed_schemes: tuple[str, ...]
    host_allowlist: tuple[str, ...]
    max_bytes: int


@dataclass(frozen=True)
class StoredImage:
    key: str
    content_type: str
    size: int


def is_host_allowed(host: str, allowlist: Iterable[str]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == allowed or host.endswith(f".{allowed}") for allowed in allowlist)


def check_url(url: str, policy: ImagePolicy) -> None:
    parts = urlsplit(url)
    if parts.scheme not in policy.allowed_schemes:
        raise ImageRejectedError(
            f"output URL scheme {parts.scheme or '(none)'!r} is not allowed: {url}"
        )
    if not parts.hostname or not is_host_allowed(parts.hostname, policy.host_allowlist):
        raise ImageRejectedError(f"output URL host {parts.hostname!r} is not allowed: {url}")


def store_image(
    url: str,
    *,
    policy: ImagePolicy,
    http: requests.Session,
    s3: BaseClient,
    bucket: str,
    key_stem: str,
    metadata: Mapping[str, str],
) -> StoredImage:
    """Stream ``url`` into ``s3://bucket/<key_stem>.<ext>`` and describe what was stored."""
    response = _open(url, policy, http)
    with response:
        content_type = _image_content_type(response)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > policy.max_bytes:
            raise ImageRejectedError(
                f"image is {declared} bytes, over the {policy.max_bytes}-byte cap"
            )
        key = f"{key_stem}.{EXTENSIONS_BY_CONTENT_TYPE[content_type]}"
        try:
            size = _upload(
                response.iter_content(chunk_size=CHUNK_SIZE),
                s3=s3,
                bucket=bucket,
                key=key,
                content_type=content_type,
                metadata=metadata,
                max_bytes=policy.max_bytes,
            )
        except requests.RequestException as error:
            raise ImageTransferError(f"downloading the image failed: {error}") from error
        except (BotoCoreError, ClientError) as error:
            raise ImageTransferError(f"storing the image in S3 failed: {error}") from error
    return StoredImage(key=key, content_type=content_type, size=size)


def _open(url: str, policy: ImagePolicy, http: requests.Session) -> requests.Response:
    """GET the image, following at most MAX_REDIRECTS redirects, each hop checked."""
    for _ in range(MAX_REDIRECTS + 1):
        check_url(url, policy)
        try:
            response = http.get(
                url,
                stream=True,
                allow_redirects=False,
                timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
            )
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema) as error:
            raise ImageRejectedError(f"output URL {url} is malformed: {error}") from error
        except requests.RequestException as error:
            raise ImageTransferError(f"fetching {url} failed: {error}") from error
        if response.status_code in REDIRECT_STATUSES:
            response.close()
            location = response.headers.get("Location")
            if not location:
                raise ImageRejectedError(f"redirect from {url} has no Location")
            url = urljoin(url, location)
            continue
        if response.status_code == 429 or response.status_code >= 500:
            response.close()
            raise ImageTransferError(f"file host answered HTTP {response.status_code} for {url}")
        if response.status_code != 200:
            response.close()
            raise ImageRejectedError(f"file host answered HTTP {response.status_code} for {url}")
        return response
    raise ImageRejectedError(f"more than {MAX_REDIRECTS} redirects from the output URL")


def _image_content_type(response: requests.Response) -> str:
    raw = response.headers.get("Content-Type", "")
    content_type = raw.split(";", 1)[0].strip().lower()
    if content_type not in EXTENSIONS_BY_CONTENT_TYPE:
        kind = "image type" if content_type.startswith("image/") else "an image"
        raise ImageRejectedError(f"output is not {kind} we store (Content-Type {raw!r})")
    return content_type


def _upload(
    chunks: Iterable[bytes],
    *,
    s3: BaseClient,
    bucket: str,
    key: str,
    content_type: str,
    metadata: Mapping[str, str],
    max_bytes: int,
) -> int:
    object_args = {"Bucket": bucket, "Key": key}
    buffer = bytearray()
    upload_id: str | None = None
    parts: list[dict[str, Any]] = []
    size = 0
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                raise ImageRejectedError(f"image is over the {max_bytes}-byte cap")
            buffer += chunk
            if len(buffer) >= PART_SIZE:
                if upload_id is None:
                    upload_id = s3.create_multipart_upload(
                        **object_args, ContentType=content_type, Metadata=dict(metadata)
                    )["UploadId"]
                parts.append(_upload_part(s3, object_args, upload_id, len(parts) + 1, buffer))
                buffer = bytearray()  # hand the full part over instead of copying it
        if size == 0:
            raise ImageRejectedError("output image is empty")
        if upload_id is None:
            s3.put_object(
                **object_args, Body=bytes(buffer), ContentType=content_type, Metadata=dict(metadata)
            )
            return size
        if buffer:
            parts.append(_upload_part(s3, object_args, upload_id, len(parts) + 1, buffer))
        s3.complete_multipart_upload(
            **object_args, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    except BaseException:
        if upload_id is not None:
            _abort(s3, object_args, upload_id)
        raise
    return size


def _upload_part(
    s3: BaseClient, object_args: Mapping[str, str], upload_id: str, number: int, body: bytearray
) -> dict[str, Any]:
    response = s3.upload_part(**object_args, UploadId=upload_id, PartNumber=number, Body=body)
    return {"PartNumber": number, "ETag": response["ETag"]}


def _abort(s3: BaseClient, object_args: Mapping[str, str], upload_id: str) -> None:
    # The bucket's lifecycle rule removes incomplete uploads that this misses.
    with contextlib.suppress(BotoCoreError, ClientError):
        s3.abort_multipart_upload(**object_args, UploadId=upload_id)
