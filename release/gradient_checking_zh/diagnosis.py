"""How the public tests find out what a gradient check did wrong.

``public_tests`` does not only look at the number a check returns.  It runs the
student's check with stand-ins for the functions it calls: a cost that records
every point where it is evaluated, a backward pass that records whether it was
called, a gradients dictionary that records whether it was read.  The record
says how the check worked (which coordinates moved, by how much, in which
precision); the number it returned, compared with what each common formula
would give on the same recorded costs, says which formula it used.  A mistake
is named only when the record or that comparison shows it; otherwise the
message says what was observed and what was expected.

Every sentence a student reads goes through ``_``, ``course_language``'s
gettext, with the English text as the message id: a translated assignment
shows it in its language.
"""

import contextlib
import io
import re

import numpy as np

from course_language import gettext as _
from gc_utils import BACKWARD_FINE, BACKWARD_MISTAKE

YELLOW = "\033[93m"
RESET = "\033[0m"
THRESHOLD = 2e-7   # the notebook's line between a right and a wrong gradient


# --- failing and noting ----------------------------------------------------------------------


def fail(mistake, message, **values):
    """Raise the AssertionError a student reads; ``mistake`` names the cause for the kit's tests."""
    error = AssertionError(message.format(**values))
    error.mistake = mistake
    raise error


def note(message, **values):
    """A visible remark that costs nothing: printed, never raised."""
    print(YELLOW + message.format(**values) + RESET)


def shown(value):
    """A number as a message shows it: exact for what the student returned."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return repr(float(value))


def short(value):
    return f"{float(value):.3g}"


def check_number(value, function):
    """Fail unless ``value`` is one real, finite number (int, float, NumPy scalar)."""
    if isinstance(value, np.ndarray):
        if "gradient_check" in function:
            fail("ndarray", _("{function} returned an ndarray of shape {shape}; return a single number "
                              "(np.linalg.norm of a vector already gives one)"),
                 function=function, shape=value.shape)
        fail("ndarray", _("{function} returned an ndarray of shape {shape}; return a single number"),
             function=function, shape=value.shape)
    if value is None:
        fail("none", _("{function} returned None; it must end with a return statement that "
                       "returns the number"), function=function)
    if isinstance(value, (tuple, list, dict)):
        fail("sequence", _("{function} returned a {kind}; return a single number"),
             function=function, kind=type(value).__name__)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        fail("not_a_number", _("{function} returned {value!r} of type {kind}; return a number"),
             function=function, value=value, kind=type(value).__name__)
    if not np.isfinite(value):
        fail("not_finite", _("{function} returned {value}; expected a finite number"),
             function=function, value=value)


@contextlib.contextmanager
def rebound(namespace, replacements):
    """Bind ``replacements`` in ``namespace`` (a function's globals) for the block;
    put back what was there, or remove what was not, even when the block fails."""
    missing = object()
    saved = {name: namespace.get(name, missing) for name in replacements}
    namespace.update(replacements)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def student_globals(function):
    """The namespace the student's function looks its helpers up in (the notebook's)."""
    namespace = getattr(function, "__globals__", None)
    return namespace if isinstance(namespace, dict) else {}


# --- printing is not graded: notes about the verdict line -------------------------------------


def captured(call):
    """Run ``call()`` with stdout and stderr captured; return (result, printed text)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        result = call()
    return result, printed.getvalue()


def _numbers_in(text):
    found = []
    for token in re.findall(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", text):
        try:
            found.append(float(token))
        except ValueError:
            pass
    return found


def verdict_note(function, printed, difference):
    """A note when the verdict line printed with ``print_msg=True`` is missing or worded
    otherwise than the notebook's given lines; nothing when it is there."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", printed)
    if not text.strip():
        note(_("Note (no points involved): {function}(..., print_msg=True) printed nothing. "
               "The given lines after your code print the verdict and the difference; "
               "put them back to see them."), function=function)
        return
    right = float(difference) <= THRESHOLD
    wanted = BACKWARD_FINE if right else BACKWARD_MISTAKE   # in the assignment's language
    english = ("Your backward propagation works perfectly fine!" if right
               else "There is a mistake in the backward propagation!")
    if wanted not in text and english not in text:
        note(_("Note (no points involved): for a difference of {difference}, "
               "{function}(..., print_msg=True) prints “{printed}”, not the verdict “{wanted}”."),
             function=function, difference=short(difference), printed=text.strip()[:200],
             wanted=wanted)
        return
    # A printed difference is rounded to a few digits (f"{d:.2e}" keeps 3): 1 % accepts any such rounding.
    if not any(np.isclose(number, float(difference), rtol=1e-2, atol=0) for number in _numbers_in(text)):
        note(_("Note (no points involved): {function}(..., print_msg=True) prints its verdict "
               "without the difference {difference}."), function=function, difference=short(difference))


# --- the formulas a check may have used, for recognising the one it did use --------------------
# Each entry: what the student may have written, and the mistake it is (None: right).


def _norm(value):
    return float(np.linalg.norm(value))


GRADAPPROX_FORMULAS = {
    # key: (function of J_plus, J_minus, epsilon, theta)
    None: lambda jp, jm, e, t: (jp - jm) / (2 * e),
    "no_two": lambda jp, jm, e, t: (jp - jm) / e,
    "precedence": lambda jp, jm, e, t: (jp - jm) / 2 * e,
    "swapped": lambda jp, jm, e, t: (jm - jp) / (2 * e),
    "sum_over_theta": lambda jp, jm, e, t: (jp + jm) / (2 * t),
    "sum": lambda jp, jm, e, t: (jp + jm) / (2 * e),
}

DIFFERENCE_FORMULAS = {
    # key: (function of grad and gradapprox, for 1-D only)
    None: (lambda g, a: _norm(g - a) / (_norm(g) + _norm(a)), False),
    "numerator_only": (lambda g, a: _norm(g - a), False),
    "norm_of_sum": (lambda g, a: _norm(g - a) / _norm(g + a), False),
    "signed": (lambda g, a: float(np.sum(g - a)) / (_norm(g) + _norm(a)), True),
    "denominator_precedence": (lambda g, a: _norm(g - a) / _norm(g) + _norm(a), False),
    "grad_only": (lambda g, a: _norm(g - a) / _norm(g), False),
    "gradapprox_only": (lambda g, a: _norm(g - a) / _norm(a), False),
    "shape_mismatch": (lambda g, a: _norm(np.reshape(g, (-1, 1)) - np.reshape(a, (1, -1)))
                       / (_norm(g) + _norm(a)), None),
}


def _floats(value):
    return np.asarray(value, dtype=float)


def recognised_formulas(probes, one_dimensional):
    """The (gradapprox, difference) formula pairs that give what the check returned in
    every probe.  A probe is (J_plus, J_minus, epsilon, theta, grad, returned)."""
    matches = []
    for a_key, approx in GRADAPPROX_FORMULAS.items():
        for d_key, (difference, only_1d) in DIFFERENCE_FORMULAS.items():
            if (only_1d is True and not one_dimensional) or (only_1d is None and one_dimensional):
                continue
            try:
                with np.errstate(all="ignore"):
                    values = [difference(_floats(g), approx(_floats(jp), _floats(jm), e, t))
                              for jp, jm, e, t, g, _returned in probes]
            except (ValueError, ZeroDivisionError, FloatingPointError):
                continue
            # Recognising a formula: a guarded division (+ 1e-12, or a relative 1e-7) or another order
            # of operations moves the number by 1e-7 relative at most; two formulas of the list differ
            # by 1 % or more on the probes. atol 1e-15 for values that are 0 to rounding.
            if all(np.isfinite(value) and np.isclose(value, float(returned), rtol=1e-6, atol=1e-15)
                   for value, (*_rest, returned) in zip(values, probes)):
                matches.append((a_key, d_key))
    return matches


def name_formula(function, matches, probes):
    """Fail with the formula mistake the matches show, or with what was observed."""
    if (None, None) in matches:
        return
    if matches:
        fewest = min(matches, key=lambda pair: sum(key is not None for key in pair))
        a_key, d_key = fewest
        if a_key is not None:
            _fail_gradapprox(function, a_key)
        _fail_difference(function, d_key)
    jp, jm, e, t, g, returned = probes[-1]
    gradapprox = GRADAPPROX_FORMULAS[None](_floats(jp), _floats(jm), e, t)
    expected = DIFFERENCE_FORMULAS[None][0](_floats(g), gradapprox)
    fail("unrecognised", _("{function} returned {value} where the relative difference of its own "
                           "evaluations of the cost is {expected} (epsilon = {epsilon}). Compare "
                           "gradapprox and difference with the formulas of the instructions."),
         function=function, value=shown(returned), expected=shown(expected), epsilon=e)


def _fail_gradapprox(function, key):
    messages = {
        "no_two": _("gradapprox is (J_plus - J_minus) / epsilon, twice too large: theta_plus and "
                    "theta_minus are 2 * epsilon apart, so divide by (2 * epsilon)."),
        "precedence": _("gradapprox is computed as (J_plus - J_minus) / 2 * epsilon, which multiplies "
                        "by epsilon: write (J_plus - J_minus) / (2 * epsilon), with the parentheses."),
        "swapped": _("gradapprox has the wrong sign: it is (J_minus - J_plus) / (2 * epsilon); the "
                     "centered difference is (J_plus - J_minus) / (2 * epsilon)."),
        "sum_over_theta": _("gradapprox is (J_plus + J_minus) / (2 * theta): the centered difference "
                            "subtracts the two costs and divides by their distance, "
                            "(J_plus - J_minus) / (2 * epsilon)."),
        "sum": _("gradapprox adds J_plus and J_minus: the centered difference subtracts them, "
                 "(J_plus - J_minus) / (2 * epsilon)."),
    }
    fail(f"gradapprox_{key}", messages[key])


def _fail_difference(function, key):
    messages = {
        "numerator_only": _("{function} returns the numerator np.linalg.norm(grad - gradapprox) "
                            "alone: divide it by np.linalg.norm(grad) + np.linalg.norm(gradapprox)."),
        "norm_of_sum": _("The denominator is np.linalg.norm(grad + gradapprox), the norm of the sum: "
                         "it must be the sum of the norms, np.linalg.norm(grad) + "
                         "np.linalg.norm(gradapprox)."),
        "signed": _("{function} can return a negative number: the numerator is grad - gradapprox "
                    "itself, and must be its norm, np.linalg.norm(grad - gradapprox)."),
        "denominator_precedence": _("difference is computed as numerator / np.linalg.norm(grad) + "
                                    "np.linalg.norm(gradapprox), which adds the second norm after "
                                    "dividing: put the whole denominator in parentheses."),
        "grad_only": _("The denominator is np.linalg.norm(grad) alone: it must be "
                       "np.linalg.norm(grad) + np.linalg.norm(gradapprox)."),
        "gradapprox_only": _("The denominator is np.linalg.norm(gradapprox) alone: it must be "
                             "np.linalg.norm(grad) + np.linalg.norm(gradapprox)."),
        "shape_mismatch": _("{function} returned what grad - gradapprox gives when one has shape "
                            "(n, 1) and the other (n,): NumPy broadcasts them to an n x n matrix. "
                            "Give gradapprox the shape of grad, (n, 1)."),
    }
    fail(f"difference_{key}", messages[key], function=function)


# --- exercise 3: one parameter ------------------------------------------------------------------


class OneParameterStandIn:
    """forward_propagation and backward_propagation for the check to call: a known cost
    and its derivative times ``factor`` (1 for a right backward pass), both recording."""

    def __init__(self, cost, derivative, factor=1.0):
        self.cost, self.derivative, self.factor = cost, derivative, factor
        self.evaluations = []   # (x, theta, J)
        self.gradients = []     # (x, theta, dtheta)

    def functions(self):
        def forward_propagation(x, theta):
            J = self.cost(x, theta)
            self.evaluations.append((x, theta, J))
            return J

        def backward_propagation(x, theta):
            dtheta = self.factor * self.derivative(x, theta)
            self.gradients.append((x, theta, dtheta))
            return dtheta

        return {"forward_propagation": forward_propagation, "backward_propagation": backward_propagation}


def _scalar(value):
    """One number from what the check passed or got (a float, or an array holding one)."""
    return float(np.ravel(np.asarray(value, dtype=float))[0])


def _low_precision(value):
    return isinstance(value, (np.floating, np.ndarray)) and np.asarray(value).dtype.itemsize < 8


def diagnose_one_parameter(stand_in, x, theta, epsilon, returned):
    """Name what the record of one gradient_check call shows wrong; return the probe
    (J_plus, J_minus, epsilon, theta, grad, returned) when the evaluations were right."""
    function = "gradient_check"
    if not stand_in.evaluations:
        fail("no_forward", _("gradient_check never called forward_propagation: J_plus and J_minus must "
                             "come from it, at theta_plus and theta_minus."))
    for got_x, got_theta, _J in stand_in.evaluations:
        if _low_precision(got_theta) or _low_precision(got_x):
            fail("float32", _("{function} evaluated the cost in {dtype}: in that precision theta + epsilon "
                              "hardly differs from theta. Keep x, theta and epsilon in float64."),
                 function=function, dtype=np.asarray(got_theta).dtype)
        # x is passed through unchanged when right (exact); a swap or a nudge moves it by epsilon or more.
        if not np.isclose(_scalar(got_x), x, rtol=1e-12, atol=0):
            if (np.isclose(_scalar(got_theta), x, rtol=1e-12, atol=0)
                    and abs(_scalar(got_x) - theta) <= 2 * epsilon):
                fail("swapped_arguments", _("gradient_check calls forward_propagation(theta, x): the "
                                            "arguments are the other way round, "
                                            "forward_propagation(x, theta_plus)."))
            fail("wrong_x", _("gradient_check was given x = {given} but passed x = {got} to "
                              "forward_propagation: use its argument x, not a variable from "
                              "elsewhere in the notebook."), given=shown(x), got=shown(got_x))
    if _low_precision(returned):
        fail("float32", _("{function} evaluated the cost in {dtype}: in that precision theta + epsilon "
                          "hardly differs from theta. Keep x, theta and epsilon in float64."),
             function=function, dtype=np.asarray(returned).dtype)

    steps = [(_scalar(t) - theta) / epsilon for _x, t, _J in stand_in.evaluations]
    values = [_scalar(t) for _x, t, _J in stand_in.evaluations]
    if abs(theta) > 2 * epsilon and any(abs(v) == epsilon for v in values):
        fail("set_not_add", _("gradient_check evaluated the cost at theta = {point}, which is epsilon "
                              "itself: theta_plus is theta + epsilon (and theta_minus is "
                              "theta - epsilon), not epsilon."),
             point=shown(next(v for v in values if abs(v) == epsilon)))
    _name_steps(function, steps, epsilon, away_from_theta=[abs(v - theta) for v in values],
                theta=theta)

    if not stand_in.gradients:
        fail("no_backward", _("gradient_check never called backward_propagation: grad must come from "
                              "backward_propagation(x, theta), the function being checked."))
    for got_x, got_theta, _dtheta in stand_in.gradients:
        # grad at theta itself is exact; at theta +- epsilon it is off by epsilon (1e-3 here) or more.
        if not (np.isclose(_scalar(got_theta), theta, rtol=1e-12, atol=0)
                and np.isclose(_scalar(got_x), x, rtol=1e-12, atol=0)):
            fail("grad_not_at_theta", _("gradient_check computed grad at theta = {got} instead of "
                                        "theta = {theta}: call backward_propagation(x, theta)."),
                 got=shown(got_theta), theta=shown(theta))
    J_plus = next(J for (_x, t, J), s in zip(stand_in.evaluations, steps) if _near(s, 1))
    J_minus = next(J for (_x, t, J), s in zip(stand_in.evaluations, steps) if _near(s, -1))
    return (_scalar(J_plus), _scalar(J_minus), epsilon, theta, _scalar(stand_in.gradients[-1][2]), returned)


def _near(step, target):
    # Steps are counted in epsilons: theta +- epsilon computed in float64 is 1 to 1e-9 at worst, a
    # wrong step (2 epsilon, epsilon / 2, a fixed 1e-7) is off by 0.5 or more.
    return abs(step - target) <= 1e-6


def _few(values, most=5):
    """At most ``most`` values, then an ellipsis: a message lists examples, not all 47."""
    return ", ".join(values[:most]) + (", ..." if len(values) > most else "")


def _name_steps(function, steps, epsilon, away_from_theta, theta):
    """Fail unless some evaluations sit at theta + epsilon and some at theta - epsilon,
    and none elsewhere than those two points and theta itself."""
    plus = sum(_near(s, 1) for s in steps)
    minus = sum(_near(s, -1) for s in steps)
    at_theta = sum(_near(s, 0) for s in steps)
    others = [d for s, d in zip(steps, away_from_theta) if not (_near(s, 1) or _near(s, -1) or _near(s, 0))]
    if others:
        # A fixed step of 1e-7 is that to rounding (1e-9 relative of theta + 1e-7 - theta); 1e-3 keeps it
        # apart from any step the probes give (1e-3, 1e-4).
        if epsilon != 1e-7 and all(np.isclose(d, 1e-7, rtol=1e-3) for d in others):
            fail("ignores_epsilon", _("{function} was given epsilon = {epsilon} but moved theta by "
                                      "1e-07: use the epsilon argument, not a fixed number."),
                 function=function, epsilon=epsilon)
        fail("wrong_step", _("{function} moved theta by {steps} where epsilon is {epsilon}: evaluate the "
                             "cost at theta + epsilon and at theta - epsilon."),
             function=function, steps=_few(sorted({short(d) for d in others}, key=float)), epsilon=epsilon)
    if plus and minus:
        return
    if not plus and not minus:
        fail("no_step", _("{function} evaluated the cost only at theta itself: J_plus and J_minus "
                          "need theta + epsilon and theta - epsilon."), function=function)
    if at_theta:
        fail("one_sided", _("{function} evaluated the cost at theta {side} epsilon and at theta itself: "
                            "that is a one-sided difference. Evaluate J_plus at theta + epsilon and "
                            "J_minus at theta - epsilon."),
             function=function, side="+" if plus else "-")
    fail("both_plus" if plus else "both_minus",
         _("Both evaluations of the cost are at theta {side} epsilon: J_plus needs theta + epsilon "
           "and J_minus needs theta - epsilon."), side="+" if plus else "-")


# --- exercise 4: many parameters ------------------------------------------------------------------


class CostAndCache(tuple):
    """What forward_propagation_n returns, (cost, cache), noticing when the pair itself
    is turned into a number (stored whole into an array element)."""

    stand_in = None

    def _as_number(self):
        if self.stand_in is not None:
            self.stand_in.pair_stored = True
        return float(self[0])

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self._as_number(), dtype=dtype)

    def __float__(self):
        return self._as_number()


class RecordingGradients(dict):
    """The gradients dictionary, noticing whether the check reads it."""

    def _read(self):
        self.read = True

    def __getitem__(self, key):
        self._read()
        return super().__getitem__(key)

    def get(self, *args):
        self._read()
        return super().get(*args)

    def __contains__(self, key):
        self._read()
        return super().__contains__(key)

    def __iter__(self):
        self._read()
        return super().__iter__()

    def keys(self):
        self._read()
        return super().keys()

    def values(self):
        self._read()
        return super().values()

    def items(self):
        self._read()
        return super().items()

    def copy(self):
        self._read()
        return dict(super().items())


class Evaluation:
    """One call of the cost: where (the flat parameter vector), on what, in which precision."""

    def __init__(self, vector, dtype, memory, same_X, same_Y, cost):
        self.vector, self.dtype, self.memory = vector, dtype, memory
        self.same_X, self.same_Y, self.cost = same_X, same_Y, cost


class NetworkStandIn:
    """forward_propagation_n and backward_propagation_n for the check to call: the cost
    records every evaluation; the backward pass only records that it was called."""

    def __init__(self, cost, X, Y, shapes, backward=None):
        self.cost, self.X, self.Y, self.shapes = cost, X, Y, shapes
        self.backward = backward
        self.evaluations = []
        self.backward_called = False
        self.pair_stored = False

    def flatten(self, parameters):
        blocks = []
        for name, shape in self.shapes.items():
            if not hasattr(parameters, "__getitem__") or name not in parameters:
                fail("bad_parameters", _("forward_propagation_n was called with parameters that have no "
                                         "{name}: build them with vector_to_dictionary(theta_plus)."),
                     name=name)
            block = np.asarray(parameters[name])
            if block.size != int(np.prod(shape)):
                fail("bad_parameters", _("forward_propagation_n was called with {name} of shape {got}; "
                                         "expected {shape}: build the parameters with "
                                         "vector_to_dictionary(theta_plus)."),
                     name=name, got=block.shape, shape=shape)
            blocks.append(block)
        return blocks

    def functions(self):
        def forward_propagation_n(X, Y, parameters):
            blocks = self.flatten(parameters)
            vector = np.concatenate([np.ravel(b).astype(float) for b in blocks])
            dtype = np.result_type(*blocks)
            result = self.cost(X, Y, parameters)
            cost, cache = result
            self.evaluations.append(Evaluation(vector, dtype, blocks[0], _same(X, self.X), _same(Y, self.Y),
                                               float(cost)))
            pair = CostAndCache((cost, cache))
            pair.stand_in = self
            return pair

        def backward_propagation_n(X, Y, cache):
            self.backward_called = True
            if self.backward is None:
                fail("own_backward", _("gradient_check_n calls backward_propagation_n itself: compare "
                                       "gradapprox with the gradients it is given, "
                                       "grad = gradients_to_vector(gradients)."))
            return self.backward(X, Y, cache)

        return {"forward_propagation_n": forward_propagation_n,
                "backward_propagation_n": backward_propagation_n}


def _same(given, expected):
    if given is expected:
        return True
    try:
        return np.array_equal(np.asarray(given), np.asarray(expected))
    except Exception:  # noqa: BLE001 - anything that is not an array is not the same input
        return False


def diagnose_network(stand_in, theta, gradients, grad, epsilon, returned, notebook_theta=None):
    """Name what the record of one gradient_check_n call shows wrong; return the probe
    (J_plus, J_minus, epsilon, theta, grad, returned) when the evaluations were right."""
    function = "gradient_check_n"
    column = np.reshape(theta, (-1, 1)).astype(float)
    theta = column.ravel()
    n = theta.shape[0]
    if notebook_theta is not None:
        notebook_theta = np.ravel(notebook_theta)
    if stand_in.pair_stored:
        fail("stored_pair", _("{function} stores the whole pair (cost, cache) that forward_propagation_n "
                              "returns in one array element; keep the cost only: "
                              "J_plus[i], _ = forward_propagation_n(...)."), function=function)
    records = stand_in.evaluations
    if not records:
        fail("no_forward", _("{function} never called forward_propagation_n: J_plus[i] and J_minus[i] "
                             "must come from it."), function=function)
    for name, same in (("X", all(r.same_X for r in records)), ("Y", all(r.same_Y for r in records))):
        if not same:
            fail("wrong_inputs", _("{function} evaluated the cost on another {name} than the one it was "
                                   "given: use its arguments X and Y, never variables defined "
                                   "elsewhere in the notebook."), function=function, name=name)
    low = [r.dtype for r in records if np.dtype(r.dtype).itemsize < 8]
    if low:
        fail("float32", _("{function} evaluated the cost in {dtype}: in that precision theta + epsilon "
                          "hardly differs from theta. Keep x, theta and epsilon in float64."),
             function=function, dtype=np.dtype(low[0]))

    # Moved: more than round-off away (nudging in place and undoing it leaves a few ulps).
    tolerance = 64 * np.finfo(float).eps * np.maximum(1.0, np.abs(theta))
    moved = [np.flatnonzero(np.abs(r.vector - theta) > tolerance) for r in records]
    if notebook_theta is not None and notebook_theta.shape == theta.shape:
        elsewhere = [np.flatnonzero(np.abs(r.vector - notebook_theta) > 2 * epsilon) for r in records]
        if all(len(m) > 1 for m in moved) and all(len(e) <= 1 for e in elsewhere):
            fail("wrong_parameters", _("{function} evaluated the cost around the notebook's parameters, "
                                       "not around the parameters it was given: use its argument."),
                 function=function)
    if any(len(m) == n for m in moved[:1]) and n > 1:
        fail("perturbs_all", _("{function} moves all {n} parameters at once: nudge entry i only "
                               "(theta_plus[i] += epsilon), so that gradapprox[i] is the slope "
                               "along that one parameter."), function=function, n=n)
    if any(len(m) > 1 for m in moved):
        first = records[:8]   # the drift shows from the second entry on
        shared = any(np.shares_memory(a.memory, b.memory)
                     for k, a in enumerate(first) for b in first[k + 1:])
        if shared:
            fail("no_copy", _("{function} nudges parameters_values itself: theta_plus (or theta_minus) "
                              "= parameters_values makes no copy, so every nudge stays and later "
                              "evaluations start from a moved point. Use np.copy(parameters_values)."),
                 function=function)
        fail("several_entries", _("{function} moved {count} parameters in one evaluation: nudge only "
                                  "entry i of a fresh copy of parameters_values."),
             function=function, count=max(len(m) for m in moved))

    # Every evaluation now moves one entry at most: where, and by how many epsilons.
    singles = []
    for record, entries in zip(records, moved):
        if len(entries) == 0:
            singles.append((None, 0.0, record))
            continue
        j = int(entries[0])
        value = float(record.vector[j])
        if abs(theta[j]) > 2 * epsilon and abs(value) == epsilon:
            fail("set_not_add", _("{function} sets entry i to epsilon (theta_plus[i] = epsilon) instead "
                                  "of adding epsilon to it: theta_plus[i] += epsilon."), function=function)
        singles.append((j, (value - float(theta[j])) / epsilon, record))

    plus = {j for j, step, _r in singles if j is not None and _near(step, 1)}
    minus = {j for j, step, _r in singles if j is not None and _near(step, -1)}
    steps = [step for j, step, _r in singles]
    away = [abs(step) * epsilon for step in steps]
    # One-sided through a shared array: theta_minus is theta_plus, so its nudge undoes the other.
    if plus and not minus and any(j is None for j, _s, _r in singles):
        pairs = zip(singles, singles[1:])
        if any(a[0] is not None and b[0] is None and np.shares_memory(a[2].memory, b[2].memory)
               for a, b in pairs):
            fail("same_array", _("theta_minus is the same array as theta_plus, so subtracting epsilon "
                                 "undoes the nudge and J_minus[i] is the cost at theta itself. Make each "
                                 "one a copy: theta_minus = np.copy(parameters_values)."))
    _name_steps(function, steps, epsilon, away, theta=None)

    missing = sorted(set(range(n)) - (plus & minus))
    if missing:
        nudged = sorted(plus | minus)
        if len(nudged) == 1 or (len(plus) == 1 or len(minus) == 1):
            fail("wrong_index", _("{function} nudges entry {entry} for every i: index theta_plus[i] and "
                                  "theta_minus[i] with the loop variable i."),
                 function=function, entry=(sorted(plus) if len(plus) == 1 else sorted(minus))[0])
        fail("missing_entries", _("{function} never nudged entries {entries} of the {n}: the loop must "
                                  "cover every parameter, range(num_parameters)."),
             function=function, entries=", ".join(str(i) for i in missing[:10]), n=n)

    if not getattr(gradients, "read", False):
        if stand_in.backward_called:
            fail("own_backward", _("gradient_check_n calls backward_propagation_n itself: compare "
                                   "gradapprox with the gradients it is given, "
                                   "grad = gradients_to_vector(gradients)."))
        fail("ignores_gradients", _("{function} never reads the gradients it is given: grad must be "
                                    "gradients_to_vector(gradients)."), function=function)

    J_plus, J_minus = np.zeros((n, 1)), np.zeros((n, 1))
    for j, step, record in singles:
        if j is not None and _near(step, 1):
            J_plus[j] = record.cost
        elif j is not None and _near(step, -1):
            J_minus[j] = record.cost
    return (J_plus, J_minus, epsilon, column, grad, returned)
