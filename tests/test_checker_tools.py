"""Exercises 3 and 4 cannot be passed by calling gc_utils' own checker."""

import numpy as np
import pytest

import gc_utils
import public_tests
from public_tests import checker_tools_disabled


def test_tools_refuse_inside_and_come_back_after():
    namespace = {"alias": gc_utils.relative_difference, "other": np.linalg.norm}
    original = gc_utils.check_gradients
    with checker_tools_disabled(namespace):
        with pytest.raises(AssertionError, match="write the check yourself"):
            gc_utils.check_gradients(None, {}, {})
        with pytest.raises(AssertionError, match="write the check yourself"):
            namespace["alias"](np.ones(2), np.ones(2))
        assert namespace["other"] is np.linalg.norm
    assert gc_utils.check_gradients is original
    assert namespace["alias"] is gc_utils.relative_difference
    assert namespace["alias"](np.ones(2), np.ones(2)) == 0.0


def test_public_test_rejects_a_borrowed_check():
    def gradient_check(x, theta, epsilon=1e-7, print_msg=False):
        gradapprox = (theta + epsilon - (theta - epsilon)) * x / (2 * epsilon)
        return gc_utils.relative_difference(np.array([x]), np.array([gradapprox]))

    with pytest.raises(AssertionError, match="write the check yourself"):
        public_tests.gradient_check_test(gradient_check)
    assert gc_utils.relative_difference.__name__ == "relative_difference"
