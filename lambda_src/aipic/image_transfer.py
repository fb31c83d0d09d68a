"""Stream a generated image from Replicate's file host into S3 in constant memory.

The URL (and every redirect hop, followed by hand) must pass :mod:`aipic.guarded_http`'s
checks (same reading by both URL parsers, allowed scheme, allow-listed canonical host,
a public address actually connected to); the whole transfer runs under one deadline.
The response must be an image type we know an extension for; the byte cap is enforced
while streaming, and early when the response announces a larger ``Content-Length``.
Bytes go to S3 as they arrive: one ``put_object`` for an image smaller than a part,
otherwise a multipart upload of ``PART_SIZE`` parts that is aborted on any error, so
nothing partial is ever stored. Each full part is uploaded in the background at once,
from its own buffer, while the next one is read into another (``PART_BUFFERS``, two): so
download and upload overlap, and when reading outruns the upload both parts upload
together while the reader waits for the older one's buffer. Buffers are allocated at a
part's final size and reused once uploaded: a buffer grown chunk by chunk is copied
whenever it outgrows its block, which briefly holds a part twice. Both writes are
conditional (``If-None-Match: *``): a second delivery that gets this far finds the object
there and stores nothing.

Two kinds of failure: :class:`ImageRejectedError` is permanent (the picture must be
marked FAILED), :class:`ImageTransferError` is transient (worth another webhook delivery).
Each carries a user-facing ``reason`` (:mod:`aipic.failure_reasons`); the message is the
detail for the logs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict
from urllib.parse import urljoin

from botocore.exceptions import BotoCoreError, ClientError
from urllib3 import BaseHTTPResponse, PoolManager, Timeout
from urllib3.exceptions import HTTPError as Urllib3Error

from aipic import failure_reasons
from aipic.coldstart import cached
from aipic.errors import PermanentError, TransientError
from aipic.guarded_http import (
    AddressRefusedError,
    Deadline,
    UrlRefusedError,
    UrlRules,
    check_url,
    guarded_pool,
    open_get,
)

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef


class ObjectArgs(TypedDict):
    """The object every call of one transfer names."""

    Bucket: str
    Key: str


# Uploads part ``number`` of the buffer's bytes and names it for CompleteMultipartUpload.
PartUploader = Callable[[int, bytearray], "CompletedPartTypeDef"]

# S3's minimum part size is 5 MiB; 5 MiB parts keep peak memory near one part.
PART_SIZE = 5 * 1024 * 1024
# The part buffers one transfer holds, so also the most parts uploading at once: two
# (10 MiB) keep within the 16 MiB budget; 1 stores each part before the next is read (no
# overlap, the benchmark's comparison).
PART_BUFFERS = 2
CHUNK_SIZE = 256 * 1024
MAX_REDIRECTS = 3
# Per connect / per read; the transfer as a whole is bounded by the policy's deadline.
CONNECT_TIMEOUT_SECONDS = 3.05
READ_TIMEOUT_SECONDS = 5.0
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
EXTENSIONS_BY_CONTENT_TYPE = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
}


class ImageRejectedError(PermanentError):
    """The output can never be stored (bad URL or address, not an image, too large, too
    slow)."""

    def __init__(self, detail: str, reason: str) -> None:
        super().__init__(detail)
        self.reason = reason


class ImageTransferError(TransientError):
    """The transfer failed for a reason that may pass (network, file host 5xx, S3)."""

    def __init__(self, detail: str, reason: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class ImagePolicy:
    allowed_schemes: tuple[str, ...]
    host_allowlist: tuple[str, ...]
    max_bytes: int
    deadline_seconds: float
    allow_loopback: bool = False

    @property
    def url_rules(self) -> UrlRules:
        return UrlRules(self.allowed_schemes, self.host_allowlist, self.allow_loopback)


@dataclass(frozen=True)
class StoredImage:
    key: str
    content_type: str
    size: int
    # False when the object was already there (an earlier delivery stored it).
    newly_stored: bool


def store_image(
    url: str,
    *,
    policy: ImagePolicy,
    s3: S3Client,
    bucket: str,
    key_stem: str,
    metadata: Mapping[str, str],
) -> StoredImage:
    """Stream ``url`` into ``s3://bucket/<key_stem>.<ext>`` and describe what was stored."""
    deadline = Deadline(policy.deadline_seconds)
    try:
        with guarded_pool(allow_loopback=policy.allow_loopback, deadline=deadline) as http:
            return _transfer(url, policy, http, deadline, s3, bucket, key_stem, metadata)
    except (AddressRefusedError, UrlRefusedError) as error:
        raise ImageRejectedError(str(error), failure_reasons.IMAGE_SOURCE_REFUSED) from error
    finally:
        deadline.close()


def _transfer(
    url: str,
    policy: ImagePolicy,
    http: PoolManager,
    deadline: Deadline,
    s3: S3Client,
    bucket: str,
    key_stem: str,
    metadata: Mapping[str, str],
) -> StoredImage:
    response = _open(url, policy, http, deadline)
    with response:
        content_type = _image_content_type(response)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > policy.max_bytes:
            raise ImageRejectedError(
                f"image is {declared} bytes, over the {policy.max_bytes}-byte cap",
                failure_reasons.IMAGE_TOO_LARGE,
            )
        key = f"{key_stem}.{EXTENSIONS_BY_CONTENT_TYPE[content_type]}"
        try:
            size, newly_stored = _upload(
                _chunks(response, deadline),
                s3=s3,
                bucket=bucket,
                key=key,
                content_type=content_type,
                metadata=metadata,
                max_bytes=policy.max_bytes,
                deadline=deadline,
                expected_bytes=int(declared) if declared.isdigit() else None,
            )
        except (BotoCoreError, ClientError) as error:
            raise ImageTransferError(
                f"storing the image in S3 failed: {error}", failure_reasons.IMAGE_NOT_SAVED
            ) from error
    return StoredImage(key=key, content_type=content_type, size=size, newly_stored=newly_stored)


def _too_slow(deadline: Deadline) -> ImageRejectedError:
    return ImageRejectedError(
        f"the download took longer than its {deadline.seconds:g}-second deadline",
        failure_reasons.IMAGE_TOO_SLOW,
    )


def _open(url: str, policy: ImagePolicy, http: PoolManager, deadline: Deadline) -> BaseHTTPResponse:
    """GET the image, following at most MAX_REDIRECTS redirects, each hop checked."""
    for _ in range(MAX_REDIRECTS + 1):
        checked = check_url(url, policy.url_rules)
        remaining = deadline.remaining()
        if remaining <= 0:
            raise _too_slow(deadline)
        try:
            response = open_get(
                http,
                checked,
                timeout=Timeout(
                    connect=min(CONNECT_TIMEOUT_SECONDS, remaining),
                    read=min(READ_TIMEOUT_SECONDS, remaining),
                ),
            )
        except Urllib3Error as error:
            if deadline.expired:
                raise _too_slow(deadline) from error
            raise ImageTransferError(
                f"fetching {url} failed: {error}", failure_reasons.IMAGE_SERVICE_UNAVAILABLE
            ) from error
        if response.status in REDIRECT_STATUSES:
            response.close()
            location = response.headers.get("Location")
            if not location:
                raise ImageRejectedError(
                    f"redirect from {url} has no Location", failure_reasons.IMAGE_SOURCE_REFUSED
                )
            url = urljoin(url, location)
            continue
        if response.status == 429 or response.status >= 500:
            response.close()
            raise ImageTransferError(
                f"file host answered HTTP {response.status} for {url}",
                failure_reasons.IMAGE_SERVICE_UNAVAILABLE,
            )
        if response.status != 200:
            response.close()
            raise ImageRejectedError(
                f"file host answered HTTP {response.status} for {url}",
                failure_reasons.IMAGE_GONE,
            )
        return response
    raise ImageRejectedError(
        f"more than {MAX_REDIRECTS} redirects from the output URL",
        failure_reasons.IMAGE_SOURCE_REFUSED,
    )


def _image_content_type(response: BaseHTTPResponse) -> str:
    raw = response.headers.get("Content-Type", "")
    content_type = raw.split(";", 1)[0].strip().lower()
    if content_type not in EXTENSIONS_BY_CONTENT_TYPE:
        kind = "image type" if content_type.startswith("image/") else "an image"
        raise ImageRejectedError(
            f"output is not {kind} we store (Content-Type {raw!r})",
            failure_reasons.IMAGE_NOT_STORABLE,
        )
    return content_type


def _chunks(response: BaseHTTPResponse, deadline: Deadline) -> Iterator[bytes]:
    """The body as it arrives: ``read1`` returns what one read got, so the deadline is
    checked between small reads too, not only once a whole chunk has trickled in."""
    while True:
        try:
            chunk = response.read1(CHUNK_SIZE)
        except Urllib3Error as error:
            if deadline.expired:
                raise _too_slow(deadline) from error
            raise ImageTransferError(
                f"downloading the image failed: {error}",
                failure_reasons.IMAGE_SERVICE_UNAVAILABLE,
            ) from error
        # A socket shut down by the deadline reads as a clean end of the body.
        if deadline.expired:
            raise _too_slow(deadline)
        if not chunk:
            return
        yield chunk


def _upload(
    chunks: Iterator[bytes],
    *,
    s3: S3Client,
    bucket: str,
    key: str,
    content_type: str,
    metadata: Mapping[str, str],
    max_bytes: int,
    deadline: Deadline,
    expected_bytes: int | None = None,
) -> tuple[int, bool]:
    """(bytes read, whether this call created the object). ``expected_bytes`` (the
    announced length) sizes the first buffer, so a small image does not take a part's."""
    object_args = ObjectArgs(Bucket=bucket, Key=key)
    upload_id: str | None = None
    parts = _PartUploads(PART_BUFFERS)
    # The part being filled. The next one's buffer is taken as soon as a part is full, so
    # with one buffer nothing more is read until that part is stored.
    buffer = parts.free_buffer(min(PART_SIZE, expected_bytes or PART_SIZE))
    filled = 0
    size = 0
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                raise ImageRejectedError(
                    f"image is over the {max_bytes}-byte cap", failure_reasons.IMAGE_TOO_LARGE
                )
            rest = memoryview(chunk)
            while rest:
                if filled == len(buffer):  # announced too short: the part is not full yet
                    buffer.extend(bytes(PART_SIZE - filled))
                taken = min(len(rest), PART_SIZE - filled)
                buffer[filled : filled + taken] = rest[:taken]  # same length: copied in place
                filled += taken
                rest = rest[taken:]
                if filled == PART_SIZE:
                    if upload_id is None:
                        upload_id = s3.create_multipart_upload(
                            **object_args, ContentType=content_type, Metadata=dict(metadata)
                        )["UploadId"]
                    parts.add(_part_uploader(s3, object_args, upload_id), buffer)
                    buffer, filled = parts.free_buffer(), 0
        if size == 0:
            raise ImageRejectedError("output image is empty", failure_reasons.IMAGE_NOT_STORABLE)
        if deadline.expired:
            raise _too_slow(deadline)
        del buffer[filled:]  # the last part's bytes (shrinking keeps the block, no copy)
        if upload_id is None:
            with _unless_already_stored() as outcome:
                s3.put_object(
                    **object_args,
                    Body=buffer,
                    ContentType=content_type,
                    Metadata=dict(metadata),
                    IfNoneMatch="*",
                )
            return size, outcome.stored
        if buffer:
            parts.add(_part_uploader(s3, object_args, upload_id), buffer)
        with _unless_already_stored() as outcome:
            s3.complete_multipart_upload(
                **object_args,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts.results()},
                IfNoneMatch="*",
            )
        if not outcome.stored:
            _abort(s3, object_args, upload_id)
        return size, outcome.stored
    except BaseException:
        if upload_id is not None:
            parts.settle()  # a part still uploading could land after the abort
            _abort(s3, object_args, upload_id)
        raise


@cached
def _upload_threads() -> ThreadPoolExecutor:
    # Kept for the environment: a warm invocation reuses the threads (and the memory their
    # allocator already holds) instead of starting them per transfer.
    return ThreadPoolExecutor(max_workers=PART_BUFFERS, thread_name_prefix="part")


class _PartUploads:
    """Parts uploaded in the background as soon as they are full, numbered in reading
    order, each from its own buffer; at most ``buffers`` buffers exist, so at most that many
    parts are in memory and uploading."""

    def __init__(self, buffers: int) -> None:
        self._buffers = buffers
        self._allocated = 0
        self._pool = _upload_threads()
        self._futures: list[Future[CompletedPartTypeDef]] = []
        # Buffers handed to an upload, oldest first, until handed out again.
        self._lent: list[tuple[Future[CompletedPartTypeDef], bytearray]] = []

    def add(self, upload: PartUploader, buffer: bytearray) -> None:
        """Start uploading ``buffer`` as the next part; it must not change until handed out
        again by :meth:`free_buffer`."""
        future = self._pool.submit(upload, len(self._futures) + 1, buffer)
        self._futures.append(future)
        self._lent.append((future, buffer))

    def free_buffer(self, size: int = PART_SIZE) -> bytearray:
        """A buffer for the next part: a new one of ``size`` bytes while fewer than
        ``buffers`` exist, else the oldest part's once it is uploaded (its request sent).
        A part's failure is raised here, so reading stops at once."""
        for future in self._futures:
            if future.done():
                future.result()
        if self._allocated < self._buffers:
            self._allocated += 1
            return bytearray(size)
        future, buffer = self._lent.pop(0)
        future.result()
        return buffer

    def results(self) -> list[CompletedPartTypeDef]:
        return [future.result() for future in self._futures]

    def settle(self) -> None:
        wait(self._futures)


@dataclass
class _WriteOutcome:
    stored: bool = True


@contextlib.contextmanager
def _unless_already_stored() -> Iterator[_WriteOutcome]:
    """A conditional write refused because the object exists is not an error."""
    outcome = _WriteOutcome()
    try:
        yield outcome
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "PreconditionFailed":
            raise
        outcome.stored = False


def _part_uploader(s3: S3Client, object_args: ObjectArgs, upload_id: str) -> PartUploader:
    def upload(number: int, body: bytearray) -> CompletedPartTypeDef:
        # ``body`` is the part's buffer itself, not a copy: it is not refilled until done.
        response = s3.upload_part(**object_args, UploadId=upload_id, PartNumber=number, Body=body)
        return {"PartNumber": number, "ETag": response["ETag"]}

    return upload


def _abort(s3: S3Client, object_args: ObjectArgs, upload_id: str) -> None:
    # The bucket's lifecycle rule removes incomplete uploads that this misses.
    with contextlib.suppress(BotoCoreError, ClientError):
        s3.abort_multipart_upload(**object_args, UploadId=upload_id)
