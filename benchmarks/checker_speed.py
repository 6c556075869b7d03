"""How fast the kit's gradient checker (gradient_checker.py) is, against torch.autograd.gradcheck.

On a 784-128-64-1 ReLU network (108,801 float64 parameters, a small batch):

1. the full check (``check_gradients``: 2 cost evaluations per parameter)
   against ``torch.autograd.gradcheck`` in its slow mode (also 2 evaluations
   per parameter, by default).  Both check *the same float64 function*: the
   network written once in torch, which gradient_checker calls on ``torch.from_numpy``
   views of its working copy, so only the checking machinery differs.  Goal:
   gradient_checker at least 1.5 times faster.  The full check with the plain NumPy
   cost a student would write is timed as well;
2. the directional check (``check_directions``, one random direction per
   block) against ``gradcheck(fast_mode=True)``.  Goal: no slower;
3. for two network sizes, the directional check's total time against the time
   its cost evaluations alone take: what the checker adds should not grow
   with the number of parameters beyond that.

torch is an optional extra, never a requirement of the kit.  Install the CPU
build that lies on this machine's disk with ``.venv/bin/pip install
torch==2.13.0`` (any other version, or a plain ``torch``, pulls a CUDA build
of several GB).  Without torch, the torch comparisons are skipped and the
rest still runs.  Not a test: run from the repository root::

    .venv/bin/python -m benchmarks.checker_speed [--batch 4]
"""

import argparse
import os
import time

import numpy as np

from gradient_checker import check_directions, check_gradients

try:
    import torch
except ImportError:  # the optional extra is not installed
    torch = None

NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")


def network(sizes, batch, seed=0):
    """Parameters (He-scaled, float64), inputs and labels of a ReLU network."""
    rng = np.random.default_rng(seed)
    parameters = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        parameters[f"W{layer}"] = rng.standard_normal((fan_out, fan_in)) * np.sqrt(2 / fan_in)
        parameters[f"b{layer}"] = rng.standard_normal((fan_out, 1)) * 0.1
    X = rng.standard_normal((sizes[0], batch))
    Y = (rng.random((1, batch)) < 0.5).astype(np.float64)
    return parameters, X, Y


def numpy_cost(X, Y):
    """The cross-entropy of LINEAR-RELU-LINEAR-RELU-LINEAR-SIGMOID, in NumPy."""
    m = X.shape[1]

    def cost(p):
        A1 = np.maximum(0, p["W1"] @ X + p["b1"])
        A2 = np.maximum(0, p["W2"] @ A1 + p["b2"])
        Z3 = p["W3"] @ A2 + p["b3"]
        # log(sigmoid(z)) = -log(1 + e^-z), written stably
        return float(np.sum(Y * np.logaddexp(0, -Z3) + (1 - Y) * np.logaddexp(0, Z3)) / m)

    return cost


def numpy_gradients(X, Y, p):
    """The backward pass of ``numpy_cost``, by hand."""
    m = X.shape[1]
    Z1 = p["W1"] @ X + p["b1"]
    A1 = np.maximum(0, Z1)
    Z2 = p["W2"] @ A1 + p["b2"]
    A2 = np.maximum(0, Z2)
    A3 = 1 / (1 + np.exp(-(p["W3"] @ A2 + p["b3"])))
    dZ3 = (A3 - Y) / m
    dZ2 = (p["W3"].T @ dZ3) * (Z2 > 0)
    dZ1 = (p["W2"].T @ dZ2) * (Z1 > 0)
    return {"dW3": dZ3 @ A2.T, "db3": dZ3.sum(axis=1, keepdims=True),
            "dW2": dZ2 @ A1.T, "db2": dZ2.sum(axis=1, keepdims=True),
            "dW1": dZ1 @ X.T, "db1": dZ1.sum(axis=1, keepdims=True)}


def torch_function(X, Y):
    """The same network and cost in torch, a function of the six tensors."""
    X, Y = torch.from_numpy(X), torch.from_numpy(Y)
    m = X.shape[1]

    def function(W1, b1, W2, b2, W3, b3):
        A1 = torch.relu(W1 @ X + b1)
        A2 = torch.relu(W2 @ A1 + b2)
        Z3 = W3 @ A2 + b3
        softplus = torch.nn.functional.softplus
        return torch.sum(Y * softplus(-Z3) + (1 - Y) * softplus(Z3)) / m

    return function


def torch_cost_for_checker(function):
    """``function`` as a gradient_checker cost: tensors that are views of its
    float64 working copy (no copy), no autograd graph."""

    def cost(p):
        with torch.no_grad():
            return float(function(*(torch.from_numpy(p[name]) for name in NAMES)))

    return cost


def seconds(call):
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def per_evaluation(cost, parameters, repeat=2000, batches=5):
    """Seconds of one cost evaluation: the best mean over a few batches, so a
    burst of other work on the machine does not count."""
    work = {name: value.copy() for name, value in parameters.items()}
    cost(work)
    per_batch = max(1, repeat // batches)
    return min(seconds(lambda: [cost(work) for _ in range(per_batch)])[0] for _ in range(batches)) / per_batch


def gradcheck(function, parameters, fast_mode, epsilon):
    inputs = tuple(torch.tensor(parameters[name], dtype=torch.float64, requires_grad=True) for name in NAMES)
    return torch.autograd.gradcheck(function, inputs, eps=epsilon, atol=1e-4, rtol=1e-3,
                                    fast_mode=fast_mode, raise_exception=False)


def full_checks(parameters, X, Y, epsilon):
    count = sum(value.size for value in parameters.values())
    gradients = numpy_gradients(X, Y, parameters)
    print(f"\n1. full check, {count:,} parameters, {2 * count:,} cost evaluations each")

    def line(what, total, evaluation, note):
        alone = 2 * count * evaluation
        print(f"   {what:<40} {total:7.2f} s  (cost evaluations alone {alone:6.2f} s, the checker's own "
              f"{(total - alone) / count * 1e6:5.2f} us per parameter; {note})")

    plain = numpy_cost(X, Y)
    t_numpy, report = seconds(lambda: check_gradients(plain, parameters, gradients, epsilon,
                                                      check_random=False))
    line("gradient_checker.check_gradients, NumPy cost:", t_numpy, per_evaluation(plain, parameters),
         f"difference {report.difference:.1e}")
    if torch is None:
        print("   torch is not installed: no comparison (pip install torch==2.13.0, see this file)")
        return
    function = torch_function(X, Y)
    shared = torch_cost_for_checker(function)
    evaluation = per_evaluation(shared, parameters)
    t_ours, report = seconds(lambda: check_gradients(shared, parameters, gradients, epsilon,
                                                     check_random=False))
    line("gradient_checker.check_gradients, torch cost:", t_ours, evaluation,
         f"difference {report.difference:.1e}")
    t_torch, passed = seconds(lambda: gradcheck(function, parameters, False, epsilon))
    line("torch.autograd.gradcheck (slow mode):", t_torch, evaluation, f"passed: {passed}")
    print(f"   speed-up over gradcheck: {t_torch / t_numpy:.2f}x with the NumPy cost (the course's way), "
          f"{t_torch / t_ours:.2f}x on the very same torch function   (goal: >= 1.5x)")


def directional_checks(parameters, X, Y, epsilon, repeat):
    gradients = numpy_gradients(X, Y, parameters)
    print("\n2. directional check: one random direction per block (gradient_checker), "
          "one random projection (gradcheck fast mode)")
    plain = numpy_cost(X, Y)
    ours = min(seconds(lambda: check_directions(plain, parameters, gradients, epsilon,
                                                 check_random=False))[0] for _ in range(repeat))
    print(f"   gradient_checker.check_directions, NumPy cost: {ours * 1e3:7.2f} ms")
    if torch is None:
        print("   torch is not installed: no comparison")
        return
    function = torch_function(X, Y)
    shared = torch_cost_for_checker(function)
    ours = min(seconds(lambda: check_directions(shared, parameters, gradients, epsilon,
                                                 check_random=False))[0] for _ in range(repeat))
    fast = min(seconds(lambda: gradcheck(function, parameters, True, epsilon))[0] for _ in range(repeat))
    print(f"   gradient_checker.check_directions, torch cost: {ours * 1e3:7.2f} ms  "
          f"(one torch cost evaluation: {per_evaluation(shared, parameters, 300) * 1e3:.3f} ms)")
    print(f"   torch.autograd.gradcheck(fast_mode):   {fast * 1e3:7.2f} ms")
    print(f"   ratio gradcheck / gradient_checker: {fast / ours:.2f}x   (goal: >= 1, no slower)")


def scaling(batch, epsilon, repeat):
    print("\n3. directional check against network size (NumPy cost, best of "
          f"{repeat}; the checker's own share is what is left after the cost evaluations)")
    for sizes in ((784, 128, 64, 1), (784, 1024, 512, 1)):
        parameters, X, Y = network(sizes, batch)
        gradients = numpy_gradients(X, Y, parameters)
        cost = numpy_cost(X, Y)
        def check(cost=cost, parameters=parameters, gradients=gradients):
            return check_directions(cost, parameters, gradients, epsilon, check_random=False)

        total, report = min((seconds(check) for _ in range(repeat)), key=lambda pair: pair[0])
        evaluation = per_evaluation(cost, parameters, repeat=300)
        evaluations = report.cost_evaluations * evaluation
        count = sum(value.size for value in parameters.values())
        rng = np.random.default_rng(0)
        shapes = [value.shape for value in parameters.values()]
        drawing, _ = seconds(lambda rng=rng, shapes=shapes: [rng.random(shape) for shape in shapes])
        own = total - evaluations
        print(f"   {'-'.join(map(str, sizes))}: {count:,} parameters")
        print(f"      {report.cost_evaluations} cost evaluations x {evaluation * 1e3:.3f} ms = "
              f"{evaluations * 1e3:.2f} ms; whole check {total * 1e3:.2f} ms")
        print(f"      the checker's own share: {own * 1e3:.2f} ms = {own / count * 1e9:.1f} ns/parameter, "
              f"of which drawing the random directions {drawing * 1e3:.2f} ms")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=4, help="examples per batch (default 4)")
    parser.add_argument("--epsilon", type=float, default=1e-6)
    parser.add_argument("--repeat", type=int, default=5, help="runs of the fast checks (best is kept)")
    parser.add_argument("--skip-full", action="store_true", help="skip the (slow) full checks")
    arguments = parser.parse_args(argv)
    if torch is not None:
        # One thread: products this small gain nothing from more, and on a busy
        # machine torch's spinning worker threads make its timings erratic.
        torch.set_num_threads(1)
    version = torch.__version__ if torch else "absent"
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores; NumPy {np.__version__}; torch {version}; load average {load:.2f}")
    parameters, X, Y = network((784, 128, 64, 1), arguments.batch)
    if not arguments.skip_full:
        full_checks(parameters, X, Y, arguments.epsilon)
    directional_checks(parameters, X, Y, arguments.epsilon, arguments.repeat)
    scaling(arguments.batch, arguments.epsilon, arguments.repeat)


if __name__ == "__main__":
    main()
