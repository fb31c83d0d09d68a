"""image_transfer's multipart upload overlaps the download, with two parts in memory at most,
in two buffers allocated once and reused, and uploads both when reading outruns it.

A fake S3 client (only the four multipart calls) and a chunk generator stand for the two
ends, so each test can see what the other end was doing at a given moment.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aipic import image_transfer
from aipic.guarded_http import Deadline
from aipic.image_transfer import PART_SIZE, _upload
from botocore.exceptions import ClientError

CHUNK = 1024 * 1024
PARTS = 3

# A fresh upload pool per test, sized by the PART_BUFFERS the test runs with.
pytestmark = pytest.mark.usefixtures("cold_start")


class FakeS3:
    def __init__(self, fail_part: int | None = None, *, part_one_awaits_two: bool = False) -> None:
        self.fail_part = fail_part
        # Part 1's upload lasts until part 2's has started (an upload slower than reading).
        self.part_one_awaits_two = part_one_awaits_two
        self.part_two_uploading = threading.Event()
        self.reading_part = 1  # the part the download is filling
        self.uploaded: dict[int, bytes] = {}
        # The objects handed over by part number, kept alive so their ids stay distinct.
        self.bodies: dict[int, bytearray] = {}
        self.body_sizes: list[int] = []
        self.uploading: set[int] = set()
        self.reading_during_upload: dict[int, int] = {}
        self.most_uploading = 0
        self.part_two_read = threading.Event()
        self.completed: list[dict[str, Any]] | None = None
        self.aborted = False
        self._lock = threading.Lock()

    def create_multipart_upload(self, **_: object) -> dict[str, str]:
        return {"UploadId": "upload-1"}

    def upload_part(self, *, PartNumber: int, Body: bytearray, **_: object) -> dict[str, str]:  # noqa: N803 - boto3's names
        with self._lock:
            self.uploading.add(PartNumber)
            self.most_uploading = max(self.most_uploading, len(self.uploading))
        if PartNumber == 2:
            self.part_two_uploading.set()
        if PartNumber == 1 and self.part_one_awaits_two:
            # Without both in flight this would wait in vain: part 2 uploads only afterwards.
            self.part_two_uploading.wait(5)
        if PartNumber == 1:
            # Without overlap this would wait in vain: part 2 is read only afterwards.
            self.part_two_read.wait(5)
            self.reading_during_upload[1] = self.reading_part
        with self._lock:
            self.uploading.discard(PartNumber)
        if PartNumber == self.fail_part:
            raise ClientError({"Error": {"Code": "InternalError"}}, "UploadPart")
        self.uploaded[PartNumber] = bytes(Body)
        self.bodies[PartNumber] = Body
        self.body_sizes.append(len(Body))
        return {"ETag": f'"etag-{PartNumber}"'}

    def complete_multipart_upload(self, *, MultipartUpload: dict[str, Any], **_: object) -> None:  # noqa: N803
        self.completed = MultipartUpload["Parts"]

    def abort_multipart_upload(self, **_: object) -> None:
        with self._lock:
            assert not self.uploading, "aborted while a part was still uploading"
        self.aborted = True


def image(s3: FakeS3) -> Iterator[bytes]:
    for part in range(1, PARTS + 1):
        s3.reading_part = part
        if part == 2:
            s3.part_two_read.set()
        for _ in range(PART_SIZE // CHUNK):
            yield bytes([part]) * CHUNK


def upload(
    s3: FakeS3, chunks: Iterator[bytes] | None = None, expected_bytes: int | None = None
) -> tuple[int, bool]:
    deadline = Deadline(30)
    try:
        return _upload(
            image(s3) if chunks is None else chunks,
            s3=s3,  # type: ignore[arg-type]
            bucket="b",
            key="k.png",
            content_type="image/png",
            metadata={},
            max_bytes=PARTS * PART_SIZE,
            deadline=deadline,
            expected_bytes=expected_bytes,
        )
    finally:
        deadline.close()


def test_the_next_part_is_read_while_the_previous_one_uploads() -> None:
    s3 = FakeS3()

    assert upload(s3) == (PARTS * PART_SIZE, True)

    assert s3.reading_during_upload[1] == 2
    assert s3.completed == [{"PartNumber": n, "ETag": f'"etag-{n}"'} for n in range(1, PARTS + 1)]
    assert all(s3.uploaded[n] == bytes([n]) * PART_SIZE for n in range(1, PARTS + 1))


def test_when_reading_outruns_the_upload_two_parts_upload_at_once() -> None:
    s3 = FakeS3(part_one_awaits_two=True)

    assert upload(s3) == (PARTS * PART_SIZE, True)

    assert s3.most_uploading == 2
    assert all(s3.uploaded[n] == bytes([n]) * PART_SIZE for n in range(1, PARTS + 1))


def test_parts_are_read_into_two_part_sized_buffers_reused_in_turn() -> None:
    """At most two parts are held at once. A buffer grown chunk by chunk is copied each time
    it outgrows its block, holding a part twice for a moment; buffers of the final size,
    reused, never are."""
    s3 = FakeS3()

    upload(s3)

    assert s3.body_sizes == [PART_SIZE] * PARTS
    assert len({id(body) for body in s3.bodies.values()}) == 2
    assert s3.bodies[3] is s3.bodies[1]


def test_an_image_longer_than_announced_still_gets_full_parts() -> None:
    s3 = FakeS3()
    s3.part_two_read.set()
    chunks = (bytes([n % 256]) * CHUNK for n in range(PART_SIZE // CHUNK + 2))

    size, stored = upload(s3, chunks, expected_bytes=CHUNK)

    assert (size, stored) == (PART_SIZE + 2 * CHUNK, True)
    assert [len(s3.uploaded[n]) for n in (1, 2)] == [PART_SIZE, 2 * CHUNK]
    whole = s3.uploaded[1] + s3.uploaded[2]
    assert whole == b"".join(bytes([n % 256]) * CHUNK for n in range(PART_SIZE // CHUNK + 2))


def test_a_part_failing_in_the_background_aborts_the_upload_after_the_others_settle() -> None:
    s3 = FakeS3(fail_part=1)

    with pytest.raises(ClientError):
        upload(s3)

    assert s3.aborted
    assert s3.completed is None


def test_with_one_part_buffer_each_part_is_stored_before_the_next_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The setting the benchmark compares against: no overlap."""
    monkeypatch.setattr(image_transfer, "PART_BUFFERS", 1)
    s3 = FakeS3()
    s3.part_two_read.set()  # part 1 would otherwise wait for a read that never overlaps

    assert upload(s3) == (PARTS * PART_SIZE, True)

    assert s3.reading_during_upload[1] == 1
