"""Observability configuration beyond single bad values (those are rows of tests/test_bad_input_config.py)."""

from __future__ import annotations

import pytest

from streaming_tooling.testing import ProgramFailed

P = "streaming-observability"


def alarm(key, **tuning):
    return {"alarms": {key: tuning}}


def test_every_bad_value_is_reported_at_once(run_observability):
    config = {"alarmEmails": ["nope"], **alarm("functionErrors", threshold=0)}
    with pytest.raises(ProgramFailed) as failure:
        run_observability(config=config)
    assert set(failure.value.error.keys) == {f"{P}:alarmEmails", f"{P}:alarms['functionErrors']['threshold']"}


def test_good_recipients_are_accepted(run_observability):
    run = run_observability(
        config={
            "alarmEmails": ["oncall@example.com", "first.last+pipeline@sub.example.org"],
            "alarmHttpsEndpoint": "https://hooks.example.com:8443/sns?key=abc",
        },
        secret_keys=["alarmHttpsEndpoint"],
    )
    assert len(run.of_type("aws:sns/topicSubscription:TopicSubscription")) == 3
