"""Public tests for the Gradient Checking assignment.

Each test takes the function you wrote, runs it on known inputs and checks
the type, the shape and the value of what it returns.  When something is
wrong it raises an ``AssertionError`` whose message says what was expected,
what came back and, where a wrong value has a known cause, what to look at.

The autograder runs more tests than these, on other inputs: passing here is
necessary, not sufficient.
"""

import contextlib
import io
import numbers

import numpy as np

from testCases import gradient_check_n_test_case

GREEN = "\033[92m"
RESET = "\033[0m"

#: Relative differences of ``gradient_check_n`` on the test case, for each
#: state of ``backward_propagation_n``.  A correct check returns one of them.
EXPECTED_N = {
    "as given (both bugs)": 0.2850931567761623,
    "with dW2 fixed, db1 still wrong": 0.2544229712458523,
    "with db1 fixed, dW2 still wrong": 0.17344196893145924,
}
#: After both fixes the value is about 1.19e-07.  Its last digits depend on the
#: order of floating-point operations (nudging one vector in place and undoing
#: the nudge by subtraction gives 1.18856e-07), so 1 % either way is accepted;
#: a check in float32 lands outside.
FIXED_N = 1.1890913024229996e-07
FIXED_N_RTOL = 1e-2

#: Values a wrong ``gradient_check_n`` returns on the test case with the
#: given backward pass, and what each one points to.
KNOWN_MISTAKES_N = {
    0.28807918174985225: (
        "gradapprox is twice too large: divide (J_plus - J_minus) by 2 * epsilon, not by epsilon"
    ),
    0.5177906384974295: (
        "gradapprox is half what it should be: either J_minus is evaluated at theta instead of "
        "theta - epsilon (a one-sided difference divided by 2 * epsilon), or theta_plus and "
        "theta_minus are the same array, so the second nudge undoes the first. Use np.copy for each"
    ),
}


def _passed():
    print(f"{GREEN}All tests passed.{RESET}")


def _check_scalar(value, function):
    """Fail unless ``value`` is a single real number (int, float, NumPy scalar)."""
    if isinstance(value, np.ndarray):
        raise AssertionError(
            f"{function} returned an ndarray of shape {value.shape}; return a single number"
            + (" (np.linalg.norm of a vector already gives one)" if "gradient_check" in function else "")
        )
    if isinstance(value, (tuple, list, dict)):
        raise AssertionError(
            f"{function} returned a {type(value).__name__}; return a single number"
        )
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise AssertionError(
            f"{function} returned {value!r} of type {type(value).__name__}; return a number"
        )
    if not np.isfinite(value):
        raise AssertionError(f"{function} returned {value}; expected a finite number")


def checker_tools():
    """Every function and class of ``gradient_checker``: exercises 3 and 4 are
    about writing the check, so while they are tested these refuse to run."""
    import gradient_checker

    return {name: value for name, value in vars(gradient_checker).items()
            if callable(value) and getattr(value, "__module__", None) == gradient_checker.__name__}


def _refuse(*args, **kwargs):
    raise AssertionError(
        "exercises 3 and 4 ask you to write the check yourself: do not call gradient_checker "
        "(check_gradients, relative_difference, ...) from them; use np.linalg.norm as the "
        "instructions say")


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


def _check_prints_verdict(target, arguments, function):
    """Call ``target(*arguments, print_msg=True)`` quietly; it must print a verdict
    and still return the same kind of number."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        difference = target(*arguments, print_msg=True)
    _check_scalar(difference, function)
    if not printed.getvalue().strip():
        raise AssertionError(f"{function}(..., print_msg=True) printed nothing; it should print "
                             "its verdict and the difference")


def _explain_difference(difference, function):
    """A message for a relative difference with a recognisable wrong value."""
    if difference == 0.0:
        return (
            f"{function} returned exactly 0.0: grad and gradapprox are the same numbers. "
            "Compute grad with the backward propagation, not from gradapprox"
        )
    if difference > 1.0:
        return (
            f"{function} returned {float(difference)!r}, above 1, which a relative difference can "
            "never be: divide the numerator by np.linalg.norm(grad) + np.linalg.norm(gradapprox)"
        )
    if abs(difference - 1.0) < 1e-6:
        return (
            f"{function} returned {float(difference)!r}, almost exactly 1: gradapprox is either tiny "
            "or of the wrong sign. Check the precedence in (J_plus - J_minus) / (2 * epsilon) "
            "('/ 2 * epsilon' multiplies by epsilon instead of dividing) and the order of "
            "J_plus - J_minus"
        )
    if abs(difference - 1 / 3) < 1e-6:
        return (
            f"{function} returned {float(difference)!r}, which is 1/3: one of grad and gradapprox is "
            "twice the other. Look for a missing or extra factor 2, or a one-sided difference "
            "(J_plus - J) divided by 2 * epsilon"
        )
    return None


def forward_propagation_test(target):
    """Check J = theta * x for a few (x, theta) pairs."""
    for x, theta in [(2, 4), (3, -1.5), (-0.5, 10.0)]:
        J = target(x, theta)
        _check_scalar(J, "forward_propagation")
        expected = theta * x
        if not np.isclose(J, expected, rtol=1e-12, atol=0):
            hint = ""
            if np.isclose(J, theta + x):
                hint = " (that is theta + x: the cost is the product theta * x)"
            elif np.isclose(J, x):
                hint = " (that is x, the derivative: forward propagation returns the cost J itself)"
            raise AssertionError(
                f"forward_propagation(x={x}, theta={theta}) returned {J!r}; expected {expected!r}{hint}"
            )
    _passed()


def backward_propagation_test(target):
    """Check dJ/dtheta = x for a few (x, theta) pairs."""
    for x, theta in [(3, 4), (2, -7.0), (-1.25, 0.5)]:
        dtheta = target(x, theta)
        _check_scalar(dtheta, "backward_propagation")
        if not np.isclose(dtheta, x, rtol=1e-12, atol=0):
            hint = ""
            if np.isclose(dtheta, theta * x):
                hint = " (that is J itself: the derivative of theta * x with respect to theta is x)"
            elif np.isclose(dtheta, theta):
                hint = " (that is theta: differentiate with respect to theta, not x)"
            raise AssertionError(
                f"backward_propagation(x={x}, theta={theta}) returned {dtheta!r}; expected {x!r}{hint}"
            )
    _passed()


def gradient_check_test(target):
    """Check the 1-D relative difference at x=3, theta=4 and x=2, theta=4."""
    with checker_tools_disabled(getattr(target, "__globals__", {})):
        _gradient_check_test(target)
    _passed()


def _gradient_check_test(target):
    expectations = {(3, 4): 7.814075313343006e-11, (2, 4): 2.919335883291695e-10}
    for (x, theta), expected in expectations.items():
        difference = target(x, theta, 1e-7)
        _check_scalar(difference, "gradient_check")
        if not np.isclose(difference, expected, rtol=1e-3, atol=0):
            reason = _explain_difference(difference, "gradient_check")
            if reason is None and np.isclose(difference, 2 * x * expected, rtol=1e-3):
                reason = (
                    f"gradient_check returned {float(difference)!r}, which is the numerator "
                    "np.linalg.norm(grad - gradapprox) alone: divide it by the sum of the norms"
                )
            if reason is None:
                reason = (
                    f"gradient_check(x={x}, theta={theta}) returned {float(difference)!r}; "
                    f"expected about {expected!r}"
                )
            raise AssertionError(reason)
    _check_prints_verdict(target, (3, 4, 1e-7), "gradient_check")


def gradient_check_n_test(target, forward_propagation_n, backward_propagation_n):
    """Check the N-D relative difference on the test case.

    ``forward_propagation_n`` and ``backward_propagation_n`` are the notebook's
    functions: the expected value depends on whether the backward pass still has
    its bugs, and every state of it is recognised.
    """
    with checker_tools_disabled(getattr(target, "__globals__", {})):
        _gradient_check_n_test(target, forward_propagation_n, backward_propagation_n)


def _gradient_check_n_test(target, forward_propagation_n, backward_propagation_n):
    X, Y, parameters = gradient_check_n_test_case()
    before = {name: value.copy() for name, value in parameters.items()}
    _, cache = forward_propagation_n(X, Y, parameters)
    gradients = backward_propagation_n(X, Y, cache)

    difference = target(parameters, gradients, X, Y, 1e-7)
    _check_scalar(difference, "gradient_check_n")
    for name, value in parameters.items():
        if not np.array_equal(value, before[name]):
            raise AssertionError(
                f"gradient_check_n changed parameters['{name}']: nudge a copy of the "
                "parameter vector (np.copy), never the parameters you were given"
            )

    recognised = [state for state, value in EXPECTED_N.items()
                  if np.isclose(difference, value, rtol=1e-6, atol=0)]
    fixed = abs(difference - FIXED_N) <= FIXED_N_RTOL * FIXED_N
    if not recognised and not fixed:
        reason = _explain_difference(difference, "gradient_check_n")
        for value, hint in KNOWN_MISTAKES_N.items():
            if reason is None and np.isclose(difference, value, rtol=1e-6, atol=0):
                reason = f"gradient_check_n returned {float(difference)!r}: {hint}"
        if reason is None:
            reason = (
                f"gradient_check_n returned {float(difference)!r}; with the given backward pass "
                f"expected {EXPECTED_N['as given (both bugs)']!r}, and about {FIXED_N:.3g} "
                "once both bugs are fixed"
            )
        raise AssertionError(reason)

    zero_gradients = {name: np.zeros_like(value) for name, value in gradients.items()}
    difference_zero = target(parameters, zero_gradients, X, Y, 1e-7)
    _check_scalar(difference_zero, "gradient_check_n")
    if not np.isclose(difference_zero, 1.0, rtol=1e-9, atol=0):
        raise AssertionError(
            f"With all-zero gradients gradient_check_n returned {float(difference_zero)!r}; expected "
            "1.0. It must compare gradapprox with the gradients it is given "
            "(gradients_to_vector(gradients)), not compute its own"
        )

    _check_prints_verdict(target, (parameters, gradients, X, Y, 1e-7), "gradient_check_n")
    if recognised and recognised[0] != "as given (both bugs)":
        print(f"Your check is right; the backward pass is {recognised[0]}.")
    _passed()


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


def backward_propagation_n_test(target, forward_propagation_n):
    """Check the corrected backward pass on the test case, block by block."""
    X, Y, parameters = gradient_check_n_test_case()
    _, cache = forward_propagation_n(X, Y, parameters)
    gradients = target(X, Y, cache)
    if not isinstance(gradients, dict):
        raise AssertionError(
            f"backward_propagation_n returned a {type(gradients).__name__}; return the dictionary "
            "of gradients"
        )
    problems = []
    for name, (norm, total) in TRUE_GRADIENT_FINGERPRINT.items():
        if name not in gradients:
            problems.append(f"{name} is missing from the returned dictionary")
            continue
        block = np.asarray(gradients[name], dtype=float)
        shape = parameters[name[1:]].shape
        if block.shape != shape:
            problems.append(f"{name} has shape {block.shape}; expected {shape}, the shape of {name[1:]}")
            continue
        got_norm, got_total = float(np.linalg.norm(block)), float(np.sum(block))
        if np.isclose(got_norm, norm, rtol=1e-9) and np.isclose(got_total, total, rtol=1e-9):
            continue
        factor = got_norm / norm
        if np.isclose(got_total, factor * total, rtol=1e-6) and abs(factor - 1) > 1e-6:
            problems.append(f"{name} is {factor:.4g} times the true gradient: "
                            "look for a constant that does not belong in its formula")
        else:
            problems.append(f"{name} is wrong (norm {got_norm:.6g}, expected {norm:.6g})")
    if problems:
        raise AssertionError("backward_propagation_n on the test case:\n  " + "\n  ".join(problems))
    _passed()
