"""moto's server for the runtime's tests, with stream records kept for a poller to read.

Plain moto 5.2.5 hands a table's stream records to a mapped function through Docker and,
whatever that gives, clears them, so the DynamoDB Streams API never shows them. The
project's emulator (local.emulator) replaces that delivery; until these tests run on it,
this launcher does the same in the child process only: moto's delivery becomes a no-op
that leaves the records in the stream. Installed files are not touched.

Run as ``python -m tests.runtime.moto_keeping_streams -H 127.0.0.1 -p PORT``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from typing import Any, Self

from moto.awslambda.models import LambdaBackend
from moto.server import main

from local.emulator.server import MotoServer, _die_with_parent


def _keep_records(self: LambdaBackend, function_arn: str, items: list[Any], source: str) -> str:
    return ""  # falsy: moto keeps the records in the shard


class StreamKeepingMotoServer(MotoServer):
    def start(self) -> Self:
        self._log = tempfile.TemporaryFile(prefix="aipic-moto-")  # noqa: SIM115
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, "-H", "127.0.0.1", "-p", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self


if __name__ == "__main__":
    LambdaBackend.send_dynamodb_items = _keep_records  # type: ignore[method-assign]
    main(sys.argv[1:])
