"""Functions run as deployed: own environment and import path, timeouts, errors, the Invoke API."""

from __future__ import annotations

import json
import os
import sys
import threading
import time

import pytest

from local.runtime import StaleArtifactError


def invoke(lambda_client, name, event, invocation_type="RequestResponse"):
    return lambda_client.invoke(
        FunctionName=name, InvocationType=invocation_type, Payload=json.dumps(event).encode()
    )


def test_boto3_lambda_client_invokes_with_the_functions_own_environment(
    deploy, start_runtime, aws, monkeypatch
):
    monkeypatch.setenv("CALLER_ONLY_VARIABLE", "must not leak")
    arn = deploy.function("echoer", "handlers.echo", environment={"TABLE": "t1"}, timeout=7)
    deploy.function("other", "handlers.echo", environment={"OTHER_ONLY": "x"})
    runtime = start_runtime()
    client = aws("lambda", runtime.invoke_url)

    answer = invoke(client, arn, {"hello": "world"})  # by ARN, as a trigger would

    assert answer["StatusCode"] == 200
    assert "FunctionError" not in answer
    body = json.loads(answer["Payload"].read())
    env = body["env"]
    assert body["event"] == {"hello": "world"}
    assert body["function"] == "echoer"
    assert body["arn"] == arn
    assert 0 < body["remaining"] <= 7000
    assert env["TABLE"] == "t1"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "echoer"
    assert env["_HANDLER"] == "handlers.echo"
    assert env["AWS_REGION"] == "us-east-1"
    assert env["AWS_ENDPOINT_URL"] == runtime.emulator_url
    assert env["LAMBDA_TASK_ROOT"] == body["path"][0]
    assert "CALLER_ONLY_VARIABLE" not in env
    assert "OTHER_ONLY" not in env
    assert "VIRTUAL_ENV" not in env
    # The import path is the task root, the layer dirs, the SDK dir and the stdlib only.
    venv_site = [p for p in sys.path if p.endswith("site-packages")]
    assert not set(venv_site) & set(body["path"])


def test_a_dependency_only_the_venv_has_is_missing_in_the_function(deploy, start_runtime):
    layer = deploy.layer("deps", {"python/layered.py": "VALUE = 'from the layer'"})
    deploy.function("with-layer", "handlers.use_layer", layers=[layer])
    runtime = start_runtime()

    assert runtime.invoke("with-layer", {"module": "layered"}).json() == "from the layer"
    assert runtime.invoke("with-layer", {"module": "boto3"}).succeeded  # the runtime's SDK
    missing = runtime.invoke("with-layer", {"module": "requests"})  # in the venv, not the layer
    assert missing.function_error == "Unhandled"
    assert missing.json()["errorType"] == "ModuleNotFoundError"


def test_an_import_error_at_init_is_lambdas_import_module_error(deploy, start_runtime, aws):
    deploy.function("broken", "broken.handler", files={"broken.py": "import not_packaged\n"})
    runtime = start_runtime()

    answer = invoke(aws("lambda", runtime.invoke_url), "broken", {})

    assert answer["FunctionError"] == "Unhandled"
    body = json.loads(answer["Payload"].read())
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert (
        "Unable to import module 'broken': No module named 'not_packaged'" in body["errorMessage"]
    )


def test_function_error_is_200_with_unhandled_and_lambdas_error_json(deploy, start_runtime, aws):
    deploy.function("failing", "handlers.fail")
    runtime = start_runtime()

    answer = invoke(aws("lambda", runtime.invoke_url), "failing", {"n": 1})

    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    body = json.loads(answer["Payload"].read())
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == 'boom: {"n": 1}'
    assert body["stackTrace"]


def test_timeout_kills_the_worker_and_reports_task_timed_out(deploy, start_runtime):
    deploy.function("slow", "handlers.nap", timeout=1)
    runtime = start_runtime()

    started = time.monotonic()
    result = runtime.invoke("slow", {"seconds": 30})
    elapsed = time.monotonic() - started

    assert elapsed < 10
    assert result.function_error == "Unhandled"
    assert result.json()["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in result.json()["errorMessage"]
    # A fresh worker serves the next call.
    assert runtime.invoke("slow", {"seconds": 0.01}).json() == {"slept": 0.01}
    assert [r.outcome for r in runtime.invocations.records("slow")] == [
        "Sandbox.Timedout",
        "success",
    ]


def test_workers_run_concurrently_up_to_the_bound(deploy, start_runtime):
    deploy.function("napper", "handlers.nap", timeout=10)
    runtime = start_runtime()
    runtime.invoke("napper", {"seconds": 0})  # warm one worker

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(runtime.invoke("napper", {"seconds": 1})))
        for _ in range(2)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(r.succeeded for r in results)
    assert (
        time.monotonic() - started < 1.9
    )  # two workers (the default bound), not one after another


def test_unknown_function_is_resource_not_found(deploy, start_runtime, aws):
    deploy.function("known", "handlers.echo")
    runtime = start_runtime()
    client = aws("lambda", runtime.invoke_url)

    with pytest.raises(client.exceptions.ResourceNotFoundException):
        invoke(client, "unknown", {})


def test_event_invocation_is_accepted_then_run(deploy, start_runtime, aws):
    deploy.function("async-echo", "handlers.echo")
    runtime = start_runtime()

    answer = invoke(aws("lambda", runtime.invoke_url), "async-echo", {"a": 1}, "Event")
    runtime.wait_until_idle(20)

    assert answer["StatusCode"] == 202
    assert [(r.trigger, r.outcome) for r in runtime.invocations.records("async-echo")] == [
        ("invoke-api", "success")
    ]


def test_code_not_in_the_artifacts_dir_is_refused_as_stale(deploy, start_runtime):
    deploy.function("current", "handlers.echo")
    deploy.function("stale", "h.echo", files={"h.py": "def echo(e, c): return e"}, store=False)

    with pytest.raises(StaleArtifactError, match=r"function stale was deployed with CodeSha256"):
        start_runtime()


def test_runtime_does_not_inherit_os_environ_defaults_for_credentials(deploy, start_runtime):
    deploy.function("creds", "handlers.echo")
    runtime = start_runtime()

    env = runtime.invoke("creds", {}).json()["env"]

    assert env["AWS_ACCESS_KEY_ID"] != os.environ.get("AWS_ACCESS_KEY_ID", "unset-here")
    assert env["AWS_SESSION_TOKEN"]


def test_reload_follows_a_changed_environment_variable(deploy, start_runtime, aws):
    deploy.function("configurable", "handlers.echo", environment={"TABLE_NAME": "old"})
    runtime = start_runtime()
    assert runtime.invoke("configurable", {}).json()["env"]["TABLE_NAME"] == "old"

    aws("lambda").update_function_configuration(
        FunctionName="configurable", Environment={"Variables": {"PICS_TABLE": "new"}}
    )
    runtime.reload()

    env = runtime.invoke("configurable", {}).json()["env"]
    assert env["PICS_TABLE"] == "new"
    assert "TABLE_NAME" not in env
