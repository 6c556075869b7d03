"""Find the first wrong step of a gradient check, whatever the mistake is.

``stage_trace.traced`` records the intermediate values a check computes.  Here
the pipeline is walked in the order the lesson teaches it, and each recorded
value is compared with what the check's *own* earlier values imply: theta_plus
with the parameters plus epsilon at entry i, J_plus with the cost at the check's
own theta_plus, gradapprox with (J_plus - J_minus) / (2 * epsilon) of its own
J_plus and J_minus, the numerator with np.linalg.norm(grad - gradapprox) of its
own grad and gradapprox, and so on.  The first step that disagrees is wrong,
whatever the formula behind it; every step before it is right.

``Located.message()`` says so in the student's language, quoting the lesson's
formula of that step.  ``Renamed`` stands for a check that does not keep the
template's names: its steps cannot be followed, and the public tests say so.
"""

import numpy as np

from course_language import gettext as _

#: Two numbers computed by different but equivalent code (np.sqrt(np.sum(d ** 2))
#: against np.linalg.norm(d), (J_plus - J_minus) / (theta_plus - theta_minus)
#: against / (2 * epsilon), a float32 cost rounded back to float64) differ by
#: round-off of order 1e-13 relative; a wrong formula changes them by far more
#: than 1e-6 (a factor, a missing norm, a wrong index).  The absolute part keeps
#: values that should be 0 (a numerator with a perfect gradient) from failing on
#: round-off.
RTOL, ATOL = 1e-6, 1e-12

ORDER = ("theta_plus", "theta_minus", "J_plus", "J_minus", "gradapprox", "loop", "grad", "numerator",
         "denominator", "difference")

FORMULAS_1D = {
    "theta_plus": "theta_plus = theta + epsilon",
    "theta_minus": "theta_minus = theta - epsilon",
    "J_plus": "J_plus = forward_propagation(x, theta_plus)",
    "J_minus": "J_minus = forward_propagation(x, theta_minus)",
    "gradapprox": "gradapprox = (J_plus - J_minus) / (2 * epsilon)",
    "grad": "grad = backward_propagation(x, theta)",
    "numerator": "numerator = np.linalg.norm(grad - gradapprox)",
    "denominator": "denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)",
    "difference": "difference = numerator / denominator",
}
FORMULAS_N = {
    "theta_plus": "theta_plus[i] = parameters_values[i] + epsilon",
    "theta_minus": "theta_minus[i] = parameters_values[i] - epsilon",
    "J_plus": "J_plus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_plus))",
    "J_minus": "J_minus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_minus))",
    "gradapprox": "gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * epsilon)",
    "loop": "for i in range(num_parameters):",
    "grad": "grad = gradients_to_vector(gradients)",
    "numerator": FORMULAS_1D["numerator"],
    "denominator": FORMULAS_1D["denominator"],
    "difference": FORMULAS_1D["difference"],
}
#: Without these names the steps cannot be followed (numerator and denominator may be inlined).
REQUIRED_1D = ("theta_plus", "theta_minus", "J_plus", "J_minus", "gradapprox", "grad")
REQUIRED_N = REQUIRED_1D + ("i",)


#: The causes the older diagnosis names from the formula a check's number fits, and the
#: steps each of them is about: a cause about another step than the located one is a
#: coincidence of numbers (grad of the wrong sign fits gradapprox of the wrong sign),
#: and is left out.  Causes read from where the cost was evaluated are kept.
CAUSE_STAGES = {
    "gradapprox_no_two": {"gradapprox"}, "gradapprox_precedence": {"gradapprox"},
    "gradapprox_swapped": {"gradapprox"}, "gradapprox_sum_over_theta": {"gradapprox"},
    "gradapprox_sum": {"gradapprox"},
    "difference_numerator_only": {"difference"}, "difference_denominator_precedence": {"difference"},
    "difference_norm_of_sum": {"denominator"}, "difference_grad_only": {"denominator"},
    "difference_gradapprox_only": {"denominator"}, "difference_signed": {"numerator"},
    "difference_shape_mismatch": {"grad", "gradapprox", "numerator"},
    "wrong_index": {"theta_plus", "theta_minus"},
}


def cause_fits(cause, stage):
    """Whether a cause the older diagnosis named is about the located step."""
    return cause not in CAUSE_STAGES or stage in CAUSE_STAGES[cause]


def _show(value):
    return f"{value:.10g}" if isinstance(value, float) else str(value)


class Located:
    """The first wrong step: ``stage``, at ``entry`` (exercise 4), what the check
    computed there (``got``) and what its own earlier values imply (``expected``)."""

    def __init__(self, function, stage, got, expected, formulas, entry=None, kind="value", extra=None):
        self.function, self.stage, self.got, self.expected = function, stage, got, expected
        self.formula, self.entry, self.kind = formulas[stage], entry, kind
        self.extra = extra or {}
        self.earlier = [name for name in ORDER[:ORDER.index(stage)] if name in formulas and name != "loop"]

    def message(self):
        values = dict(function=self.function, stage=self.stage, got=_show(self.got),
                      expected=_show(self.expected), formula=self.formula, i=self.entry, **self.extra)
        if self.kind == "step" and not self.got:
            text = _("{function} goes wrong first at {stage}, at entry i = {i}: it is the parameters "
                     "themselves, unmoved, where {formula} moves entry {i} by {expected}.")
        elif self.kind == "step":
            text = _("{function} goes wrong first at {stage}, at entry i = {i}: it moves the parameters by "
                     "{got} (entry: step), where {formula} moves entry {i} alone, by {expected}.")
        elif self.kind == "shape":
            text = _("{function} goes wrong first at {stage}: it has shape {got}, where {formula} gives "
                     "shape {expected}.")
        elif self.kind == "inside_loop":
            text = _("{function} returned at i = {i}, inside its loop: entries {entries} of the {n} were "
                     "never computed. Move the comparison after the loop (numerator, denominator, "
                     "difference and return, at the indentation of the line {formula}).")
        elif self.kind == "loop":
            text = _("{function}'s loop stopped after entry {i}: entries {entries} of the {n} were never "
                     "computed. The loop is {formula}")
        elif self.entry is not None:
            text = _("{function} goes wrong first at {stage}, at entry i = {i}: it is {got}, where "
                     "{formula} with your own earlier values gives {expected}.")
        else:
            text = _("{function} goes wrong first at {stage}: it is {got}, where {formula} with your own "
                     "earlier values gives {expected}.")
        text = text.format(**values)
        if self.earlier:
            # On a line of its own: each line a student reads is one message of the catalogue.
            text += "\n" + _("The steps before it are right: {steps}.").format(steps=", ".join(self.earlier))
        return text


class Renamed:
    """A check without the template's names: its steps cannot be followed one by one."""

    stage = None

    def __init__(self, function, missing):
        self.function, self.missing = function, missing

    def message(self):
        return _("{function} does not keep the template's names ({names} missing), so its steps cannot "
                 "be followed one by one; what follows comes from the record of where it evaluated the "
                 "cost.").format(function=self.function, names=", ".join(self.missing))


def _number(value):
    """One float from what the check stored (a float, an array holding one), or None."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    if array.size != 1:
        return None
    return float(array.ravel()[0])


def _agree(got, expected):
    got, expected = _number(got), _number(expected)
    return got is not None and expected is not None and bool(
        np.isclose(got, expected, rtol=RTOL, atol=ATOL))


def _vector(value):
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


def _step_tolerance(base):
    # theta + epsilon in float64 is off by half an ulp of theta; nudging in place and
    # undoing it, or theta_plus - 2 * epsilon, by a few more: 64 ulps cover them all.
    return 64 * np.finfo(float).eps * np.maximum(1.0, np.abs(base))


def _missing(trace, required):
    names = trace.names()
    return [name for name in required if name not in names]


def _used_before(events, name, consumer, index=None):
    """``name`` as it was when the line that first changed ``consumer`` (or
    ``consumer[index]``) ran: the event just before that change.  None when
    ``consumer`` never changed among ``events``."""

    def read(event):
        value = event.values.get(consumer)
        if value is None or index is None:
            return value
        try:
            return float(np.ravel(value)[index])
        except (IndexError, TypeError, ValueError):
            return None

    first = read(events[0])
    for previous, event in zip(events, events[1:]):
        now = read(event)
        if now is not None and (first is None or not np.array_equal(np.asarray(now), np.asarray(first))):
            return previous.values.get(name)
    return None


# --- exercise 3 ----------------------------------------------------------------------------------


def locate_one_parameter(trace, x, theta, epsilon, cost, derivative, returned):
    """The first wrong step of one traced gradient_check call, a Renamed, or None.

    ``cost(x, theta)`` and ``derivative(x, theta)`` are the forward and backward
    passes the check was given (without their recording)."""
    function = "gradient_check"
    missing = _missing(trace, REQUIRED_1D)
    if missing:
        return Renamed(function, missing)
    final = trace.final

    def located(stage, got, expected):
        return Located(function, stage, got, expected, FORMULAS_1D)

    points = {}
    for stage, sign, consumer in (("theta_plus", 1, "J_plus"), ("theta_minus", -1, "J_minus")):
        used = _used_before(trace.events, stage, consumer)
        used = final.get(stage) if used is None else used
        value = _number(used)
        if value is None or abs((value - theta) - sign * epsilon) > RTOL * epsilon + _step_tolerance(theta):
            return located(stage, used if value is None else value, theta + sign * epsilon)
        points[stage] = value
    for stage, point in (("J_plus", points["theta_plus"]), ("J_minus", points["theta_minus"])):
        expected = cost(x, point)
        if not _agree(final.get(stage), expected):
            return located(stage, _number(final.get(stage)) or final.get(stage), expected)
    J_plus, J_minus = _number(final["J_plus"]), _number(final["J_minus"])
    expected = (J_plus - J_minus) / (2 * epsilon)
    if not _agree(final.get("gradapprox"), expected):
        return located("gradapprox", _number(final.get("gradapprox")), expected)
    expected = derivative(x, theta)
    if not _agree(final.get("grad"), expected):
        return located("grad", _number(final.get("grad")), expected)
    return _locate_difference(function, final, returned, FORMULAS_1D, located)


def _locate_difference(function, final, returned, formulas, located):
    """numerator, denominator and difference against the check's own grad and gradapprox."""
    grad, gradapprox = _vector(final.get("grad")), _vector(final.get("gradapprox"))
    with np.errstate(all="ignore"):
        numerator = float(np.linalg.norm(grad - gradapprox))
        denominator = float(np.linalg.norm(grad) + np.linalg.norm(gradapprox))
        have = {name: _number(final.get(name)) for name in ("numerator", "denominator")}
        if "numerator" in final and not _agree(final["numerator"], numerator):
            return located("numerator", have["numerator"] if have["numerator"] is not None
                           else final["numerator"], numerator)
        if "denominator" in final and not _agree(final["denominator"], denominator):
            return located("denominator", have["denominator"] if have["denominator"] is not None
                           else final["denominator"], denominator)
        top = have["numerator"] if have.get("numerator") is not None else numerator
        bottom = have["denominator"] if have.get("denominator") is not None else denominator
        expected = top / bottom if bottom else float("nan")
    if _number(returned) is not None and np.isfinite(expected) and not _agree(returned, expected):
        return located("difference", _number(returned), expected)
    return None


# --- exercise 4 ----------------------------------------------------------------------------------


def _iterations(events):
    """{i: [events while the loop variable was i]}, in the order the loop ran."""
    groups = {}
    for event in events:
        i = event.values.get("i")
        number = _number(i)
        if number is None or not float(number).is_integer():
            continue
        groups.setdefault(int(number), []).append(event)
    return groups


def _moves(vector, base):
    """{entry: step} of the entries of ``vector`` more than round-off away from ``base``."""
    delta = vector - base
    moved = np.flatnonzero(np.abs(delta) > _step_tolerance(base))
    if not moved.size:
        return ""
    shown = ", ".join(f"{int(j)}: {delta[j]:.4g}" for j in moved[:5])
    return "{" + shown + (", ...}" if moved.size > 5 else "}")


def locate_network(trace, theta, epsilon, cost, grad_expected, returned):
    """The first wrong step of one traced gradient_check_n call, a Renamed, or None.

    ``theta`` is the flat parameter vector the check was given, ``cost(vector)``
    the cost at a flat vector (without recording), ``grad_expected`` what
    gradients_to_vector gives on the gradients it was given."""
    function = "gradient_check_n"
    missing = _missing(trace, REQUIRED_N)
    if missing:
        return Renamed(function, missing)
    base = np.ravel(np.asarray(theta, dtype=float))
    n = base.size
    groups = _iterations(trace.events)
    final = trace.final
    found = {}   # stage -> Located, the first entry where each stage is wrong

    def located(stage, got, expected, entry=None, kind="value", **extra):
        return Located(function, stage, got, expected, FORMULAS_N, entry, kind, extra)

    for i, events in groups.items():
        if i < 0 or i >= n:
            continue
        last = events[-1].values
        points = {}
        for stage, sign, consumer in (("theta_plus", 1, "J_plus"), ("theta_minus", -1, "J_minus")):
            used = _used_before(events, stage, consumer, index=i)
            used = last.get(stage) if used is None else used
            vector = _vector(used)
            points[stage] = vector
            if stage in found:
                continue
            target = base.copy()
            target[i] += sign * epsilon
            if vector is None or vector.size != n:
                found[stage] = located(stage, getattr(vector, "shape", used), (n, 1), kind="shape")
                continue
            vector = vector.ravel()
            wrong = np.abs(vector - target) > RTOL * epsilon + _step_tolerance(base)
            if wrong.any():
                found[stage] = located(stage, _moves(vector, base), sign * epsilon, entry=i, kind="step")
        # A value is read at the end of its iteration, or at the return: a check may fill
        # J_plus[i] in the loop and gradapprox after it, in one vectorised line.
        for stage, point in (("J_plus", points["theta_plus"]), ("J_minus", points["theta_minus"])):
            if stage in found or point is None or point.size != n:
                continue
            got = _entry(last.get(stage), i)
            expected = cost(point.reshape(-1, 1))
            if not (_agree(got, expected) or _agree(_entry(final.get(stage), i), expected)):
                found[stage] = located(stage, got, expected, entry=i)
        if "gradapprox" not in found:
            for values in (last, final):
                J_plus, J_minus = _entry(values.get("J_plus"), i), _entry(values.get("J_minus"), i)
                got = _entry(values.get("gradapprox"), i)
                if J_plus is None or J_minus is None:
                    continue
                expected = (J_plus - J_minus) / (2 * epsilon)
                if _agree(got, expected):
                    break
            else:
                if J_plus is not None and J_minus is not None:
                    found["gradapprox"] = located("gradapprox", got, expected, entry=i)
    for stage in ORDER[:5]:
        if stage in found:
            return found[stage]

    never = sorted(set(range(n)) - set(groups))
    if never:
        last_i = max(groups) if groups else -1
        entries = _ranges(never)
        if _returned_inside_loop(trace.events, groups):
            return located("loop", None, None, entry=last_i, kind="inside_loop", entries=entries, n=n)
        return located("loop", None, None, entry=last_i, kind="loop", entries=entries, n=n)

    grad = _vector(final.get("grad"))
    expected = np.asarray(grad_expected, dtype=float)
    if grad is None or grad.shape != expected.shape:
        return located("grad", getattr(grad, "shape", final.get("grad")), expected.shape, kind="shape")
    wrong = np.flatnonzero(~np.isclose(grad, expected, rtol=RTOL, atol=ATOL).ravel())
    if wrong.size:
        j = int(wrong[0])
        return located("grad", float(grad.ravel()[j]), float(expected.ravel()[j]), entry=j)
    gradapprox = _vector(final.get("gradapprox"))
    if gradapprox is not None and gradapprox.shape != grad.shape:
        return located("gradapprox", gradapprox.shape, grad.shape, kind="shape")
    return _locate_difference(function, final, returned, FORMULAS_N, located)


def _entry(value, i):
    try:
        return float(np.ravel(np.asarray(value, dtype=float))[i])
    except (IndexError, TypeError, ValueError):
        return None


def _ranges(entries):
    """0, 1, ..., 46 as '0 to 46'; a few scattered ones listed."""
    if entries == list(range(entries[0], entries[-1] + 1)) and len(entries) > 2:
        return f"{entries[0]}-{entries[-1]}"
    return ", ".join(str(j) for j in entries[:10])


def _returned_inside_loop(events, groups):
    """True when the function returned before its for line ran out: the line that
    bound i first (the for line) never ran again in the last iteration."""
    first = next((k for k, event in enumerate(events) if "i" in event.values), None)
    if not first or not groups:
        return False
    for_line = events[first - 1].line
    last_events = groups[max(groups)]
    return not any(event.line == for_line for event in last_events[1:])
