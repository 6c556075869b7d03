"""The demo's score table names each graded cell readably."""

from scaffold.scores import format_table, short_label


def test_short_labels():
    assert short_label("test_ex3_gradient_check_nonlinear") == "ex3 nonlinear"
    assert short_label("test_ex4_gradient_check_n_wrong_gradients") == "ex4 wrong-grads"
    assert short_label("test_ex5_fixed_backward_propagation_n") == "ex5 fix"
    assert short_label("test_ex1_forward_propagation") == "ex1"


def test_table_rows_and_totals():
    table = format_table({
        "ada": {"test_ex1_forward_propagation": (1.0, 1.0), "test_ex4_gradient_check_n": (0.0, 2.0)},
        "bob": {"test_ex1_forward_propagation": (0.0, 1.0), "test_ex4_gradient_check_n": (2.0, 2.0)},
    })
    lines = table.splitlines()
    assert lines[0].split() == ["student", "ex1", "ex4", "total"]
    assert lines[2].split() == ["ada", "1/1", "0/2", "1/3"]
    assert lines[3].split() == ["bob", "0/1", "2/2", "2/3"]
