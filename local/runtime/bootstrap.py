"""The program a function's worker process runs: Lambda's Python runtime loop, locally.

Started as ``python -I -S bootstrap.py REQUEST_FD RESPONSE_FD FUNCTION_ARN SYS_PATH`` with
only the function's environment (the arguments carry what Lambda does not put there), so
nothing of the caller's virtualenv is importable: ``sys.path`` becomes the task root, the
layers' ``python`` directories and a directory holding only the AWS SDK (as Lambda's
runtime ships it), in Lambda's order, then the standard library. Stdlib only.

Protocol: one JSON object per line. ``{"ready": true}`` once the init phase is over;
requests ``{"requestId", "payload", "deadline"}`` (``deadline`` in epoch seconds); answers
``{"ok": true, "payload"}`` or ``{"ok": false, "error": {...Lambda's error JSON...}}``.
stdout/stderr are the log.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

Handler = Callable[[Any, Any], Any]


class LambdaContext:
    """The context object Lambda passes to a Python handler."""

    def __init__(self, request_id: str, deadline: float, function_arn: str) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.invoked_function_arn = function_arn
        self.identity = None
        self.client_context = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def _error(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    frames = traceback.extract_tb(error.__traceback__)
    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "requestId": "",
        "stackTrace": [line.rstrip("\n") for line in traceback.format_list(frames)],
    }


def _load_handler(spec: str) -> Handler:
    module_name, _, function_name = spec.rpartition(".")
    if not module_name:
        raise ValueError(f"Bad handler '{spec}': not enough values to unpack")
    module = importlib.import_module(module_name.replace("/", "."))
    handler = getattr(module, function_name, None)
    if handler is None:
        raise AttributeError(f"Handler '{function_name}' missing on module '{module_name}'")
    return handler  # type: ignore[no-any-return]


def _init() -> tuple[Handler | None, dict[str, Any] | None]:
    """Import the handler once, as Lambda's init phase does; an error is kept for every call."""
    spec = os.environ["_HANDLER"]
    try:
        return _load_handler(spec), None
    except ImportError as error:
        module = spec.rpartition(".")[0]
        init_error = _error(error, "Runtime.ImportModuleError")
        init_error["errorMessage"] = f"Unable to import module '{module}': {error}"
        return None, init_error
    except SyntaxError as error:
        return None, _error(error, "Runtime.UserCodeSyntaxError")
    except Exception as error:  # noqa: BLE001 - Lambda reports any init failure this way
        return None, _error(error, "Runtime.HandlerNotFound")


def _invoke(handler: Handler, request: dict[str, Any], function_arn: str) -> dict[str, Any]:
    request_id = str(request["requestId"])
    context = LambdaContext(request_id, float(request["deadline"]), function_arn)
    try:
        event = json.loads(request["payload"]) if request["payload"] else {}
        result = handler(event, context)
    except Exception as error:  # noqa: BLE001 - the function's error is the answer
        traceback.print_exc()
        answer = _error(error)
        answer["requestId"] = request_id
        return {"ok": False, "error": answer}
    try:
        return {"ok": True, "payload": json.dumps(result)}
    except (TypeError, ValueError) as error:
        answer = _error(error, "Runtime.MarshalError")
        answer["errorMessage"] = f"Unable to marshal response: {error}"
        return {"ok": False, "error": answer}


def main() -> None:
    request_fd, response_fd, function_arn, search_path = sys.argv[1:5]
    sys.path[:0] = [entry for entry in search_path.split(os.pathsep) if entry]
    os.chdir(os.environ["LAMBDA_TASK_ROOT"])
    handler, init_error = _init()
    with (
        os.fdopen(int(request_fd), "r") as requests,
        os.fdopen(int(response_fd), "w") as responses,
    ):
        responses.write(json.dumps({"ready": True}) + "\n")
        responses.flush()
        for line in requests:
            request = json.loads(line)
            print(f"START RequestId: {request['requestId']} Version: $LATEST", flush=True)
            started = time.monotonic()
            if handler is None:
                assert init_error is not None
                answer: dict[str, Any] = {"ok": False, "error": init_error}
            else:
                answer = _invoke(handler, request, function_arn)
            duration = (time.monotonic() - started) * 1000
            sys.stderr.flush()
            print(f"END RequestId: {request['requestId']}", flush=True)
            print(
                f"REPORT RequestId: {request['requestId']}\tDuration: {duration:.2f} ms", flush=True
            )
            responses.write(json.dumps(answer) + "\n")
            responses.flush()


if __name__ == "__main__":
    main()
