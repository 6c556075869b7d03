"""gc_utils and testCases: layouts, round trips and the values the lesson quotes."""

import numpy as np
import pytest
from notebook_code import fixed_backward, given_namespace

from gc_utils import (
    PARAMETER_SHAPES,
    dictionary_to_vector,
    gradients_to_vector,
    relu,
    sigmoid,
    vector_to_dictionary,
)
from testCases import gradient_check_n_test_case


def centered_difference_check(forward, parameters, gradients, X, Y, epsilon=1e-7):
    """An independent oracle for the N-D check: perturb a float copy per coordinate."""
    theta, _ = dictionary_to_vector(parameters)
    grad = gradients_to_vector(gradients).ravel()
    approx = np.empty(theta.shape[0])
    for i in range(theta.shape[0]):
        plus, minus = theta.copy(), theta.copy()
        plus[i, 0] += epsilon
        minus[i, 0] -= epsilon
        approx[i] = (forward(X, Y, vector_to_dictionary(plus))[0]
                     - forward(X, Y, vector_to_dictionary(minus))[0]) / (2 * epsilon)
    return np.linalg.norm(grad - approx) / (np.linalg.norm(grad) + np.linalg.norm(approx))


def test_sigmoid_and_relu():
    x = np.array([[-2.0, 0.0, 3.0]])
    assert np.allclose(sigmoid(x), [[1 / (1 + np.exp(2)), 0.5, 1 / (1 + np.exp(-3))]])
    assert np.array_equal(relu(x), [[0.0, 0.0, 3.0]])


def test_test_case_shapes_and_labels():
    X, Y, parameters = gradient_check_n_test_case()
    assert X.shape == (4, 3)
    assert list(Y) == [1, 1, 0]
    assert {name: value.shape for name, value in parameters.items()} == PARAMETER_SHAPES
    np.random.seed(1)
    assert np.array_equal(X, np.random.randn(4, 3)), "X must be the first draw after seed(1)"
    assert np.array_equal(parameters["W1"], np.random.randn(5, 4)), "W1 is drawn right after X"


def test_dictionary_to_vector_layout():
    _, _, parameters = gradient_check_n_test_case()
    theta, keys = dictionary_to_vector(parameters)
    assert theta.shape == (47, 1)
    assert keys[:20] == ["W1"] * 20 and keys[20:25] == ["b1"] * 5 and keys[46] == "b3"
    assert theta[0, 0] == parameters["W1"][0, 0]
    assert theta[1, 0] == parameters["W1"][0, 1], "W1 is read row by row"
    assert theta[25 + 5, 0] == parameters["W2"][1, 0]


def test_vector_dictionary_round_trip():
    _, _, parameters = gradient_check_n_test_case()
    theta, _ = dictionary_to_vector(parameters)
    back = vector_to_dictionary(theta)
    assert set(back) == set(PARAMETER_SHAPES)
    for name in PARAMETER_SHAPES:
        assert np.array_equal(back[name], parameters[name])
    again, _ = dictionary_to_vector(back)
    assert np.array_equal(again, theta)


def test_vector_to_dictionary_rejects_wrong_size():
    with pytest.raises(ValueError, match="expects 47 numbers"):
        vector_to_dictionary(np.zeros((46, 1)))


def test_gradients_to_vector_order_and_missing_key():
    shapes = PARAMETER_SHAPES
    gradients = {f"d{name}": np.full(shape, index, dtype=float)
                 for index, (name, shape) in enumerate(shapes.items())}
    gradients["dZ1"] = np.ones((5, 3))  # intermediates are ignored
    vector = gradients_to_vector(gradients)
    assert vector.shape == (47, 1)
    assert list(vector[[0, 20, 25, 40, 43, 46], 0]) == [0, 1, 2, 3, 4, 5]
    del gradients["db2"]
    with pytest.raises(KeyError, match="db2"):
        gradients_to_vector(gradients)


@pytest.mark.parametrize(
    ("fix_dW2", "fix_db1", "expected"),
    [
        (False, False, 0.2850931567761623),
        (True, True, 1.1890913024229996e-07),
        (True, False, 0.2544229712458523),
        (False, True, 0.17344196893145924),
    ],
)
def test_expected_differences_of_the_lesson(fix_dW2, fix_db1, expected):
    namespace = given_namespace()
    forward, buggy = namespace["forward_propagation_n"], namespace["backward_propagation_n"]
    X, Y, parameters = gradient_check_n_test_case()
    _, cache = forward(X, Y, parameters)
    gradients = buggy(X, Y, cache)
    correct = fixed_backward(namespace)(X, Y, cache)
    if fix_dW2:
        gradients["dW2"] = correct["dW2"]
    if fix_db1:
        gradients["db1"] = correct["db1"]
    difference = centered_difference_check(forward, parameters, gradients, X, Y)
    tolerance = 1e-12 if expected > 1e-3 else 1e-3
    assert difference == pytest.approx(expected, rel=tolerance)


def test_given_backward_has_exactly_the_two_documented_bugs():
    namespace = given_namespace()
    X, Y, parameters = gradient_check_n_test_case()
    _, cache = namespace["forward_propagation_n"](X, Y, parameters)
    buggy = namespace["backward_propagation_n"](X, Y, cache)
    correct = fixed_backward(namespace)(X, Y, cache)
    assert np.allclose(buggy["dW2"], 2 * correct["dW2"])
    assert np.allclose(buggy["db1"], 4 * correct["db1"])
    for name in ("dW1", "db2", "dW3", "db3"):
        assert np.array_equal(buggy[name], correct[name]), name
