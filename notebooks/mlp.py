"""A small fully connected network for the self-study notebooks.

It has the course network's layout, with any number of layers:
LINEAR -> RELU -> ... -> LINEAR -> SIGMOID, parameters ``W1, b1, ..., WL, bL``
in a dictionary, examples in the columns of ``X``, labels ``Y`` of shape
(1, m), and the mean cross-entropy as cost.  With the sizes (4, 5, 3, 1) and
the course's test case it computes exactly the course's numbers.

The notebooks show the parts they are about (a stable cost, dropout, a
penalty) in their own cells; this module only holds what they share.
"""

import numpy as np


def relu(z):
    return np.maximum(0, z)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def init(sizes, seed=0):
    """Random parameters for layer sizes such as (784, 128, 64, 1).

    Weights are drawn with variance 2 / fan-in (He initialisation, the usual
    choice before a ReLU) and biases small, so every unit starts alive.
    """
    rng = np.random.default_rng(seed)
    parameters = {}
    for layer in range(1, len(sizes)):
        fan_in = sizes[layer - 1]
        parameters[f"W{layer}"] = rng.standard_normal((sizes[layer], fan_in)) * np.sqrt(2 / fan_in)
        parameters[f"b{layer}"] = 0.1 * rng.standard_normal((sizes[layer], 1))
    return parameters


def layers(parameters):
    return len(parameters) // 2


def forward(X, Y, parameters):
    """Return ``(cost, cache)``; the cache holds every Z and A (A0 is X)."""
    cache = {"A0": X}
    A = X
    L = layers(parameters)
    for layer in range(1, L + 1):
        Z = np.dot(parameters[f"W{layer}"], A) + parameters[f"b{layer}"]
        A = relu(Z) if layer < L else sigmoid(Z)
        cache[f"Z{layer}"], cache[f"A{layer}"] = Z, A
    m = X.shape[1]
    # the course's way of writing the cost, operation for operation
    logprobs = np.multiply(-np.log(A), Y) + np.multiply(-np.log(1 - A), 1 - Y)
    return 1.0 / m * np.sum(logprobs), cache


def backward(X, Y, parameters, cache, bugs=None):
    """Gradients dW1, db1, ... of the cost, by backpropagation.

    ``bugs`` multiplies chosen gradients by a constant, to plant a mistake
    on purpose: ``bugs={"db1": 4}`` makes db1 use 4/m instead of 1/m, the
    slip of the course's backward pass.
    """
    bugs = bugs or {}
    m = X.shape[1]
    L = layers(parameters)
    gradients = {}
    dZ = cache[f"A{L}"] - Y
    for layer in range(L, 0, -1):
        A_prev = cache[f"A{layer - 1}"]
        gradients[f"dW{layer}"] = 1.0 / m * np.dot(dZ, A_prev.T) * bugs.get(f"dW{layer}", 1)
        gradients[f"db{layer}"] = bugs.get(f"db{layer}", 1) / m * np.sum(dZ, axis=1, keepdims=True)
        if layer > 1:
            dA = np.dot(parameters[f"W{layer}"].T, dZ)
            dZ = np.multiply(dA, np.int64(A_prev > 0))
    return gradients


def relu_inputs(X, Y):
    """A ``kink_inputs`` callable for the checker: the Z of every ReLU layer."""

    def inputs(parameters):
        _, cache = forward(X, Y, parameters)
        return {f"Z{layer}": cache[f"Z{layer}"] for layer in range(1, layers(parameters))}

    return inputs
