"""stage_trace records one function's named locals and leaves any other tracer running."""

import sys

import numpy as np
import pytest

from stage_trace import traced


def helper(value):
    return value * 2


def check(theta, epsilon):
    theta_plus = np.array([theta])
    theta_plus[0] += epsilon          # an in-place change: the record keeps each state
    J_plus = helper(float(theta_plus[0]))
    for i in range(3):
        if i == 1:
            return J_plus
    return None


def failing(theta):
    theta_plus = theta + 1
    raise ValueError(theta_plus)


def test_records_every_line_and_the_return():
    result, trace = traced(check, 1.0, 0.5)
    assert result == 3.0
    states = [event.values.get("theta_plus") for event in trace.events]
    seen = [float(s[0]) for s in states if s is not None]
    assert 1.0 in seen and 1.5 in seen, seen          # before and after the in-place nudge
    assert trace.events[-1].kind == "return"
    assert trace.final["i"] == 1 and trace.final["J_plus"] == 3.0
    assert all("value" not in event.values for event in trace.events), "helper's frame is not recorded"


def test_an_installed_tracer_keeps_running_and_is_put_back():
    seen = []

    def outer(frame, event, arg):
        seen.append((frame.f_code.co_name, event))
        return inner

    def inner(frame, event, arg):
        seen.append((frame.f_code.co_name, event))
        return inner

    sys.settrace(outer)
    try:
        traced(check, 1.0, 0.5)
        with pytest.raises(ValueError):
            traced(failing, 1.0)
        after = sys.gettrace()
    finally:
        sys.settrace(None)
    assert after is outer
    assert ("helper", "call") in seen and ("check", "line") in seen and ("check", "return") in seen
    assert ("failing", "line") in seen


def test_no_tracer_is_left_behind():
    before = sys.gettrace()
    traced(check, 1.0, 0.5)
    with pytest.raises(ValueError):
        traced(failing, 2.0)
    assert sys.gettrace() is before


def test_a_builtin_is_called_without_a_record():
    result, trace = traced(abs, -2)
    assert result == 2 and trace.events == []
