"""What the demo's four sample students must score, cell by cell.

One place for the expectation that `make demo` prints and that the pipeline,
adversarial and browser tests check.
"""

POINTS = {
    "test_ex1_forward_propagation": 1,
    "test_ex2_backward_propagation": 1,
    "test_ex3_gradient_check": 1,
    "test_ex3_gradient_check_nonlinear": 1,
    "test_ex4_gradient_check_n": 2,
    "test_ex4_gradient_check_n_wrong_gradients": 2,
    "test_ex5_fixed_backward_propagation_n": 2,
}
LOST = {
    "complete": set(),
    "blank": set(POINTS),
    "unfixed_backward": {"test_ex5_fixed_backward_propagation_n"},
    "gradient_check_n_mistake": {"test_ex4_gradient_check_n",
                                 "test_ex4_gradient_check_n_wrong_gradients"},
}


def total(student):
    """The student's expected total out of 10."""
    return sum(POINTS.values()) - sum(POINTS[grade_id] for grade_id in LOST[student])
