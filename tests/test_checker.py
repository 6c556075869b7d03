"""Tests of gradient_checker (check_gradients, check_directions,
gradient_report).

The course network is the notebook's own: ``forward`` is its given
``forward_propagation_n``, and ``backward`` its corrected backward pass with the
two deliberate bugs as switches (scaling by 2 and 4 is exact in floating point,
so the defaults reproduce the given, buggy pass to the last bit).
"""

import numpy as np
import pytest
from notebook_code import fixed_backward as notebook_fixed_backward
from notebook_code import given_namespace

from gc_utils import relu
from gradient_checker import (
    BlockReport,
    band,
    check_directions,
    check_gradients,
    gradient_report,
    relative_difference,
    relative_errors,
)
from testCases import gradient_check_n_test_case

KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")
_NOTEBOOK = given_namespace()
forward = _NOTEBOOK["forward_propagation_n"]
_FIXED = notebook_fixed_backward(_NOTEBOOK)


def backward(X, Y, cache, dW2_factor=2.0, db1_factor=4.0):
    """The course's backward pass; the default factors are its two bugs."""
    gradients = _FIXED(X, Y, cache)
    gradients["dW2"] = gradients["dW2"] * dW2_factor
    gradients["db1"] = gradients["db1"] * db1_factor
    return gradients


def fixed_backward(X, Y, cache):
    return backward(X, Y, cache, 1.0, 1.0)


def test_backward_switches_reproduce_the_notebook_exactly():
    X, Y, parameters = gradient_check_n_test_case()
    _, cache = forward(X, Y, parameters)
    given = _NOTEBOOK["backward_propagation_n"](X, Y, cache)
    ours = backward(X, Y, cache)
    for name in ("dW1", "db1", "dW2", "db2", "dW3", "db3"):
        assert np.array_equal(given[name], ours[name]), name


def network(sizes, m, seed):
    """A random ReLU network of the course's shape with any layer sizes."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((sizes[0], m))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    parameters = {}
    for layer in range(1, len(sizes)):
        fan_in = sizes[layer - 1]
        parameters[f"W{layer}"] = rng.standard_normal((sizes[layer], fan_in)) / np.sqrt(fan_in)
        parameters[f"b{layer}"] = 0.1 * rng.standard_normal((sizes[layer], 1))
    return X, Y, parameters


def quadratic(seed=0):
    """cost = sum(c * p**2) / 2 over two blocks: its gradient is c * p exactly."""
    rng = np.random.default_rng(seed)
    parameters = {"A": rng.standard_normal((3, 4)), "v": rng.standard_normal(5)}
    weights = {name: 1 + rng.random(value.shape) for name, value in parameters.items()}

    def cost(p):
        return sum(0.5 * np.sum(weights[k] * p[k] ** 2) for k in p)

    gradients = {f"d{k}": weights[k] * v for k, v in parameters.items()}
    return cost, parameters, gradients


@pytest.fixture(scope="module")
def course_report():
    X, Y, parameters = gradient_check_n_test_case()
    return gradient_report(forward, backward, X, Y, parameters)


# -- the course case ---------------------------------------------------------


def test_course_case_overall_difference_is_the_lessons_number(course_report):
    assert course_report.difference == pytest.approx(0.2850931567761623, rel=1e-9)


def test_course_case_finds_the_two_bugs_and_their_factors(course_report):
    assert course_report.wrong == ["b1", "W2"]
    assert course_report["W2"].difference == pytest.approx(1 / 3, rel=1e-6)
    assert course_report["b1"].difference == pytest.approx(3 / 5, rel=1e-6)
    assert course_report["W2"].factor == pytest.approx(2, rel=1e-5)
    assert course_report["b1"].factor == pytest.approx(4, rel=1e-5)
    for name in ("W1", "b2", "W3", "b3"):
        assert course_report[name].difference < 3e-7, name
        assert course_report[name].band in ("excellent", "acceptable")
    assert "2.000 x gradapprox" in course_report["W2"].verdict
    assert "4.000 x gradapprox" in course_report["b1"].verdict
    assert not course_report.passed


def test_course_case_text_shows_one_row_per_block_with_the_factors(course_report):
    text = str(course_report)
    assert "0.2850931568" in text
    rows = {line.split()[0]: line for line in text.splitlines() if line.split() and line.split()[0] in KEYS}
    assert set(rows) == set(KEYS)
    assert "4.000" in rows["b1"] and "wrong" in rows["b1"]
    assert "2.000" in rows["W2"] and "wrong" in rows["W2"]
    assert "wrong" not in rows["W1"] and "x gradapprox" not in rows["W1"]
    assert "warnings" not in text


def test_course_case_fixed_backward_passes():
    X, Y, parameters = gradient_check_n_test_case()
    report = gradient_report(forward, fixed_backward, X, Y, parameters)
    assert 1.0e-7 < report.difference < 1.4e-7
    assert report.wrong == []
    assert report.passed
    assert all(block.factor is None or abs(block.factor - 1) < 1e-5 for block in report.blocks.values())


def test_one_fix_at_a_time_gives_the_lessons_numbers():
    X, Y, parameters = gradient_check_n_test_case()
    only_db1 = gradient_report(forward, lambda X, Y, c: backward(X, Y, c, 1.0, 4.0), X, Y, parameters)
    only_dW2 = gradient_report(forward, lambda X, Y, c: backward(X, Y, c, 2.0, 1.0), X, Y, parameters)
    assert only_db1.difference == pytest.approx(0.2544229712458523, rel=1e-9)
    assert only_dW2.difference == pytest.approx(0.17344196893145924, rel=1e-9)
    assert only_db1.wrong == ["b1"] and only_dW2.wrong == ["W2"]


# -- what the report says about a block ---------------------------------------


def test_clean_multiple_and_sign_flip_are_recognised():
    cost, parameters, gradients = quadratic()
    gradients["dA"] = -gradients["dA"]
    gradients["dv"] = 3 * gradients["dv"]
    report = check_gradients(cost, parameters, gradients, 1e-6)
    assert report["A"].factor == pytest.approx(-1, abs=1e-6)
    assert report["A"].sign_flip
    assert "flipped sign" in report["A"].verdict
    assert report["v"].factor == pytest.approx(3, rel=1e-6)
    assert not report["v"].sign_flip
    assert report["v"].difference == pytest.approx(0.5, rel=1e-6)  # (k - 1) / (k + 1)


def test_an_error_that_is_not_a_multiple_gets_no_factor_and_names_its_worst_coordinate():
    cost, parameters, gradients = quadratic()
    gradients["dA"] = gradients["dA"].copy()
    gradients["dA"][1, 3] += 5.0
    report = check_gradients(cost, parameters, gradients, 1e-6)
    assert report["A"].band == "wrong"
    assert report["A"].factor is None
    assert report["A"].worst[0] == "A[1, 3]"
    assert "A[1, 3]" in report["A"].verdict
    assert report.worst[0][0] == "A[1, 3]"
    assert report["v"].band == "excellent"


def test_a_single_entry_or_a_diluted_error_is_not_called_a_clean_multiple():
    cost, parameters, gradients = quadratic()
    wobble = np.sin(np.arange(12)).reshape(3, 4)
    gradients["dA"] = gradients["dA"] + 1e-3 * np.abs(gradients["dA"]).max() * wobble
    report = check_gradients(cost, parameters, gradients, 1e-6)
    assert report["A"].band in ("suspicious", "wrong")
    assert report["A"].factor is None
    one = check_gradients(lambda p: 0.5 * np.sum(p["c"] ** 2), {"c": np.array([2.0])},
                          {"dc": np.array([6.0])})
    assert one["c"].band == "wrong" and one["c"].factor is None


def test_worst_coordinates_carry_their_indices_in_the_course_network():
    X, Y, parameters = gradient_check_n_test_case()
    _, cache = forward(X, Y, parameters)
    gradients = fixed_backward(X, Y, cache)
    gradients["dW2"] = gradients["dW2"].copy()
    gradients["dW2"][1, 3] += 0.5
    gradients["db3"] = gradients["db3"] - 0.1
    report = check_gradients(lambda p: forward(X, Y, p)[0], parameters, gradients)
    labels = [entry[0] for entry in report.worst]
    assert labels[:2] == ["W2[1, 3]", "b3[0, 0]"] or labels[:2] == ["b3[0, 0]", "W2[1, 3]"]
    assert report.wrong == ["W2", "b3"]
    assert "W2[1, 3]" in str(report)


def test_both_relative_error_conventions():
    grad = np.array([1.0, 2.0, 0.0, 1e-12])
    approx = np.array([1.0, 2.2, 0.0, 3e-12])
    expected_norm = np.linalg.norm(grad - approx) / (np.linalg.norm(grad) + np.linalg.norm(approx))
    assert relative_difference(grad, approx) == pytest.approx(expected_norm, rel=1e-12)
    assert relative_difference(np.zeros(3), np.zeros(3)) == 0.0
    errors = relative_errors(grad, approx)
    assert errors[0] == 0.0
    assert errors[1] == pytest.approx(0.2 / 2.2, rel=1e-12)
    assert errors[2] == 0.0
    assert errors[3] == pytest.approx(2e-12 / 1e-8, rel=1e-9)  # the floor, not 2/3
    block = BlockReport("x", (4,), [f"x[{i}]" for i in range(4)], grad, approx)
    assert block.max_error == pytest.approx(0.2 / 2.2)
    assert block.difference == pytest.approx(expected_norm)


@pytest.mark.parametrize(("value", "expected"), [
    (0.5, "wrong"), (2e-2, "wrong"), (5e-3, "suspicious"), (2e-4, "suspicious"),
    (5e-5, "acceptable"), (2e-7, "acceptable"), (5e-8, "excellent"), (0.0, "excellent"),
    (float("nan"), "wrong"), (float("inf"), "wrong"),
])
def test_bands_follow_the_usual_reading(value, expected):
    assert band(value) == expected


def test_a_nan_gradient_never_passes():
    cost, parameters, gradients = quadratic()
    name = next(iter(gradients))
    gradients[name] = gradients[name] * np.nan
    report = check_gradients(cost, parameters, gradients, 1e-6)
    assert not report.passed
    assert name.removeprefix("d") in report.wrong


def test_gradients_keyed_like_the_parameters_are_accepted():
    cost, parameters, gradients = quadratic()
    plain = {name[1:]: value for name, value in gradients.items()}
    report = check_gradients(cost, parameters, plain, 1e-6)
    assert report.passed


def test_missing_or_misshapen_gradients_are_explained():
    cost, parameters, gradients = quadratic()
    with pytest.raises(KeyError, match="dv"):
        check_gradients(cost, parameters, {"dA": gradients["dA"]})
    with pytest.raises(ValueError, match="shape"):
        check_gradients(cost, parameters, {"dA": gradients["dA"].T, "dv": gradients["dv"]})
    with pytest.raises(ValueError, match="one number"):
        check_gradients(lambda p: p["v"], parameters, gradients)


# -- sampled and directional checks -------------------------------------------


@pytest.fixture(scope="module")
def medium():
    """A 30-20-10-1 network (851 parameters) whose backward pass gets only db1 wrong."""
    X, Y, parameters = network((30, 20, 10, 1), m=8, seed=3)
    _, cache = forward(X, Y, parameters)
    gradients = backward(X, Y, cache, 1.0, 4.0)
    return (lambda p: forward(X, Y, p)[0]), parameters, gradients


def test_sampled_check_draws_from_every_block_and_finds_db1(medium):
    cost, parameters, gradients = medium
    report = check_gradients(cost, parameters, gradients, 1e-6, sample=4, seed=0)
    assert [len(block.labels) for block in report.blocks.values()] == [4, 4, 4, 4, 4, 1]
    assert report.cost_evaluations == 2 * 21 + 2
    assert report.wrong == ["b1"]
    assert report["b1"].factor == pytest.approx(4, rel=1e-5)
    again = check_gradients(cost, parameters, gradients, 1e-6, sample=4, seed=0)
    assert again["W1"].labels == report["W1"].labels


def test_directional_check_per_block_finds_db1(medium):
    cost, parameters, gradients = medium
    report = check_directions(cost, parameters, gradients, directions=2, seed=1)
    assert list(report.blocks) == list(KEYS)
    assert report["b1"].labels == ["b1 direction 0", "b1 direction 1"]
    assert report.cost_evaluations == 2 * 2 * 6 + 2
    assert report.wrong == ["b1"]
    assert report["b1"].factor == pytest.approx(4, rel=1e-5)
    for name in ("W1", "W2", "b2", "W3", "b3"):
        assert report[name].difference < 1e-6, name


def test_directional_check_agrees_with_a_correct_gradient(medium):
    cost, parameters, _ = medium
    X, Y, _ = network((30, 20, 10, 1), m=8, seed=3)
    gradients = fixed_backward(X, Y, forward(X, Y, parameters)[1])
    report = check_directions(cost, parameters, gradients, directions=3, seed=2)
    assert report.passed
    whole = check_directions(cost, parameters, gradients, directions=3, per_block=False, seed=2)
    assert list(whole.blocks) == ["all"] and whole.cost_evaluations == 2 * 3 + 2
    assert whole.passed


# -- warnings -----------------------------------------------------------------


def _has(report, words):
    return any(words in warning for warning in report.warnings)


def test_no_warning_on_a_clean_float64_check():
    cost, parameters, gradients = quadratic()
    report = check_gradients(cost, parameters, gradients, 1e-6, kink_inputs=lambda p: [p["A"] + 10])
    assert report.warnings == []
    assert report.passed


def test_float32_parameters_or_cost_are_warned_about():
    cost, parameters, gradients = quadratic()
    low = {name: value.astype(np.float32) for name, value in parameters.items()}
    assert _has(check_gradients(cost, low, gradients, 1e-6), "low precision")
    report = check_gradients(lambda p: np.float32(cost(p)), parameters, gradients, 1e-6)
    assert _has(report, "the cost returns float32")
    assert not _has(check_gradients(cost, parameters, gradients, 1e-6), "low precision")


@pytest.mark.parametrize(("epsilon", "warned"),
                         [(1e-10, True), (1e-2, True), (1e-6, False), (1e-7, False), (1e-4, False)])
def test_epsilon_far_from_the_sweet_spot_is_warned_about(epsilon, warned):
    cost, parameters, gradients = quadratic()
    assert _has(check_gradients(cost, parameters, gradients, epsilon), "sweet spot") == warned


def test_a_relu_input_next_to_zero_is_reported_as_a_kink():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(6)
    W = rng.standard_normal((4, 6))
    b = rng.standard_normal(4)
    b[2] = 3e-8 - W[2] @ x  # unit 2's input sits 3e-8 above zero, closer than epsilon
    parameters = {"W": W, "b": b}

    def cost(p):
        return float(np.sum(relu(p["W"] @ x + p["b"])))

    gradients = {"dW": np.outer(W @ x + b > 0, x), "db": (W @ x + b > 0).astype(float)}
    def relu_inputs(p):
        return {"Z": p["W"] @ x + p["b"]}

    report = check_gradients(cost, parameters, gradients, 1e-7, kink_inputs=relu_inputs)
    assert _has(report, "straddle a kink: ")
    assert _has(report, "b[2] (moves Z[2] across 0)")
    assert ("b[2]", "Z[2]") in report["b"].kinks
    assert report["b"].band == "wrong"  # the kink, not the (correct) gradient
    quiet = check_gradients(cost, parameters, gradients, 1e-9, check_random=False, kink_inputs=relu_inputs)
    assert not _has(quiet, "a kink")


def test_course_case_has_no_kink():
    X, Y, parameters = gradient_check_n_test_case()
    report = gradient_report(forward, fixed_backward, X, Y, parameters)
    assert not _has(report, "kink")


def test_a_random_cost_is_warned_about():
    cost, parameters, gradients = quadratic()
    rng = np.random.default_rng(0)

    def dropout_cost(p):
        keep = rng.random(p["A"].shape) < 0.8
        return cost({"A": p["A"] * keep / 0.8, "v": p["v"]})

    assert _has(check_gradients(dropout_cost, parameters, gradients, 1e-6), "the cost is random")
    assert not _has(check_gradients(cost, parameters, gradients, 1e-6), "the cost is random")
    assert not _has(check_gradients(dropout_cost, parameters, gradients, 1e-6, check_random=False),
                    "the cost is random")


# -- cost and side effects ----------------------------------------------------


def test_full_check_costs_exactly_two_evaluations_per_coordinate():
    cost, parameters, gradients = quadratic()
    calls = []

    def counted(p):
        calls.append(1)
        return cost(p)

    n = sum(value.size for value in parameters.values())
    report = check_gradients(counted, parameters, gradients, 1e-6, check_random=False)
    assert len(calls) == 2 * n == report.cost_evaluations
    calls.clear()
    report = check_gradients(counted, parameters, gradients, 1e-6)
    assert len(calls) == 2 * n + 2 == report.cost_evaluations


def test_cost_sees_one_float64_working_copy_and_the_caller_arrays_are_untouched():
    cost, parameters, gradients = quadratic()
    parameters["v"] = parameters["v"].astype(np.float32)
    before = {name: value.copy() for name, value in parameters.items()}
    seen = []  # the arrays themselves: held here, their ids cannot be reused

    def watching(p):
        seen.append(tuple(p.values()))
        assert all(v.dtype == np.float64 for v in p.values())
        assert all(v is not parameters[k] for k, v in p.items())
        return cost(p)

    check_gradients(watching, parameters, gradients, 1e-6)
    check_directions(watching, parameters, gradients, directions=2, seed=0)
    working_copies = {tuple(id(v) for v in arrays) for arrays in seen}
    assert len(working_copies) == 2  # one working copy per check, never one per coordinate
    for name, value in parameters.items():
        assert value.dtype == before[name].dtype
        assert np.array_equal(value, before[name])


def test_working_copy_is_restored_exactly_after_each_nudge():
    cost, parameters, gradients = quadratic()
    snapshots = []

    def recording(p):
        snapshots.append({k: v.copy() for k, v in p.items()})
        return cost(p)

    check_gradients(recording, parameters, gradients, 1e-6, check_random=False)
    for first in snapshots:
        changed = [k for k in first if not np.array_equal(first[k], parameters[k])]
        assert len(changed) == 1
        difference = np.flatnonzero(first[changed[0]] != parameters[changed[0]])
        assert difference.size == 1  # exactly one coordinate moved
    # coordinates far apart in time are still exactly the originals
    last = snapshots[-1]
    assert np.array_equal(last["A"], parameters["A"])


def test_html_repr_is_a_table(course_report):
    text = course_report._repr_html_()
    assert "<table" in text and "</table>" in text
    for name in KEYS:
        assert f"<code>{name}</code>" in text
    assert "4.000" in text
    assert "<li>" in text  # the worst entries
