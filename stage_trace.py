"""Watch a gradient check compute its intermediate values, line by line.

``traced(function, *args)`` calls ``function`` under ``sys.settrace`` and records,
at every line of that one function (never of what it calls) and at its return, a
copy of the locals the exercises' templates name (``theta_plus``, ``J_plus``,
``gradapprox``, ...).  The record says what each value was when the next line
used it, and where the function returned: after its loop, or inside it, at which
``i``.  ``stages.py`` reads the record to find the first wrong step.

A tracer already installed (a debugger, coverage) keeps running: every frame but
the watched one is handed to it, the watched one too, and it is put back after the
call, also when the call raises.
"""

import sys

import numpy as np

#: The locals the templates of exercises 3 and 4 name, and the loop variable.
NAMES = ("theta_plus", "theta_minus", "J_plus", "J_minus", "gradapprox", "grad", "numerator",
         "denominator", "difference", "i", "epsilon")


def _copy(value):
    """A snapshot that later in-place changes (theta_plus[i] += ...) do not reach."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, np.generic):
        return value.copy()
    if isinstance(value, (int, float, complex, bool, str, type(None))):
        return value
    try:
        return np.array(value, dtype=float)
    except Exception:  # noqa: BLE001 - something no array can hold: keep the object itself
        return value


class Event:
    """The watched locals just before ``line`` runs (``kind`` "line"), or at the return."""

    __slots__ = ("kind", "line", "values")

    def __init__(self, kind, line, values):
        self.kind, self.line, self.values = kind, line, values


class Trace:
    """What one traced call did: its events in order, and what it returned."""

    def __init__(self):
        self.events = []
        self.returned = None

    @property
    def final(self):
        """The watched locals at the return (the last event)."""
        return self.events[-1].values if self.events else {}

    def names(self):
        """Every watched name the function bound at some point."""
        return {name for event in self.events for name in event.values}


def traced(function, *args, **kwargs):
    """Call ``function(*args, **kwargs)``; return ``(result, Trace)``."""
    code = getattr(function, "__code__", None)
    trace = Trace()
    if code is None:   # a builtin or a callable object: nothing to watch
        return function(*args, **kwargs), trace
    previous = sys.gettrace()

    def record(frame, kind):
        local = frame.f_locals
        trace.events.append(Event(kind, frame.f_lineno,
                                  {name: _copy(local[name]) for name in NAMES if name in local}))

    def watch(previous_local):
        def local_tracer(frame, event, arg):
            nonlocal previous_local
            if event == "line":
                record(frame, "line")
            elif event == "return":
                record(frame, "return")
            if previous_local is not None:
                previous_local = previous_local(frame, event, arg)
            return local_tracer
        return local_tracer

    def global_tracer(frame, event, arg):
        handed = previous(frame, event, arg) if previous is not None else None
        if frame.f_code is code:
            return watch(handed)
        return handed

    sys.settrace(global_tracer)
    try:
        result = function(*args, **kwargs)
    finally:
        sys.settrace(previous)
    trace.returned = result
    return result, trace
