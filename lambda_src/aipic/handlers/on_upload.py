"""on_upload: an image landed under ``pics/`` → its picture is COMPLETED.

S3 URL-encodes keys in notifications (``+`` for spaces, ``%xx``), so each key is decoded
with ``unquote_plus``. A picture's key is
``pics/<owner>/<id>.<ext>``; anything else is ignored. The conditional write completes
only a PROCESSING picture whose owner matches the key, so a repeated or late notification,
or an object for an unknown id, changes nothing.
"""

from __future__ import annotations

import re
from typing import Any, cast
from urllib.parse import unquote_plus

from aipic.events import S3Event
from aipic.observability import LambdaContext, logger
from aipic.pics import pics_repository

PICTURE_KEY = re.compile(r"^pics/(?P<owner>[^/]+)/(?P<pic_id>[^/]+)\.(?P<ext>[A-Za-z0-9]+)$")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, list[str]]:
    completed: list[str] = []
    ignored: list[str] = []
    pics = pics_repository()
    for record in cast(S3Event, event)["Records"]:
        key = unquote_plus(record["s3"]["object"]["key"])
        match = PICTURE_KEY.match(key)
        if match is None:
            logger.info("object is not a picture; ignored", extra={"key": key})
            ignored.append(key)
            continue
        if pics.mark_completed(match["pic_id"], match["owner"], key):
            logger.info("picture completed", extra={"key": key, "pic_id": match["pic_id"]})
            completed.append(key)
        else:
            logger.warning(
                "picture unknown, owned by someone else, or not PROCESSING; ignored",
                extra={"key": key, "pic_id": match["pic_id"]},
            )
            ignored.append(key)
    return {"completed": completed, "ignored": ignored}
