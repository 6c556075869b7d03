"""Fixed inputs for the N-dimensional gradient check.

Every value the lesson quotes (0.2850931567761623 with the given backward pass,
about 1.19e-07 once it is fixed) is computed on exactly these numbers, so the
draw order below must not change.
"""

import numpy as np

from gc_utils import PARAMETER_SHAPES


def gradient_check_n_test_case():
    """Return ``(X, Y, parameters)``: 3 examples with 4 features, their labels,
    and random weights for the 4-5-3-1 network."""
    np.random.seed(1)
    X = np.random.randn(4, 3)
    Y = np.array([1, 1, 0])
    parameters = {name: np.random.randn(*shape) for name, shape in PARAMETER_SHAPES.items()}
    return X, Y, parameters
