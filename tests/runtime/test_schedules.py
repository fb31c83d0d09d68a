"""EventBridge scheduled rules with function targets."""

from __future__ import annotations

import time

from local.runtime import RuntimeSettings
from tests.runtime.conftest import FAST, drain


def make_rule(aws, function_arn, expression="rate(5 minutes)"):
    events = aws("events")
    rule_arn = events.put_rule(Name="sweep", ScheduleExpression=expression, State="ENABLED")[
        "RuleArn"
    ]
    events.put_targets(Rule="sweep", Targets=[{"Id": "sweeper", "Arn": function_arn}])
    return rule_arn


def test_fire_schedules_sends_the_scheduled_event_to_the_target(deploy, start_runtime, aws):
    seen_url, _ = deploy.queue("seen")
    arn = deploy.function("sweeper", "handlers.record", environment={"SEEN_QUEUE": "seen"})
    rule_arn = make_rule(aws, arn)
    runtime = start_runtime()

    runtime.fire_schedules()
    runtime.wait_until_idle(20)

    [event] = drain(aws("sqs"), seen_url, 1)
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"] == [rule_arn]
    assert event["detail"] == {}
    assert [r.trigger for r in runtime.invocations.records("sweeper")] == ["schedule:sweep"]


def test_a_scaled_clock_fires_rate_rules_by_itself(deploy, start_runtime, aws):
    arn = deploy.function("sweeper", "handlers.echo")
    make_rule(aws, arn, "rate(1 minute)")
    settings = RuntimeSettings(**{**FAST.__dict__, "schedule_clock_scale": 200.0})  # 0.3 s
    runtime = start_runtime(settings)

    deadline = time.monotonic() + 10
    while len(runtime.invocations.records("sweeper")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)

    assert len(runtime.invocations.records("sweeper")) >= 2
