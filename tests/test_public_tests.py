"""The public tests accept every right answer and name the cause of the usual wrong ones."""

import re

import numpy as np
import pytest
from notebook_code import fixed_backward, given_namespace

import public_tests
from gc_utils import dictionary_to_vector, gradients_to_vector, vector_to_dictionary

# --- one-dimensional -------------------------------------------------------


def forward(x, theta):
    return theta * x


def backward(x, theta):
    return x


def make_gradient_check(mistake=None):
    """A 1-D gradient_check, right or with one named mistake."""

    def gradient_check(x, theta, epsilon=1e-7, print_msg=False):
        J_plus, J_minus = forward(x, theta + epsilon), forward(x, theta - epsilon)
        gradapprox = (J_plus - J_minus) / (2 * epsilon)
        if mistake == "precedence":
            gradapprox = (J_plus - J_minus) / 2 * epsilon
        if mistake == "factor_two":
            gradapprox = (J_plus - J_minus) / epsilon
        grad = gradapprox if mistake == "grad_from_gradapprox" else backward(x, theta)
        numerator = np.linalg.norm(grad - gradapprox)
        difference = numerator / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))
        if mistake == "numerator_only":
            difference = numerator
        if mistake == "ndarray":
            difference = np.array([[difference]])
        if print_msg:
            print(f"difference = {difference}")
        return difference

    return gradient_check


def test_forward_and_backward_accept_right_answers(capsys):
    public_tests.forward_propagation_test(forward)
    public_tests.forward_propagation_test(lambda x, theta: np.multiply(theta, x))
    public_tests.backward_propagation_test(backward)
    public_tests.backward_propagation_test(lambda x, theta: float(x))
    assert capsys.readouterr().out.count("All tests passed") == 4


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (lambda x, theta: theta + x, "theta + x"),
        (lambda x, theta: x, "derivative"),
        (lambda x, theta: np.array([theta * x]), "ndarray of shape (1,); return a single number"),
        (lambda x, theta: None, "type NoneType"),
    ],
)
def test_forward_test_explains_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=re.escape(message)):
        public_tests.forward_propagation_test(wrong)


def test_backward_test_explains_mistakes():
    with pytest.raises(AssertionError, match="that is J itself"):
        public_tests.backward_propagation_test(lambda x, theta: theta * x)
    with pytest.raises(AssertionError, match="differentiate with respect to theta"):
        public_tests.backward_propagation_test(lambda x, theta: theta)


def test_gradient_check_test_accepts_right_answer(capsys):
    public_tests.gradient_check_test(make_gradient_check())
    out = capsys.readouterr().out
    assert "All tests passed" in out
    assert "difference = " not in out, "the verdict printed under test is kept out of the way"


def test_gradient_check_test_wants_a_verdict_with_print_msg():
    right = make_gradient_check()

    def silent(x, theta, epsilon=1e-7, print_msg=False):
        return right(x, theta, epsilon)

    with pytest.raises(AssertionError, match="printed nothing"):
        public_tests.gradient_check_test(silent)


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        ("precedence", "precedence"),
        ("factor_two", "1/3"),
        ("grad_from_gradapprox", "exactly 0.0"),
        ("numerator_only", "numerator"),
        ("ndarray", r"ndarray of shape \(1, 1\); return a single number \(np.linalg.norm"),
    ],
)
def test_gradient_check_test_names_the_mistake(mistake, message):
    with pytest.raises(AssertionError, match=message):
        public_tests.gradient_check_test(make_gradient_check(mistake))


# --- N-dimensional -----------------------------------------------------------


@pytest.fixture(scope="module")
def network():
    namespace = given_namespace()
    return namespace["forward_propagation_n"], namespace["backward_propagation_n"], namespace


def make_gradient_check_n(forward_n, mistake=None):
    def gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):
        theta, _ = dictionary_to_vector(parameters)
        grad = gradients_to_vector(gradients)
        if mistake == "ignores_gradients":
            _, cache = forward_n(X, Y, parameters)
            grad = gradients_to_vector(IGNORED_BACKWARD[0](X, Y, cache))
        gradapprox = np.zeros_like(theta)
        for i in range(theta.shape[0]):
            if mistake == "no_copy":
                plus = minus = theta
            else:
                plus, minus = np.copy(theta), np.copy(theta)
            plus[i, 0] += epsilon
            J_plus = forward_n(X, Y, vector_to_dictionary(plus))[0]
            minus[i, 0] -= epsilon
            J_minus = forward_n(X, Y, vector_to_dictionary(minus))[0]
            gradapprox[i] = (J_plus - J_minus) / (epsilon if mistake == "factor_two" else 2 * epsilon)
            if mistake == "precedence":
                gradapprox[i] = (J_plus - J_minus) / 2 * epsilon
        numerator = np.linalg.norm(grad - gradapprox)
        difference = numerator / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))
        if mistake == "numerator_only":
            difference = numerator
        if print_msg:
            print(f"difference = {difference}")
        return difference

    return gradient_check_n


IGNORED_BACKWARD = []


def test_gradient_check_n_test_accepts_every_state_of_the_backward_pass(network, capsys):
    forward_n, buggy, namespace = network
    fixed = fixed_backward(namespace)

    def half_fixed(which):
        def backward_n(X, Y, cache):
            gradients = buggy(X, Y, cache)
            gradients[which] = fixed(X, Y, cache)[which]
            return gradients
        return backward_n

    check = make_gradient_check_n(forward_n)
    for backward_n in (buggy, fixed, half_fixed("dW2"), half_fixed("db1")):
        public_tests.gradient_check_n_test(check, forward_n, backward_n)
    out = capsys.readouterr().out
    assert out.count("All tests passed") == 4
    assert "with dW2 fixed, db1 still wrong" in out and "with db1 fixed, dW2 still wrong" in out


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        ("factor_two", "twice too large"),
        ("no_copy", "np.copy"),
        ("precedence", "precedence"),
        ("numerator_only", "above 1"),
        ("ignores_gradients", "all-zero gradients"),
    ],
)
def test_gradient_check_n_test_names_the_mistake(network, mistake, message):
    forward_n, buggy, _ = network
    IGNORED_BACKWARD[:] = [buggy]
    with pytest.raises(AssertionError, match=message):
        public_tests.gradient_check_n_test(make_gradient_check_n(forward_n, mistake), forward_n, buggy)


def test_gradient_check_n_test_catches_a_changed_argument(network):
    forward_n, buggy, _ = network

    def mutating(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):
        parameters["W1"] += 1.0
        return 0.2850931567761623

    with pytest.raises(AssertionError, match=r"changed parameters\['W1'\]"):
        public_tests.gradient_check_n_test(mutating, forward_n, buggy)


def test_gradient_check_n_test_rejects_a_hard_coded_answer(network):
    forward_n, buggy, _ = network
    with pytest.raises(AssertionError, match="all-zero gradients"):
        public_tests.gradient_check_n_test(
            lambda *args, **kwargs: 0.2850931567761623, forward_n, buggy)


def test_backward_fingerprint_is_the_fixed_backward_pass(network, capsys):
    forward_n, buggy, namespace = network
    fixed = fixed_backward(namespace)
    public_tests.backward_propagation_n_test(fixed, forward_n)
    assert "All tests passed" in capsys.readouterr().out
    from testCases import gradient_check_n_test_case

    X, Y, parameters = gradient_check_n_test_case()
    gradients = fixed(X, Y, forward_n(X, Y, parameters)[1])
    for name, (norm, total) in public_tests.TRUE_GRADIENT_FINGERPRINT.items():
        assert np.linalg.norm(gradients[name]) == pytest.approx(norm, rel=1e-12)
        assert np.sum(gradients[name]) == pytest.approx(total, rel=1e-12)


def test_backward_test_names_each_wrong_block(network):
    forward_n, buggy, _ = network
    with pytest.raises(AssertionError) as failure:
        public_tests.backward_propagation_n_test(buggy, forward_n)
    message = str(failure.value)
    assert "db1 is 4 times the true gradient" in message
    assert "dW2 is 2 times the true gradient" in message
    assert "dW1" not in message and "db2" not in message

    def transposed(X, Y, cache):
        gradients = buggy(X, Y, cache)
        gradients["dW2"] = gradients["dW2"].T
        del gradients["db3"]
        return gradients

    with pytest.raises(AssertionError) as failure:
        public_tests.backward_propagation_n_test(transposed, forward_n)
    assert "dW2 has shape (5, 3); expected (3, 5)" in str(failure.value)
    assert "db3 is missing" in str(failure.value)
