"""Mistakes the public tests were never tuned on, and the step each must be located at.

Written before the stage localisation (issue 20) and not to be tuned against it: each
entry is a one-line edit of the instructor's solution that ``tests/mistake_catalogue.py``
does not hold, with the first intermediate value of the pipeline it makes wrong.  The
public test of its exercise must fail, and its error must carry that stage.

Stages of exercises 3 and 4, in the order the check computes them::

    theta_plus, theta_minus, J_plus, J_minus, gradapprox, grad, numerator, denominator,
    difference

and ``loop`` for exercise 4 when the loop never reaches some entries (it returned
early, inside the loop).  Exercise 5 is located by block: ``blocks`` maps each wrong
block to the kind of error it has (``factor <k>``, ``sign``, ``transposed``, ``shape``
or ``wrong``); every other block must be right.

``RIGHT``: other right ways to write the exercises, which must pass with no note.
"""

from dataclasses import dataclass, field

from mistake_catalogue import EX3, EX4, EX5

STAGES = ("theta_plus", "theta_minus", "J_plus", "J_minus", "gradapprox", "grad", "numerator",
          "denominator", "difference", "loop")

NUMERATOR = "numerator = np.linalg.norm(grad - gradapprox)"
DENOMINATOR = "denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)"
RATIO = "difference = numerator / denominator"
GRADAPPROX_N = "gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * epsilon)"
J_MINUS_N = "J_minus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_minus))"
J_PLUS_N = "J_plus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_plus))"


@dataclass
class Unseen:
    name: str
    answer: str          # the answer cell edited
    old: str             # the text replaced ...
    new: str             # ... by this
    stage: str = None    # exercises 3 and 4: the first wrong stage
    blocks: dict = field(default_factory=dict)   # exercise 5: block -> kind of error
    issue: bool = False  # one of the cases issue 20 lists


UNSEEN = [
    # --- exercise 3 ------------------------------------------------------------------------------
    Unseen("relative step", EX3, "theta_plus = theta + epsilon", "theta_plus = theta * (1 + epsilon)",
           "theta_plus", issue=True),
    Unseen("theta_plus two epsilons away", EX3, "theta_plus = theta + epsilon",
           "theta_plus = theta + 2 * epsilon", "theta_plus"),
    Unseen("theta_minus from theta_plus", EX3, "theta_minus = theta - epsilon",
           "theta_minus = theta_plus - epsilon", "theta_minus"),
    Unseen("J_plus at theta_minus", EX3, "J_plus = forward_propagation(x, theta_plus)",
           "J_plus = forward_propagation(x, theta_minus)", "J_plus"),
    Unseen("J_minus at theta_plus", EX3, "J_minus = forward_propagation(x, theta_minus)",
           "J_minus = forward_propagation(x, theta_plus)", "J_minus"),
    Unseen("precedence in the numerator of gradapprox", EX3,
           "gradapprox = (J_plus - J_minus) / (2 * epsilon)",
           "gradapprox = J_plus - J_minus / (2 * epsilon)", "gradapprox"),
    Unseen("backward with swapped arguments", EX3, "grad = backward_propagation(x, theta)",
           "grad = backward_propagation(theta, x)", "grad"),
    Unseen("difference of the norms", EX3, NUMERATOR,
           "numerator = abs(np.linalg.norm(grad) - np.linalg.norm(gradapprox))", "numerator", issue=True),
    Unseen("cs231n denominator", EX3, DENOMINATOR, "denominator = max(abs(grad), abs(gradapprox))",
           "denominator", issue=True),
    Unseen("grad twice in the denominator", EX3, DENOMINATOR,
           "denominator = np.linalg.norm(grad) + np.linalg.norm(grad)", "denominator"),
    Unseen("ratio upside down", EX3, RATIO, "difference = denominator / numerator", "difference"),
    # --- exercise 4 ------------------------------------------------------------------------------
    Unseen("relative step", EX4, "theta_plus[i, 0] += epsilon",
           "theta_plus[i, 0] = theta_plus[i, 0] * (1 + epsilon)", "theta_plus", issue=True),
    Unseen("theta_minus copied from theta_plus", EX4, "theta_minus = np.copy(parameters_values)",
           "theta_minus = np.copy(theta_plus)", "theta_minus"),
    Unseen("J_plus at the parameters", EX4, J_PLUS_N,
           "J_plus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(parameters_values))", "J_plus"),
    Unseen("J_minus at theta_plus", EX4, J_MINUS_N,
           "J_minus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_plus))", "J_minus"),
    Unseen("J_minus stored one entry early", EX4, J_MINUS_N,
           "J_minus[i - 1], _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_minus))", "J_minus"),
    Unseen("off-by-one index into J_minus", EX4, GRADAPPROX_N,
           "gradapprox[i] = (J_plus[i] - J_minus[i - 1]) / (2 * epsilon)", "gradapprox", issue=True),
    Unseen("sum in gradapprox", EX4, GRADAPPROX_N,
           "gradapprox[i] = (J_plus[i] + J_minus[i]) / (2 * epsilon)", "gradapprox"),
    Unseen("grad of the wrong sign", EX4, "grad = gradients_to_vector(gradients)",
           "grad = -gradients_to_vector(gradients)", "grad"),
    Unseen("L1 norm in the numerator", EX4, NUMERATOR, "numerator = np.sum(np.abs(grad - gradapprox))",
           "numerator", issue=True),
    Unseen("difference of the norms", EX4, NUMERATOR,
           "numerator = abs(np.linalg.norm(grad) - np.linalg.norm(gradapprox))", "numerator", issue=True),
    Unseen("L1 norm in the denominator", EX4, DENOMINATOR,
           "denominator = np.sum(np.abs(grad)) + np.sum(np.abs(gradapprox))", "denominator", issue=True),
    Unseen("denominator of grad alone", EX4, DENOMINATOR, "denominator = np.linalg.norm(grad)",
           "denominator"),
    Unseen("difference averaged over the parameters", EX4, RATIO,
           "difference = numerator / denominator / num_parameters", "difference"),
    Unseen("comparison indented into the loop", EX4, GRADAPPROX_N,
           GRADAPPROX_N + "\n        " + NUMERATOR + "\n        " + DENOMINATOR + "\n        " + RATIO
           + "\n        return difference", "loop", issue=True),
    # --- exercise 5 ------------------------------------------------------------------------------
    Unseen("dZ3 of the wrong sign", EX5, "dZ3 = A3 - Y", "dZ3 = Y - A3",
           blocks={"dW1": "sign", "db1": "sign", "dW2": "sign", "db2": "sign", "dW3": "sign",
                   "db3": "sign"}),
    Unseen("dW3 transposed", EX5, "dW3 = 1.0 / m * np.dot(dZ3, A2.T)", "dW3 = 1.0 / m * np.dot(A2, dZ3.T)",
           blocks={"dW3": "transposed"}),
    Unseen("db1 transposed", EX5, "db1 = 1.0 / m * np.sum(dZ1, axis=1, keepdims=True)",
           "db1 = 1.0 / m * np.sum(dZ1, axis=1, keepdims=True).T", blocks={"db1": "transposed"}),
    Unseen("db2 summed over the wrong axis", EX5, "db2 = 1.0 / m * np.sum(dZ2, axis=1, keepdims=True)",
           "db2 = 1.0 / m * np.sum(dZ2, axis=0, keepdims=True)", blocks={"db2": "shape"}),
    Unseen("db3 summed over everything", EX5, "db3 = 1.0 / m * np.sum(dZ3, axis=1, keepdims=True)",
           "db3 = 1.0 / m * np.sum(dZ3)", blocks={"db3": "shape"}),
    Unseen("dW2 without 1/m", EX5, "dW2 = 1.0 / m * np.dot(dZ2, A1.T)", "dW2 = np.dot(dZ2, A1.T)",
           blocks={"dW2": "factor 3"}),
    Unseen("db3 of the wrong sign", EX5, "db3 = 1.0 / m", "db3 = -1.0 / m", blocks={"db3": "sign"}),
    Unseen("dA1 halved", EX5, "dA1 = np.dot(W2.T, dZ2)", "dA1 = np.dot(W2.T, dZ2) * 0.5",
           blocks={"dW1": "factor 0.5", "db1": "factor 0.5"}),
]

RIGHT = [
    Unseen("numerator the other way round", EX3, NUMERATOR, "numerator = np.linalg.norm(gradapprox - grad)"),
    Unseen("abs for the numerator", EX3, NUMERATOR, "numerator = abs(grad - gradapprox)"),
    Unseen("theta_minus two epsilons below theta_plus", EX3, "theta_minus = theta - epsilon",
           "theta_minus = theta_plus - 2 * epsilon"),
    Unseen("numerator by hand", EX4, NUMERATOR, "numerator = np.sqrt(np.sum((grad - gradapprox) ** 2))"),
    Unseen("nudge indexed by i alone", EX4, "theta_plus[i, 0] += epsilon", "theta_plus[i] += epsilon"),
    Unseen("difference in one line", EX4, NUMERATOR + "\n    " + DENOMINATOR + "\n    " + RATIO,
           "difference = np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + "
           "np.linalg.norm(gradapprox))"),
    Unseen("db1 divided by m", EX5, "db1 = 1.0 / m * np.sum(dZ1, axis=1, keepdims=True)",
           "db1 = np.sum(dZ1, axis=1, keepdims=True) / m"),
]
