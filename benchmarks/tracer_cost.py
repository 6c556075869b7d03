"""What the stage tracer (stage_trace.py) costs the public tests of exercises 3 and 4.

The release notebook is filled with the instructor's solutions and its code cells run
(test cells left out) to get the student's functions.  Then, in one run, with the
tracer on and off in turn (off: ``public_tests.traced`` replaced by a plain call, so
the record is empty and nothing is located), each of these is timed, the median of
``--repeat`` rounds:

* the public test cell of exercise 3, ``gradient_check_test(gradient_check)``;
* the public test cell of exercise 4, ``gradient_check_n_test(...)``;
* one ``gradient_check_n`` on the lesson's network (47 parameters), the call the
  exercise 4 cell traces, on its own.

Printed: each time with and without the tracer, and their ratio.  Goal: every public
test cell under 1 s with the tracer.  Not a test: run from the repository root::

    .venv/bin/python -m benchmarks.tracer_cost [--repeat 15]
"""

import argparse
import contextlib
import io
import statistics
import time

import public_tests
import stage_trace
from grading.cells import grade_id
from scaffold.submissions import fill, release_notebook, solution_answers


def student_namespace():
    """The notebook's namespace after its code cells ran, with the solutions filled in."""
    notebook = fill(solution_answers(), release_notebook())
    namespace = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code" or (grade_id(cell) or "").startswith("test_"):
                continue
            exec(compile(cell.source, f"<notebook cell {index}>", "exec"), namespace)
    return namespace


def untraced(function, *args, **kwargs):
    return function(*args, **kwargs), stage_trace.Trace()


def timed(call, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    ns = student_namespace()
    from testCases import gradient_check_n_test_case

    X, Y, parameters = gradient_check_n_test_case()
    _cost, cache = ns["forward_propagation_n"](X, Y, parameters)
    gradients = ns["backward_propagation_n"](X, Y, cache)
    cases = {
        "exercise 3 public test cell": lambda: public_tests.gradient_check_test(ns["gradient_check"]),
        "exercise 4 public test cell": lambda: public_tests.gradient_check_n_test(
            ns["gradient_check_n"], ns["forward_propagation_n"], ns["backward_propagation_n"]),
        "gradient_check_n, lesson network": lambda: public_tests.traced(
            ns["gradient_check_n"], parameters, gradients, X, Y, 1e-7),
    }
    print(f"median of {repeat} rounds, tracer on and off in the same run")
    print(f"{'':<36}{'with tracer':>14}{'without':>14}{'ratio':>9}")
    traced = public_tests.traced
    worst = 0.0
    for name, call in cases.items():
        timed(call, 1)   # warm up: imports, caches
        on, off = [], []
        for _ in range(3):   # alternate, so that load on the machine hits both alike
            public_tests.traced = traced
            on.append(timed(call, repeat))
            public_tests.traced = untraced
            off.append(timed(call, repeat))
        public_tests.traced = traced
        with_tracer, without = min(on), min(off)
        if "cell" in name:
            worst = max(worst, with_tracer)
        ratio = with_tracer / without
        print(f"{name:<36}{with_tracer * 1e3:>11.1f} ms{without * 1e3:>11.1f} ms{ratio:>8.2f}x")
    print(f"slowest public test cell with the tracer: {worst * 1e3:.0f} ms "
          f"({'under' if worst < 1 else 'OVER'} the 1 s goal)")


if __name__ == "__main__":
    main()
