"""Common mistakes, each a one-line edit of the instructor's solution, and the cause
the public test of its exercise must name.

``MISTAKES``: the edit must make ``cell``'s public test fail with an error whose
``mistake`` key is ``cause`` and whose message contains ``phrase``; no other
exercise's test may fail (each exercise is judged alone).  ``notes``: test cells
that must pass while printing a note with the given words (a mistake in
exercise 1 or 2 is reported by exercise 3's test as a note).

``CORRECT``: other right ways to write an exercise.  Every public test passes
and prints no note, except the notes listed (printing is not graded: a missing
or reworded verdict line is a note, never a failure).
"""

from dataclasses import dataclass, field

EX1, EX2, EX3 = "ex1_forward_propagation", "ex2_backward_propagation", "ex3_gradient_check"
EX4, EX5 = "ex4_gradient_check_n", "ex5_fixed_backward_propagation_n"
T1, T2, T3 = "test_ex1_forward_propagation", "test_ex2_backward_propagation", "test_ex3_gradient_check"
T3N = "test_ex3_gradient_check_nonlinear"
T4, T4W = "test_ex4_gradient_check_n", "test_ex4_gradient_check_n_wrong_gradients"
T5 = "test_ex5_fixed_backward_propagation_n"
#: The test cells of each exercise: a mistake in one exercise may fail these only.
CELLS_OF = {EX1: {T1}, EX2: {T2}, EX3: {T3, T3N}, EX4: {T4, T4W}, EX5: {T5}}

GRADAPPROX = "gradapprox = (J_plus - J_minus) / (2 * epsilon)"
GRADAPPROX_N = "gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * epsilon)"
DENOMINATOR = "denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)"
RATIO = "difference = numerator / denominator"
FINE = "BACKWARD_FINE"
MISTAKE = "BACKWARD_MISTAKE"


@dataclass
class Mistake:
    name: str
    answer: str      # the answer cell edited
    old: str         # the line (or part of it) replaced ...
    new: str         # ... by this
    cell: str = None     # the test cell that must fail
    cause: str = None    # the `mistake` key of its error
    phrase: str = ""     # words its message must contain
    notes: dict = field(default_factory=dict)   # passing test cell -> words of its note
    issue: bool = False  # one of the cases issue 11 lists


MISTAKES = [
    # --- exercise 1 ------------------------------------------------------------------------------
    Mistake("sum instead of product", EX1, "J = theta * x", "J = theta + x", T1, "theta_plus_x",
            "which is theta + x", notes={T3: "forward_propagation (exercise 1) is wrong"}, issue=True),
    Mistake("returns the derivative", EX1, "J = theta * x", "J = x", T1, "derivative_as_cost",
            "which is x, the derivative", notes={T3: "forward_propagation (exercise 1) is wrong"},
            issue=True),
    Mistake("returns an array", EX1, "J = theta * x", "J = np.array([theta * x])", T1, "ndarray",
            "ndarray of shape (1,)", issue=True),
    Mistake("returns a list", EX1, "J = theta * x", "J = [theta * x]", T1, "sequence",
            "returned a list"),
    Mistake("hard-coded example", EX1, "J = theta * x", "J = 8", T1, "constant",
            "returns 8 whatever x and theta are"),
    Mistake("no return value", EX1, "    return J", "    J", T1, "none", "returned None"),
    # --- exercise 2 ------------------------------------------------------------------------------
    Mistake("returns the cost", EX2, "dtheta = x", "dtheta = theta * x", T2, "cost_as_derivative",
            "which is J itself", notes={T3: "backward_propagation (exercise 2) is wrong"}, issue=True),
    Mistake("derivative in x", EX2, "dtheta = x", "dtheta = theta", T2, "theta_as_derivative",
            "differentiate with respect to theta",
            notes={T3: "your backward_propagation (exercise 2) is wrong"}, issue=True),
    Mistake("wrong sign", EX2, "dtheta = x", "dtheta = -x", T2, "sign", "wrong sign"),
    Mistake("constant slope", EX2, "dtheta = x", "dtheta = 1", T2, "constant",
            "depends on x"),
    # --- exercise 3 ------------------------------------------------------------------------------
    Mistake("sum over theta", EX3, GRADAPPROX, "gradapprox = (J_plus + J_minus) / (2 * theta)", T3,
            "gradapprox_sum_over_theta", "(J_plus + J_minus) / (2 * theta)", issue=True),
    Mistake("missing factor 2", EX3, GRADAPPROX, "gradapprox = (J_plus - J_minus) / epsilon", T3,
            "gradapprox_no_two", "twice too large", issue=True),
    Mistake("precedence in gradapprox", EX3, GRADAPPROX, "gradapprox = (J_plus - J_minus) / 2 * epsilon",
            T3, "gradapprox_precedence", "multiplies by epsilon", issue=True),
    Mistake("J_minus - J_plus", EX3, GRADAPPROX, "gradapprox = (J_minus - J_plus) / (2 * epsilon)", T3,
            "gradapprox_swapped", "wrong sign"),
    Mistake("one-sided difference", EX3, "J_minus = forward_propagation(x, theta_minus)",
            "J_minus = forward_propagation(x, theta)", T3, "one_sided", "one-sided difference", issue=True),
    Mistake("both evaluations at theta + epsilon", EX3, "theta_minus = theta - epsilon",
            "theta_minus = theta + epsilon", T3, "both_plus", "Both evaluations", issue=True),
    Mistake("sets theta_plus to epsilon", EX3, "theta_plus = theta + epsilon", "theta_plus = epsilon", T3,
            "set_not_add", "which is epsilon itself", issue=True),
    Mistake("ignores epsilon", EX3, "theta_plus = theta + epsilon",
            "epsilon = 1e-7\n    theta_plus = theta + epsilon", T3, "ignores_epsilon",
            "use the epsilon argument"),
    Mistake("grad from gradapprox", EX3, "grad = backward_propagation(x, theta)", "grad = gradapprox", T3,
            "no_backward", "never called backward_propagation", issue=True),
    Mistake("grad at theta_plus", EX3, "grad = backward_propagation(x, theta)",
            "grad = backward_propagation(x, theta_plus)", T3, "grad_not_at_theta",
            "call backward_propagation(x, theta)"),
    Mistake("arguments swapped", EX3, "J_plus = forward_propagation(x, theta_plus)",
            "J_plus = forward_propagation(theta_plus, x)", T3, "swapped_arguments", "other way round"),
    Mistake("numerator alone", EX3, RATIO, "difference = numerator", T3, "difference_numerator_only",
            "numerator np.linalg.norm(grad - gradapprox) alone", issue=True),
    Mistake("norm of the sum", EX3, DENOMINATOR, "denominator = np.linalg.norm(grad + gradapprox)", T3,
            "difference_norm_of_sum", "norm of the sum", issue=True),
    Mistake("numerator without norm", EX3, "numerator = np.linalg.norm(grad - gradapprox)",
            "numerator = grad - gradapprox", T3, "difference_signed", "negative"),
    Mistake("denominator without parentheses", EX3, RATIO,
            "difference = numerator / np.linalg.norm(grad) + np.linalg.norm(gradapprox)", T3,
            "difference_denominator_precedence", "parentheses"),
    Mistake("returns an array", EX3, RATIO, "difference = np.array([numerator / denominator])", T3,
            "ndarray", "ndarray of shape (1,)", issue=True),
    Mistake("float32", EX3, "theta_plus = theta + epsilon",
            "theta = np.float32(theta)\n    theta_plus = theta + epsilon", T3, "float32", "float32",
            issue=True),
    Mistake("uses the notebook's x", EX3, "J_plus = forward_propagation(x, theta_plus)",
            "J_plus = forward_propagation(globals()['x'], theta_plus)", T3, "wrong_x",
            "use its argument x"),
    # --- exercise 4 ------------------------------------------------------------------------------
    Mistake("missing factor 2", EX4, GRADAPPROX_N, "gradapprox[i] = (J_plus[i] - J_minus[i]) / epsilon",
            T4, "gradapprox_no_two", "twice too large", issue=True),
    Mistake("precedence in gradapprox", EX4, GRADAPPROX_N,
            "gradapprox[i] = (J_plus[i] - J_minus[i]) / 2 * epsilon", T4, "gradapprox_precedence",
            "multiplies by epsilon", issue=True),
    Mistake("perturbs every coordinate", EX4, "theta_plus[i, 0] += epsilon", "theta_plus += epsilon", T4,
            "perturbs_all", "moves all 47 parameters at once", issue=True),
    Mistake("sets instead of adding", EX4, "theta_plus[i, 0] += epsilon", "theta_plus[i, 0] = epsilon",
            T4, "set_not_add", "instead of adding", issue=True),
    Mistake("both evaluations at theta + epsilon", EX4, "theta_minus[i, 0] -= epsilon",
            "theta_minus[i, 0] += epsilon", T4, "both_plus", "Both evaluations", issue=True),
    Mistake("one-sided difference", EX4, "theta_minus[i, 0] -= epsilon", "pass", T4, "one_sided",
            "one-sided difference", issue=True),
    Mistake("theta_minus is theta_plus", EX4, "theta_minus = np.copy(parameters_values)",
            "theta_minus = theta_plus", T4, "same_array", "same array as theta_plus", issue=True),
    Mistake("theta_plus is no copy", EX4, "theta_plus = np.copy(parameters_values)",
            "theta_plus = parameters_values", T4, "no_copy", "makes no copy", issue=True),
    Mistake("wrong step", EX4, "theta_minus[i, 0] -= epsilon", "theta_minus[i, 0] -= 2 * epsilon", T4,
            "wrong_step", "where epsilon is"),
    Mistake("ignores epsilon", EX4, "for i in range(num_parameters):",
            "epsilon = 1e-7\n    for i in range(num_parameters):", T4, "ignores_epsilon",
            "use the epsilon argument"),
    Mistake("fixed index", EX4, "theta_plus[i, 0] += epsilon", "theta_plus[0, 0] += epsilon", T4,
            "wrong_index", "nudges entry 0 for every i"),
    Mistake("loop stops early", EX4, "for i in range(num_parameters):",
            "for i in range(num_parameters - 1):", T4, "missing_entries", "never nudged entries 46"),
    Mistake("stores (cost, cache)", EX4, "J_plus[i], _ = forward_propagation_n(",
            "J_plus[i] = forward_propagation_n(", T4, "stored_pair", "J_plus[i], _ = forward_propagation_n",
            issue=True),
    Mistake("shapes (47,) and (47, 1)", EX4, "grad = gradients_to_vector(gradients)",
            "grad = gradients_to_vector(gradients).ravel()", T4, "difference_shape_mismatch",
            "broadcasts them to an n x n matrix", issue=True),
    Mistake("norm of the sum", EX4, DENOMINATOR, "denominator = np.linalg.norm(grad + gradapprox)", T4,
            "difference_norm_of_sum", "norm of the sum", issue=True),
    Mistake("numerator alone", EX4, RATIO, "difference = numerator", T4, "difference_numerator_only",
            "alone", issue=True),
    Mistake("float32 parameters", EX4, "num_parameters = parameters_values.shape[0]",
            "parameters_values = parameters_values.astype(np.float32)\n"
            "    num_parameters = parameters_values.shape[0]", T4, "float32", "float32", issue=True),
    Mistake("recomputes the gradients", EX4, "grad = gradients_to_vector(gradients)",
            "grad = gradients_to_vector(\n"
            "        backward_propagation_n(X, Y, forward_propagation_n(X, Y, parameters)[1]))",
            T4, "own_backward", "calls backward_propagation_n itself", issue=True),
    Mistake("uses the notebook's X and Y", EX4, "parameters_values, _ = dictionary_to_vector(parameters)",
            "X, Y = globals()['X'], globals()['Y']\n"
            "    parameters_values, _ = dictionary_to_vector(parameters)", T4, "wrong_inputs",
            "use its arguments X and Y"),
    Mistake("uses the notebook's parameters", EX4, "parameters_values, _ = dictionary_to_vector(parameters)",
            "parameters_values, _ = dictionary_to_vector(globals()['parameters'])", T4, "wrong_parameters",
            "around the notebook's parameters"),
    # --- exercise 5 ------------------------------------------------------------------------------
    Mistake("dW2 left doubled", EX5, "dW2 = 1.0 / m * np.dot(dZ2, A1.T)",
            "dW2 = 1.0 / m * np.dot(dZ2, A1.T) * 2", T5, "block_factor", "dW2 is 2 times the true gradient"),
    Mistake("db1 left at 4/m", EX5, "db1 = 1.0 / m", "db1 = 4.0 / m", T5, "block_factor",
            "db1 is 4 times the true gradient"),
    Mistake("db1 without keepdims", EX5, "db1 = 1.0 / m * np.sum(dZ1, axis=1, keepdims=True)",
            "db1 = 1.0 / m * np.sum(dZ1, axis=1)", T5, "block_shape", "keepdims=True"),
    Mistake("dW1 transposed", EX5, "dW1 = 1.0 / m * np.dot(dZ1, X.T)", "dW1 = 1.0 / m * np.dot(X, dZ1.T)",
            T5, "block_shape", "dW1 has shape (4, 5); expected (5, 4)"),
    Mistake("ReLU slope everywhere", EX5, "dZ1 = np.multiply(dA1, np.int64(A1 > 0))",
            "dZ1 = np.multiply(dA1, np.int64(A1 >= 0))", T5, "block_wrong", "dW1 is wrong"),
]

# Right in another way: full marks, and a note only where printing differs.
CORRECT = [
    Mistake("the solution", EX3, "grad = ", "grad = "),
    Mistake(".copy() instead of np.copy", EX4, "theta_plus = np.copy(parameters_values)",
            "theta_plus = parameters_values.copy()"),
    Mistake("in-place nudge with undo", EX4, "theta_minus = np.copy(parameters_values)",
            "theta_minus = theta_plus\n        theta_minus[i, 0] -= epsilon"),
    Mistake("float return", EX3, RATIO, "difference = float(numerator / denominator)"),
    Mistake("np.float64 return", EX4, RATIO, "difference = np.float64(numerator / denominator)"),
    Mistake("abs for the norms", EX3, DENOMINATOR, "denominator = abs(grad) + abs(gradapprox)"),
    Mistake("divides by the step", EX3, GRADAPPROX,
            "gradapprox = (J_plus - J_minus) / (theta_plus - theta_minus)"),
    Mistake("unpacks with [0]", EX4,
            "J_plus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_plus))",
            "J_plus[i] = forward_propagation_n(X, Y, vector_to_dictionary(theta_plus))[0]"),
    Mistake("print_msg compared to True", EX3, "if print_msg:", "if print_msg == True:"),
    Mistake("verdict without colour", EX4, '"\\033[92m" + ', ""),
    Mistake("prints nothing", EX3, "if print_msg:", "if False:", notes={T3: "printed nothing"}),
    Mistake("prints other words", EX4, FINE, '"Looks right:"',
            notes={T4: "not the verdict"}),
    Mistake("prints to stderr", EX3, "if print_msg:",
            "if print_msg:\n        import sys, functools\n"
            "        print = functools.partial(__import__('builtins').print, file=sys.stderr)"),
    Mistake("dZ from Z > 0", EX5, "dZ1 = np.multiply(dA1, np.int64(A1 > 0))",
            "dZ1 = np.multiply(dA1, np.int64(Z1 > 0))"),
]
