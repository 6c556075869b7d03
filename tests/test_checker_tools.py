"""Exercises 3 and 4 cannot be passed by calling gradient_checker."""

import numpy as np
import pytest

import gradient_checker
import public_tests
from public_tests import checker_tools, checker_tools_disabled


def test_every_function_and_class_of_the_checker_is_refused():
    tools = checker_tools()
    for name in ("check_gradients", "check_directions", "gradient_report", "relative_difference",
                 "relative_errors", "band", "BlockReport", "GradientReport"):
        assert name in tools
    assert "np" not in tools and "html" not in tools  # what it imports is not its own


def test_tools_refuse_inside_and_come_back_after():
    namespace = {"alias": gradient_checker.relative_difference, "other": np.linalg.norm,
                 "Block": gradient_checker.BlockReport}
    original = gradient_checker.check_gradients
    with checker_tools_disabled(namespace):
        with pytest.raises(AssertionError, match="write the check yourself"):
            gradient_checker.check_gradients(None, {}, {})
        with pytest.raises(AssertionError, match="write the check yourself"):
            namespace["alias"](np.ones(2), np.ones(2))
        with pytest.raises(AssertionError, match="write the check yourself"):
            namespace["Block"]("x", (2,), ["a", "b"], np.ones(2), np.ones(2))
        assert namespace["other"] is np.linalg.norm
    assert gradient_checker.check_gradients is original
    assert namespace["alias"] is gradient_checker.relative_difference
    assert namespace["Block"] is gradient_checker.BlockReport
    assert namespace["alias"](np.ones(2), np.ones(2)) == 0.0


def test_public_test_rejects_a_borrowed_check():
    def gradient_check(x, theta, epsilon=1e-7, print_msg=False):
        gradapprox = (theta + epsilon - (theta - epsilon)) * x / (2 * epsilon)
        return gradient_checker.relative_difference(np.array([x]), np.array([gradapprox]))

    with pytest.raises(AssertionError, match="write the check yourself"):
        public_tests.gradient_check_test(gradient_check)
    assert gradient_checker.relative_difference.__name__ == "relative_difference"


def test_course_helpers_hold_no_checker():
    import gc_utils

    assert not hasattr(gc_utils, "check_gradients") and not hasattr(gc_utils, "gradient_report")
    assert {"sigmoid", "relu", "dictionary_to_vector", "vector_to_dictionary",
            "gradients_to_vector"} <= set(vars(gc_utils))
