"""Public tests for the Gradient Checking assignment.

Each test takes the function you wrote and says whether it is right.  When it
is not, it raises an ``AssertionError`` whose message names what is wrong:
which input, what came back, what was expected and, when the test has seen
the cause, where to look.

The tests judge each exercise alone.  ``gradient_check`` is run with the
test's own ``forward_propagation`` and ``backward_propagation`` (yours are
put back afterwards), so a mistake in exercise 1 or 2 never fails exercise 3;
if your own functions are wrong, the test of exercise 3 says so in a note.
The same holds for ``gradient_check_n``.  How the tests watch what a check
does is explained in ``diagnosis.py``.

The autograder runs more tests than these, on other inputs: passing here is
necessary, not sufficient.
"""

import contextlib

import numpy as np

import gc_utils
from course_language import gettext as _
from diagnosis import (
    RESET,
    THRESHOLD,
    NetworkStandIn,
    OneParameterStandIn,
    RecordingGradients,
    captured,
    check_number,
    diagnose_network,
    diagnose_one_parameter,
    fail,
    name_formula,
    note,
    rebound,
    recognised_formulas,
    shown,
    student_globals,
    verdict_note,
)
from stage_trace import traced
from stages import ORDER, Renamed, cause_fits, locate_network, locate_one_parameter
from testCases import gradient_check_n_test_case

# `from public_tests import *` gives the notebook these and nothing else.
__all__ = [
    "forward_propagation_test",
    "backward_propagation_test",
    "gradient_check_test",
    "gradient_check_n_test",
    "backward_propagation_n_test",
]

GREEN = "\033[92m"


def _passed():
    print(GREEN + _("All tests passed.") + RESET)


# --- gradient_checker is not for exercises 3 and 4 ------------------------------------------------


def checker_tools():
    """Every function and class of ``gradient_checker``: exercises 3 and 4 are
    about writing the check, so while they are tested these refuse to run."""
    import gradient_checker

    return {name: value for name, value in vars(gradient_checker).items()
            if callable(value) and getattr(value, "__module__", None) == gradient_checker.__name__}


def _refuse(*args, **kwargs):
    fail("borrowed_checker", _("Exercises 3 and 4 ask you to write the check yourself: do not call "
                               "gradient_checker (check_gradients, relative_difference, ...) from them; "
                               "use np.linalg.norm as the instructions say."))


@contextlib.contextmanager
def checker_tools_disabled(namespace):
    """While the block runs, gradient_checker's functions and classes raise, in the
    module and under any name ``namespace`` (a notebook's globals) has bound them to."""
    import gradient_checker

    originals = checker_tools()
    bound = {key: value for key, value in namespace.items()
             if callable(value) and any(value is tool for tool in originals.values())}
    try:
        for name in originals:
            setattr(gradient_checker, name, _refuse)
        for key in bound:
            namespace[key] = _refuse
        yield
    finally:
        for name, tool in originals.items():
            setattr(gradient_checker, name, tool)
        namespace.update(bound)


# --- the first wrong step ---------------------------------------------------------------------------


def _first_stage(attempts):
    """The earliest wrong step over several traced runs (each a callable giving a Located,
    a Renamed or None); a locator that fails itself says nothing."""
    found = []
    for attempt in attempts:
        try:
            located = attempt()
        except Exception:  # noqa: BLE001 - locating is a help: it must never fail a test itself
            located = None
        if isinstance(located, Renamed):
            return located
        if located is not None:
            found.append(located)
    return min(found, key=lambda located: ORDER.index(located.stage)) if found else None


def _with_stage(error, located):
    """``error`` with the located step first; the named cause follows where it says more.

    A located step only ever explains a failure: a check whose numbers are right on every
    probe passes, even when one of its intermediates is computed another way than the
    template's (gradapprox in one line after the loop, say)."""
    if located is None:
        return error
    mistake = getattr(error, "mistake", None)
    if isinstance(located, Renamed):
        text, stage = located.message() + "\n" + str(error), None
    elif mistake == "unrecognised" or not cause_fits(mistake, located.stage):
        # The generic comparison says less than the located step, and a cause about another
        # step is a coincidence of numbers: the step alone.
        text, stage, mistake = located.message(), located.stage, f"stage_{located.stage}"
    else:
        text, stage = located.message() + "\n" + str(error), located.stage
    staged = AssertionError(text)
    staged.mistake, staged.stage = mistake, stage
    return staged


# --- exercises 1 and 2 ------------------------------------------------------------------------------


def _same_for_every_input(values):
    return len({float(value) for value in values}) == 1


def forward_propagation_test(target):
    """Check J = theta * x for a few (x, theta) pairs."""
    cases = [(2, 4), (3, -1.5), (-0.5, 10.0)]
    results = []
    for x, theta in cases:
        J = target(x, theta)
        check_number(J, "forward_propagation")
        results.append(J)
    if _same_for_every_input(results):
        fail("constant", _("forward_propagation returns {value} whatever x and theta are: compute J "
                           "from its arguments x and theta."), value=shown(results[0]))
    for (x, theta), J in zip(cases, results):
        expected = theta * x
        # One multiplication: any right way of writing it is exact to rounding (1e-16), and every
        # mistake named below is off by 10 % or more on these inputs; 1e-9 leaves room for both.
        if np.isclose(J, expected, rtol=1e-9, atol=0):
            continue
        values = dict(x=x, theta=theta, got=shown(J), expected=shown(expected))
        # Naming a mistake (np.isclose's rtol 1e-5): these inputs keep the formulas 10 % apart or more.
        if np.isclose(J, theta + x):
            fail("theta_plus_x", _("forward_propagation(x={x}, theta={theta}) returned {got}, which is "
                                   "theta + x: the cost is the product theta * x."), **values)
        if np.isclose(J, x):
            fail("derivative_as_cost", _("forward_propagation(x={x}, theta={theta}) returned {got}, which "
                                         "is x, the derivative: forward propagation returns the cost "
                                         "J = theta * x itself."), **values)
        fail("wrong_value", _("forward_propagation(x={x}, theta={theta}) returned {got}; expected "
                              "{expected}."), **values)
    _passed()


def backward_propagation_test(target):
    """Check dJ/dtheta = x for a few (x, theta) pairs."""
    cases = [(3, 4), (2, -7.0), (-1.25, 0.5)]
    results = []
    for x, theta in cases:
        dtheta = target(x, theta)
        check_number(dtheta, "backward_propagation")
        results.append(dtheta)
    if _same_for_every_input(results):
        fail("constant", _("backward_propagation returns {value} whatever x and theta are: the "
                           "derivative of theta * x depends on x."), value=shown(results[0]))
    for (x, theta), dtheta in zip(cases, results):
        # The derivative is x itself: a right answer is exact to rounding, every mistake named below
        # is off by 10 % or more on these inputs; 1e-9 leaves room for both.
        if np.isclose(dtheta, x, rtol=1e-9, atol=0):
            continue
        values = dict(x=x, theta=theta, got=shown(dtheta), expected=shown(x))
        # Naming a mistake (np.isclose's rtol 1e-5): these inputs keep the formulas 10 % apart or more.
        if np.isclose(dtheta, theta * x):
            fail("cost_as_derivative", _("backward_propagation(x={x}, theta={theta}) returned {got}, "
                                         "which is J itself: the derivative of theta * x with respect "
                                         "to theta is x."), **values)
        if np.isclose(dtheta, theta):
            fail("theta_as_derivative", _("backward_propagation(x={x}, theta={theta}) returned {got}, "
                                          "which is theta: differentiate with respect to theta, "
                                          "not x."), **values)
        if np.isclose(dtheta, -x):
            fail("sign", _("backward_propagation(x={x}, theta={theta}) returned {got}, the expected "
                           "value with the wrong sign."), **values)
        fail("wrong_value", _("backward_propagation(x={x}, theta={theta}) returned {got}; expected "
                              "{expected}."), **values)
    _passed()


# --- exercise 3 ---------------------------------------------------------------------------------------

# The test's own one-parameter cost: curved, so that every common formula gives its own number.
PROBE_1D = dict(x=1.5, theta=0.7, epsilon=1e-3)


def _cubic(x, theta):
    return x * theta ** 3


def _cubic_slope(x, theta):
    return 3 * x * theta ** 2


def _linear(x, theta):
    return theta * x


def _linear_slope(x, theta):
    return x


def gradient_check_test(target):
    """Judge gradient_check alone, then show what it says about your own functions."""
    namespace = student_globals(target)
    own = {name: namespace.get(name) for name in ("forward_propagation", "backward_propagation")}
    with checker_tools_disabled(namespace):
        _judge_gradient_check(target, namespace)
        _note_verdict_lines_1d(target, namespace)
        _show_own_functions(target, own)
    _passed()


def _run_1d(target, namespace, stand_in, x, theta, epsilon, print_msg=False, trace=False):
    with rebound(namespace, stand_in.functions()):
        if print_msg:
            return target(x, theta, epsilon, True)
        if trace:
            return traced(target, x, theta, epsilon)
        return target(x, theta, epsilon)


def _judge_gradient_check(target, namespace):
    x, theta, epsilon = PROBE_1D["x"], PROBE_1D["theta"], PROBE_1D["epsilon"]
    runs = []
    # A right derivative, one twice too large, one of the wrong sign and half the size.
    for factor in (1.0, 2.0, -0.5):
        stand_in = OneParameterStandIn(_cubic, _cubic_slope, factor)
        returned, trace = _run_1d(target, namespace, stand_in, x, theta, epsilon, trace=True)
        runs.append((stand_in, returned, trace))
    located = _first_stage(
        lambda s=stand_in, r=returned, t=trace: locate_one_parameter(
            t, x, theta, epsilon, _cubic, lambda x, theta: s.factor * _cubic_slope(x, theta), r)
        for stand_in, returned, trace in runs)
    try:
        probes = []
        for stand_in, returned, _trace in runs:
            check_number(returned, "gradient_check")
            probes.append(diagnose_one_parameter(stand_in, x, theta, epsilon, returned))
        name_formula("gradient_check", recognised_formulas(probes, one_dimensional=True), probes)
    except AssertionError as error:
        raise _with_stage(error, located) from None
    # The lesson's own setting: J = theta * x at epsilon = 1e-7.
    for x, theta in ((3, 4), (2, 4)):
        difference = _run_1d(target, namespace, OneParameterStandIn(_linear, _linear_slope), x, theta, 1e-7)
        check_number(difference, "gradient_check")
        # The lesson's verdict line: a right check gives about 1e-10 here, a wrong formula 1e-2 or more.
        if not float(difference) < THRESHOLD:
            fail("lesson_value", _("gradient_check(x={x}, theta={theta}) returned {value} for "
                                   "J = theta * x and its right derivative; it should be below 2e-7."),
                 x=x, theta=theta, value=shown(difference))


def _note_verdict_lines_1d(target, namespace):
    """Printing is not graded: a missing or reworded verdict line gets a note."""
    for factor in (1.0, 2.0):
        stand_in = OneParameterStandIn(_linear, _linear_slope, factor)
        try:
            difference, printed = captured(
                lambda s=stand_in: _run_1d(target, namespace, s, 3, 4, 1e-7, print_msg=True))
        except Exception as error:  # noqa: BLE001 - printing costs nothing, even when it crashes
            note(_("Note (no points involved): gradient_check(..., print_msg=True) raised {error}."),
                 error=f"{type(error).__name__}: {error}")
            return
        verdict_note("gradient_check", printed, difference)


def _show_own_functions(target, own):
    """gradient_check with the student's own exercise 1 and 2, as the notebook runs it."""
    problems = []
    for name, exercise, reference in (("forward_propagation", 1, _linear),
                                      ("backward_propagation", 2, _linear_slope)):
        function = own.get(name)
        if not callable(function):
            continue
        try:
            # Only says whether a note is due: exact to rounding when right, off by O(1) when wrong.
            right = all(np.isclose(float(function(x, t)), reference(x, t), rtol=1e-9, atol=0)
                        for x, t in ((3, 4), (2, -7.0)))
        except Exception as error:  # noqa: BLE001 - their error belongs to their exercise
            note(_("Your gradient_check is right. Your {function} (exercise {exercise}) raises "
                   "{error}, so the check cannot run with it yet."),
                 function=name, exercise=exercise, error=type(error).__name__)
            return
        if not right:
            problems.append((name, exercise))
    try:
        difference, printed = captured(lambda: target(3, 4, 1e-7, True))
    except Exception as error:  # noqa: BLE001
        note(_("Your gradient_check is right, but with your own functions it raises {error}."),
             error=f"{type(error).__name__}: {error}")
        return
    print(printed, end="")
    if len(problems) == 2:
        note(_("Your gradient_check is right; it reports that your forward_propagation (exercise 1) and "
               "backward_propagation (exercise 2) are wrong: with them it returns {value} at x = 3, "
               "theta = 4."), value=shown(difference))
    elif problems:
        note(_("Your gradient_check is right; it reports that your {function} (exercise {exercise}) is "
               "wrong: with your own functions it returns {value} at x = 3, theta = 4."),
             function=problems[0][0], exercise=problems[0][1], value=shown(difference))


# --- exercise 4 ---------------------------------------------------------------------------------------

#: Relative differences of ``gradient_check_n`` on the test case, for each
#: state of ``backward_propagation_n``.  A correct check returns one of them.
EXPECTED_N = {
    "given": 0.2850931567761623,
    "dW2_fixed": 0.2544229712458523,
    "db1_fixed": 0.17344196893145924,
}
#: After both fixes the value is about 1.19e-07.  Its last digits depend on the
#: order of floating-point operations (nudging one vector in place and undoing
#: the nudge by subtraction gives 1.18856e-07), so 1 % either way is accepted;
#: a check in float32 lands outside.
FIXED_N = 1.1890913024229996e-07
FIXED_N_RTOL = 1e-2
#: The cost forward_propagation_n gives on the test case, as the notebook gives it.
GIVEN_COST = 2.407833389834357

#: Norm and sum of each block of the true gradient on the test case: enough to
#: recognise a right backward pass, and to say by how much a wrong block is off,
#: without giving the formula away.
TRUE_GRADIENT_FINGERPRINT = {
    "dW1": (2.06381408628576, -3.6754494240639577),
    "db1": (0.6436147528058223, 0.6966020092477677),
    "dW2": (1.2907498740798033, 1.7351564990873243),
    "db2": (0.1976334252390789, 0.1976334252390789),
    "dW3": (2.244042377990228, 2.244042377990228),
    "db3": (0.212257527082733, 0.212257527082733),
}
#: Which blocks the given backward pass scales, and by how much: dW2 by 2, db1 by 4.
STATES = {
    "given": {"dW2": 2, "db1": 4},
    "dW2_fixed": {"db1": 4},
    "db1_fixed": {"dW2": 2},
    "fixed": {},
}


def _state_name(state):
    return {
        "given": _("as given (both bugs)"),
        "dW2_fixed": _("with dW2 fixed, db1 still wrong"),
        "db1_fixed": _("with db1 fixed, dW2 still wrong"),
        "fixed": _("fixed"),
    }[state]


SHAPES = gc_utils.PARAMETER_SHAPES
HELPERS = {name: getattr(gc_utils, name)
           for name in ("dictionary_to_vector", "vector_to_dictionary", "gradients_to_vector")}


def _flat(parameters):
    return np.concatenate([np.ravel(parameters[name]) for name in SHAPES]).astype(float)


def _blocks(vector, prefix=""):
    return {prefix + name: block.copy()
            for name, block in gc_utils.vector_to_dictionary(vector.reshape(-1, 1)).items()}


def _probe_network():
    """The test's own cost of 47 parameters, curved, depending on X and Y, and its gradient."""
    rng = np.random.RandomState(3)
    X = rng.randn(4, 5)
    Y = (rng.rand(1, 5) > 0.5).astype(float)
    n = sum(int(np.prod(shape)) for shape in SHAPES.values())
    square, cube = rng.uniform(1, 3, n), rng.uniform(0.5, 1.5, n)
    theta = float(np.mean(X) - np.mean(Y)) + rng.uniform(-1, 1, n)

    def cost(X, Y, parameters):
        u = _flat(parameters) - float(np.mean(X) - np.mean(Y))
        return float(np.sum(square * u ** 2) / 2 + np.sum(cube * u ** 3) / 6), None

    u = theta - float(np.mean(X) - np.mean(Y))
    gradient = square * u + cube * u ** 2 / 2
    return X, Y, theta, cost, gradient


def _notebook_theta(namespace):
    parameters = namespace.get("parameters")
    try:
        return _flat(parameters)
    except Exception:  # noqa: BLE001 - no usable parameters in the notebook: nothing to compare
        return None


def _run_network(target, namespace, stand_in, parameters, gradients, X, Y, epsilon, print_msg=False,
                 trace=False):
    """What the check returns (and, with ``trace``, the record of its steps)."""
    before = {name: np.array(value, copy=True) for name, value in parameters.items()}
    record = None
    with rebound(namespace, {**stand_in.functions(), **HELPERS}):
        if print_msg:
            difference = target(parameters, gradients, X, Y, epsilon, True)
        elif trace:
            difference, record = traced(target, parameters, gradients, X, Y, epsilon)
        else:
            difference = target(parameters, gradients, X, Y, epsilon)
    for name, value in parameters.items():
        if not np.array_equal(value, before[name]):
            fail("changed_parameters", _("gradient_check_n changed parameters['{name}']: nudge a copy "
                                         "of the parameter vector (np.copy), never the parameters you "
                                         "were given."), name=name)
    return (difference, record) if trace else difference


def _flat_cost(forward, X, Y):
    """The cost at a flat parameter vector, as the check's J_plus[i] should hold it."""
    return lambda vector: float(forward(X, Y, gc_utils.vector_to_dictionary(vector))[0])


def gradient_check_n_test(target, forward_propagation_n, backward_propagation_n):
    """Judge gradient_check_n alone on the test's own cost, then on the lesson's network.

    ``forward_propagation_n`` and ``backward_propagation_n`` are the notebook's
    functions: the value on the test case depends on whether the backward pass
    still has its bugs, and every state of it is recognised.
    """
    namespace = student_globals(target)
    with checker_tools_disabled(namespace):
        _judge_network_check(target, namespace)
        _check_on_the_lesson_network(target, namespace, forward_propagation_n, backward_propagation_n)
    _passed()


def _judge_network_check(target, namespace):
    X, Y, theta, cost, gradient = _probe_network()
    notebook_theta = _notebook_theta(namespace)
    # A wrong gradient too: dW2 (entries 25 to 39) twice too large, db1 (20 to 24) of the wrong sign.
    wrong = gradient.copy()
    wrong[25:40] *= 2
    wrong[20:25] *= -1
    runs, printed_runs = [], []
    for grads, epsilon in ((gradient, 1e-3), (wrong, 1e-4)):
        stand_in = NetworkStandIn(cost, X, Y, SHAPES)
        gradients = RecordingGradients(_blocks(grads, prefix="d"))
        parameters = _blocks(theta)
        returned, trace = _run_network(target, namespace, stand_in, parameters, gradients, X, Y, epsilon,
                                       trace=True)
        runs.append((stand_in, gradients, grads, epsilon, returned, trace))
        printed_runs.append((grads, epsilon))
    located = _first_stage(
        lambda g=grads, e=epsilon, r=returned, t=trace: locate_network(
            t, theta, e, _flat_cost(cost, X, Y), g.reshape(-1, 1), r)
        for _s, _g, grads, epsilon, returned, trace in runs)
    try:
        probes = []
        for stand_in, gradients, grads, epsilon, returned, _trace in runs:
            probes.append(diagnose_network(stand_in, theta.reshape(-1, 1), gradients, grads.reshape(-1, 1),
                                           epsilon, returned, notebook_theta))
            check_number(returned, "gradient_check_n")
        name_formula("gradient_check_n", recognised_formulas(probes, one_dimensional=False), probes)
    except AssertionError as error:
        raise _with_stage(error, located) from None
    for grads, epsilon in printed_runs:
        try:
            difference, printed = captured(lambda g=grads, e=epsilon: _run_network(
                target, namespace, NetworkStandIn(cost, X, Y, SHAPES), _blocks(theta),
                RecordingGradients(_blocks(g, prefix="d")), X, Y, e, print_msg=True))
        except Exception as error:  # noqa: BLE001 - printing costs nothing, even when it crashes
            note(_("Note (no points involved): gradient_check_n(..., print_msg=True) raised {error}."),
                 error=f"{type(error).__name__}: {error}")
            return
        verdict_note("gradient_check_n", printed, difference)


def _backward_state(gradients):
    """Which state of the lesson's backward pass produced ``gradients``, or None."""
    for state, factors in STATES.items():
        if all(_block_is(gradients, name, factors.get(name, 1)) for name in TRUE_GRADIENT_FINGERPRINT):
            return state
    return None


def _block_is(gradients, name, factor):
    try:
        block = np.asarray(gradients[name], dtype=float)
    except (KeyError, TypeError, ValueError):
        return False
    norm, total = TRUE_GRADIENT_FINGERPRINT[name]
    # A right block in another order of operations agrees to 1e-12; the lesson's bugs are factors of
    # 2 and 4 (a relative 1 or 3); 1e-6 is far from both.
    return (np.isclose(np.linalg.norm(block), factor * norm, rtol=1e-6)
            and np.isclose(np.sum(block), factor * total, rtol=1e-6))


def _check_on_the_lesson_network(target, namespace, forward_propagation_n, backward_propagation_n):
    X, Y, parameters = gradient_check_n_test_case()
    cost, cache = forward_propagation_n(X, Y, parameters)
    # The given cell run again gives this cost to rounding; any edit of it moves the cost far more.
    if not np.isclose(float(cost), GIVEN_COST, rtol=1e-9):
        note(_("Your gradient_check_n is right. forward_propagation_n is not the one given in part 3 "
               "(its cost on the test case is {cost}), so the lesson's values are not checked: run its "
               "cell again as given."), cost=shown(cost))
        return
    try:
        gradients = backward_propagation_n(X, Y, cache)
    except Exception as error:  # noqa: BLE001 - exercise 5's error belongs to exercise 5
        note(_("Your gradient_check_n is right. backward_propagation_n raises {error}; the test of "
               "exercise 5 says more."), error=type(error).__name__)
        return
    state = _backward_state(gradients)
    stand_in = NetworkStandIn(forward_propagation_n, X, Y, SHAPES)
    recording = RecordingGradients(gradients)
    difference, trace = _run_network(target, namespace, stand_in, parameters, recording, X, Y, 1e-7,
                                     trace=True)
    theta = _flat(parameters).reshape(-1, 1)
    located = _first_stage([lambda: locate_network(
        trace, theta, 1e-7, _flat_cost(forward_propagation_n, X, Y), gc_utils.gradients_to_vector(gradients),
        difference)])
    try:
        check_number(difference, "gradient_check_n")
        diagnose_network(stand_in, theta, recording, None, 1e-7, difference)
        _check_lesson_value(difference, state)
    except AssertionError as error:
        raise _with_stage(error, located) from None
    if state is None:
        note(_("Your gradient_check_n is right. backward_propagation_n is in none of the states the lesson "
               "expects (as given, half fixed, fixed), so its value on the test case, {value}, is not "
               "checked; the test of exercise 5 says what is wrong."), value=shown(difference))
        return
    if state != "given":
        print(_("Your check is right; the backward pass is {state}.").format(state=_state_name(state)))


def _check_lesson_value(difference, state):
    """The value the lesson expects on the test case, in the backward pass's state."""
    if state is None:
        return
    expected = FIXED_N if state == "fixed" else EXPECTED_N[state]
    # The three other states are 10 % or more apart and far above the verdict line (2e-7); a guarded
    # division (a denominator + 1e-12, or a relative 1e-7) or another order of operations moves the
    # value by 1e-7 relative at most: rtol 1e-5, as np.isclose's default.
    tolerance = FIXED_N_RTOL if state == "fixed" else 1e-5
    if not np.isclose(float(difference), expected, rtol=tolerance, atol=0):
        fail("lesson_value", _("gradient_check_n returned {value} on the test case; with the backward "
                               "pass {state}, expected {expected}."),
             value=shown(difference), state=_state_name(state), expected=shown(expected))


# --- exercise 5 ---------------------------------------------------------------------------------------


def backward_propagation_n_test(target, forward_propagation_n):
    """Check the corrected backward pass on the test case, block by block."""
    X, Y, parameters = gradient_check_n_test_case()
    cost, cache = forward_propagation_n(X, Y, parameters)
    # The given cell run again gives this cost to rounding; any edit of it moves the cost far more.
    if not np.isclose(float(cost), GIVEN_COST, rtol=1e-9):
        fail("forward_changed", _("forward_propagation_n is not the one given in part 3 (its cost on the "
                                  "test case is {cost}, expected {expected}): run its cell again as "
                                  "given, then this test."), cost=shown(cost), expected=shown(GIVEN_COST))
    gradients = target(X, Y, cache)
    if not isinstance(gradients, dict):
        fail("not_a_dict", _("backward_propagation_n returned a {kind}; return the dictionary of "
                             "gradients."), kind=type(gradients).__name__)
    problems, reference = [], None
    for name, (norm, total) in TRUE_GRADIENT_FINGERPRINT.items():
        if _block_is(gradients, name, 1) and np.shape(gradients[name]) == parameters[name[1:]].shape:
            continue
        if reference is None:
            reference = _centered_gradients(forward_propagation_n, X, Y, parameters)
        problem = _block_problem(gradients, name, parameters[name[1:]].shape, norm, total, reference[name])
        if problem:
            problems.append((name, *problem))
    if problems:
        error = AssertionError(_("backward_propagation_n on the test case:") + "\n  "
                               + "\n  ".join(text for _name, _key, text, _kind in problems))
        error.mistake = problems[0][1]
        error.mistakes = [key for _name, key, _text, _kind in problems]
        error.blocks = {name: kind for name, _key, _text, kind in problems}
        raise error
    _passed()


def _centered_gradients(forward_propagation_n, X, Y, parameters, epsilon=1e-6):
    """The gradient by centered differences of the given cost: what a wrong block is compared
    with to say how it is wrong (a factor, a sign, a transposition)."""
    theta = _flat(parameters)
    approx = np.zeros_like(theta)
    for i in range(theta.size):
        costs = []
        for sign in (1, -1):
            moved = theta.copy()
            moved[i] += sign * epsilon
            costs.append(float(forward_propagation_n(X, Y, _blocks(moved))[0]))
        approx[i] = (costs[0] - costs[1]) / (2 * epsilon)
    return _blocks(approx, prefix="d")


#: Centered differences at epsilon = 1e-6 agree with the true gradient to about 1e-8
#: relative; a block that is a clean multiple of it agrees with that multiple as well.
KIND_RTOL, KIND_ATOL = 1e-5, 1e-8


def _multiple(block, reference):
    """k when ``block`` is k times ``reference`` (same shape), else None."""
    scale = float(np.sum(reference * reference))
    if scale == 0:
        return None
    k = float(np.sum(block * reference)) / scale
    if np.allclose(block, k * reference, rtol=KIND_RTOL, atol=KIND_ATOL):
        return k
    return None


def _block_problem(gradients, name, shape, norm, total, reference):
    """(key, sentence, kind) for what is wrong with one block of the gradient, or None.
    ``reference``: the block by centered differences, to say what kind of error it is."""
    if name not in gradients:
        return ("block_missing", _("{name} is missing from the returned dictionary.").format(name=name),
                "missing")
    block = np.asarray(gradients[name], dtype=float)
    values = dict(name=name, got=block.shape, shape=shape, parameter=name[1:])
    if block.shape != shape:
        if block.shape == shape[::-1] and _multiple(block.T, reference) is not None \
                and np.isclose(_multiple(block.T, reference), 1, rtol=KIND_RTOL):
            return "block_shape", _("{name} has shape {got}; expected {shape}: it holds the right values, "
                                    "transposed. Check the order of the factors of its product, or the "
                                    "transpose at its end.").format(**values), "transposed"
        if block.shape == (shape[0],):
            return "block_shape", _("{name} has shape {got}; expected {shape}, a column like {parameter}: "
                                    "np.sum(..., axis=1, keepdims=True) keeps it one.").format(**values), \
                "shape"
        if block.size == reference.size and _multiple(block.reshape(shape), reference) is not None \
                and np.isclose(_multiple(block.reshape(shape), reference), 1, rtol=KIND_RTOL):
            return "block_shape", _("{name} has shape {got}; expected {shape}, the shape of {parameter}: its "
                                    "values are right, only its shape is not.").format(**values), "shape"
        return "block_shape", _("{name} has shape {got}; expected {shape}, the shape of {parameter}.").format(
            **values), "shape"
    got_norm, got_total = float(np.linalg.norm(block)), float(np.sum(block))
    # As _block_is: a right block agrees to 1e-12, a wrong constant moves it by a relative 1 or more.
    if np.isclose(got_norm, norm, rtol=1e-6) and np.isclose(got_total, total, rtol=1e-6):
        return None
    k = _multiple(block, reference)
    if k is not None and np.isclose(k, -1, rtol=KIND_RTOL):
        return "block_sign", _("{name} has the wrong sign.").format(name=name), "sign"
    if k is not None and abs(k) > KIND_ATOL:
        factor = f"{k:.4g}"
        return "block_factor", _("{name} is {factor} times the true gradient: look for a constant that "
                                 "does not belong in its formula.").format(name=name, factor=factor), \
            f"factor {factor}"
    return "block_wrong", _("{name} is wrong (norm {got}, expected {expected}).").format(
        name=name, got=f"{got_norm:.6g}", expected=f"{norm:.6g}"), "wrong"
