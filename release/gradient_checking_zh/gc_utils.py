"""Helpers for the Gradient Checking assignment.

The network of the lesson keeps its parameters in a dictionary of arrays
(W1, b1, W2, b2, W3, b3).  Gradient checking nudges one number at a time, so
it needs the same numbers laid out as one column vector.  These helpers move
between the two layouts, always in the order of ``PARAMETER_SHAPES``.

The general gradient checker used after exercise 4 (``gradient_report``) is a
module of its own, ``gradient_checker.py``.
"""

import numpy as np

from course_language import gettext as _

#: What gradient_check and gradient_check_n print with ``print_msg=True``: the
#: verdict, in the language of the assignment (the notebook prints these names,
#: so its code is the same in every language).
BACKWARD_FINE = _("Your backward propagation works perfectly fine!")
BACKWARD_MISTAKE = _("There is a mistake in the backward propagation!")

#: Name and shape of every parameter block, in the order they are flattened.
PARAMETER_SHAPES = {
    "W1": (5, 4),
    "b1": (5, 1),
    "W2": (3, 5),
    "b2": (3, 1),
    "W3": (1, 3),
    "b3": (1, 1),
}


def sigmoid(x):
    """Logistic function 1 / (1 + e^-x), applied element-wise."""
    return 1 / (1 + np.exp(-x))


def relu(x):
    """Rectified linear unit max(0, x), applied element-wise."""
    return np.maximum(0, x)


def dictionary_to_vector(parameters):
    """Stack the parameter blocks into one (n, 1) column.

    Returns ``(theta, keys)``: ``keys[i]`` names the block that ``theta[i]``
    came from, so a large entry of a difference vector can be traced back to
    W1, b1, ... without counting offsets by hand.
    """
    columns = []
    keys = []
    for name in PARAMETER_SHAPES:
        block = np.reshape(parameters[name], (-1, 1))
        columns.append(block)
        keys.extend([name] * block.shape[0])
    return np.concatenate(columns, axis=0), keys


def vector_to_dictionary(theta):
    """Cut an (n, 1) column back into the parameter blocks (inverse of
    ``dictionary_to_vector``)."""
    theta = np.asarray(theta)
    expected = sum(int(np.prod(shape)) for shape in PARAMETER_SHAPES.values())
    if theta.size != expected:
        raise ValueError(
            f"vector_to_dictionary expects {expected} numbers (W1, b1, W2, b2, W3, b3), "
            f"got an array of shape {theta.shape}"
        )
    flat = theta.reshape(-1)
    parameters = {}
    start = 0
    for name, shape in PARAMETER_SHAPES.items():
        stop = start + int(np.prod(shape))
        parameters[name] = flat[start:stop].reshape(shape)
        start = stop
    return parameters


def gradients_to_vector(gradients):
    """Stack dW1, db1, dW2, db2, dW3, db3 into one (n, 1) column, in the same
    order as ``dictionary_to_vector`` stacks the parameters."""
    missing = [f"d{name}" for name in PARAMETER_SHAPES if f"d{name}" not in gradients]
    if missing:
        raise KeyError(f"gradients is missing {', '.join(missing)}")
    columns = [np.reshape(gradients[f"d{name}"], (-1, 1)) for name in PARAMETER_SHAPES]
    return np.concatenate(columns, axis=0)
