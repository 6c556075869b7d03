"""Adversarial submissions: what students get wrong, what they fake, what breaks.

Each case is built from the instructor's solutions (``grading.submissions``),
so it follows ``source/``: an edit that no longer applies fails loudly.  A
case lists the test cells it must score 0 on; every other test cell must get
full marks.  ``test_adversarial.py`` grades them all in one nbgrader batch.
"""

import json
from dataclasses import dataclass, field

from grading.cells import cell_by_id, grade_id
from grading.course import NOTEBOOK
from grading.course import submit as place
from grading.submissions import edit, fill

T1 = "test_ex1_forward_propagation"
T2 = "test_ex2_backward_propagation"
T3 = "test_ex3_gradient_check"
T3N = "test_ex3_gradient_check_nonlinear"
T4 = "test_ex4_gradient_check_n"
T4W = "test_ex4_gradient_check_n_wrong_gradients"
T5 = "test_ex5_fixed_backward_propagation_n"
EX1, EX2, EX3 = "ex1_forward_propagation", "ex2_backward_propagation", "ex3_gradient_check"
EX4, EX5 = "ex4_gradient_check_n", "ex5_fixed_backward_propagation_n"
ALL_TESTS = (T1, T2, T3, T3N, T4, T4W, T5)

RATIO = "difference = numerator / denominator"
FINE = '"Your backward propagation works perfectly fine! "'
MISTAKE = '"There is a mistake in the backward propagation! "'
TO_STDERR = ("if print_msg:\n        import functools, sys\n"
             "        print = functools.partial(__import__('builtins').print, file=sys.stderr)")
FD_N = "gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * epsilon)"


@dataclass
class Case:
    """A submission: answer edits, then optional notebook surgery and extra files."""

    name: str
    kind: str                      # correct, wrong, faked, fault, hostile
    # Test cells that must score 0.  Each exercise is judged alone: the tests of exercise 3
    # give gradient_check forward and backward passes of their own, so a wrong exercise 1 or 2
    # costs its own points only.  A check that ignores its epsilon, x, theta, X, Y or
    # parameters loses both cells of its exercise (the hidden tests use other values).
    zero: tuple = ()
    edits: dict = field(default_factory=dict)   # answer grade_id -> function(code) -> code
    notebook: object = None        # function(notebook) -> notebook, after the answers
    files: dict = field(default_factory=dict)   # relative path -> text, beside the notebook
    raw: str = None                # the notebook file's text, replacing the notebook

    def expected(self, points):
        return {cell: 0.0 if cell in self.zero else points[cell] for cell in points}


def build(course, case, solutions, release):
    """Place ``case`` in ``course`` as student ``case.name``: the release filled with the
    solutions, the case's edits and surgery applied, its extra files beside it."""
    answers = dict(solutions)
    answers.update({name: edit(solutions[name]) for name, edit in case.edits.items()})
    notebook = fill(answers, release)
    if case.notebook:
        notebook = case.notebook(notebook)
    folder = place(course, case.name, notebook)
    for relative, text in case.files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    if case.raw is not None:
        (folder / f"{NOTEBOOK}.ipynb").write_text(case.raw)
    return folder


def replace(old, new):
    return lambda code: edit(code, old, new)


def append(text):
    return lambda code: code + "\n" + text


def drop_cell(wanted):
    def surgery(notebook):
        notebook.cells = [c for c in notebook.cells if grade_id(c) != wanted]
        return notebook
    return surgery


def set_cell(wanted, source):
    def surgery(notebook):
        cell_by_id(notebook, wanted).source = source
        return notebook
    return surgery


IN_PLACE_N = """\
        parameters_values[i, 0] += epsilon
        J_plus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(parameters_values))
        parameters_values[i, 0] -= 2 * epsilon
        J_minus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(parameters_values))
        parameters_values[i, 0] += epsilon
        gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * epsilon)"""

FLAT_N = """\
        flat = parameters_values.ravel()
        theta_plus = flat.copy()
        theta_plus[i] += epsilon
        theta_minus = flat.copy()
        theta_minus[i] -= epsilon
        J_plus[i] = forward_propagation_n(X, Y, vector_to_dictionary(theta_plus.reshape(-1, 1)))[0]
        J_minus[i] = forward_propagation_n(X, Y, vector_to_dictionary(theta_minus.reshape(-1, 1)))[0]
        gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * epsilon)"""

HOSTILE = """
import os, shutil, socket
_course = {course!r}
_report = []
def _try(label, action):
    try:
        action()
        _report.append(label + ": DONE")
    except Exception as error:
        _report.append(label + ": blocked (" + type(error).__name__ + ")")
def _read_source():
    for root in (_course, "../../.."):
        with open(os.path.join(root, "source", "gradient_checking", "Gradient_Checking.ipynb")) as f:
            if "BEGIN HIDDEN TESTS" in f.read():
                return
    raise FileNotFoundError
_try("read source", _read_source)
_try("write gradebook", lambda: open(os.path.join(_course, "gradebook.db"), "ab").write(b"garbage"))
_try("delete other student", lambda: shutil.rmtree(os.path.join(_course, "autograded", "c_float")))
_try("delete other submission", lambda: shutil.rmtree(os.path.join(_course, "submitted", "c_float")))
_try("write release", lambda: open(os.path.join(_course, "release", "pwned.txt"), "w").write("x"))
_try("network", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=3))
_try("write own folder", lambda: open("my_notes.txt", "w").write("mine"))
print("\\n".join(_report))
"""

SHADOW_PUBLIC_TESTS = """\
def _ok(*args, **kwargs):
    print("SHADOW public_tests imported")
forward_propagation_test = backward_propagation_test = gradient_check_test = _ok
gradient_check_n_test = backward_propagation_n_test = _ok
"""

SHADOW_GC_UTILS = """\
import os
exec(open(os.path.join(os.path.dirname(__file__), os.pardir, "gc_utils.py")).read())
def gradients_to_vector(gradients):
    print("SHADOW gc_utils imported")
    import numpy
    return numpy.zeros((47, 1))
"""

SHADOW_CHECKER = """\
def gradient_report(*args, **kwargs):
    print("SHADOW gradient_checker imported")
"""

FAKE_PUBLIC_TESTS = SHADOW_PUBLIC_TESTS.replace("SHADOW", "REPLACED")

LIAR = """
class _Liar(float):
    def __lt__(self, other): return True
    def __gt__(self, other): return False
    def __le__(self, other): return True
    def __float__(self): return 1e-10
_gradient_check = gradient_check
def gradient_check(x, theta, epsilon=1e-7, print_msg=False):
    return _Liar(0.5)
"""

CASES = [
    # --- correct in another style: full marks -----------------------------------------------
    Case("c_inplace_restore", "correct", edits={EX4: replace(
        """        theta_plus = np.copy(parameters_values)
        theta_plus[i, 0] += epsilon
        J_plus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_plus))

        theta_minus = np.copy(parameters_values)
        theta_minus[i, 0] -= epsilon
        J_minus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_minus))

        gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * epsilon)""", IN_PLACE_N)}),
    Case("c_flat_arrays", "correct", edits={EX4: lambda code: edit(edit(code,
        """        theta_plus = np.copy(parameters_values)
        theta_plus[i, 0] += epsilon
        J_plus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_plus))

        theta_minus = np.copy(parameters_values)
        theta_minus[i, 0] -= epsilon
        J_minus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_minus))

        gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * epsilon)""", FLAT_N),
        "numerator = np.linalg.norm(grad - gradapprox)",
        "numerator = np.linalg.norm(grad.ravel() - gradapprox.ravel())")}),
    Case("c_abs", "correct", edits={EX3: lambda code: edit(edit(code,
        "numerator = np.linalg.norm(grad - gradapprox)", "numerator = abs(grad - gradapprox)"),
        "denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)",
        "denominator = abs(grad) + abs(gradapprox)")}),
    Case("c_norm_spelling", "correct", edits={
        EX3: replace("numerator = np.linalg.norm(grad - gradapprox)",
                     "numerator = np.sqrt((grad - gradapprox) ** 2)"),
        EX4: lambda code: edit(edit(code,
            "numerator = np.linalg.norm(grad - gradapprox)",
            "numerator = np.sqrt(np.sum(np.square(grad - gradapprox)))"),
            "denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)",
            "denominator = np.linalg.norm(grad, ord=2) + np.linalg.norm(gradapprox.ravel(), 2)")}),
    Case("c_float", "correct", edits={
        EX3: replace(RATIO, "difference = float(numerator / denominator)"),
        EX4: replace(RATIO, "difference = float(numerator / denominator)")}),
    Case("c_prints", "correct", edits={
        EX1: replace("J = theta * x", "J = theta * x\n    print('computing J for', x, theta)"),
        EX3: replace(RATIO, RATIO + "\n    print('grad', grad, 'approx', gradapprox)"),
        EX4: replace(RATIO, RATIO + "\n    print('numerator', numerator)")}),
    Case("c_warning", "correct", edits={
        EX3: replace(RATIO, RATIO + "\n    import warnings\n    warnings.warn('epsilon may be too small')"),
        EX4: replace(RATIO, RATIO + "\n    import sys\n    print('checked', file=sys.stderr)")}),
    # Printing is not graded: a verdict line that is missing, reworded or on stderr costs nothing.
    Case("c_prints_nothing", "correct", edits={EX3: replace("if print_msg:", "if False:"),
                                               EX4: replace("if print_msg:", "if False:")}),
    Case("c_prints_other_words", "correct", edits={
        EX3: lambda code: edit(edit(code, FINE, '"Looks right: "'), MISTAKE, '"Check failed: "'),
        EX4: lambda code: edit(edit(code, FINE, '"All good. "'), MISTAKE, '"Something is off. "')}),
    Case("c_prints_to_stderr", "correct",
         edits={answer: replace("if print_msg:", TO_STDERR) for answer in (EX3, EX4)}),
    # Each exercise is judged alone: a wrong exercise 1 or 2 does not cost exercise 3.
    Case("w_forward_only", "wrong", zero=(T1,), edits={EX1: replace("J = theta * x", "J = theta + x")}),
    Case("w_backward_only", "wrong", zero=(T2,), edits={EX2: replace("dtheta = x", "dtheta = theta")}),

    # --- wrong -------------------------------------------------------------------------------
    Case("w_sum_over_theta", "wrong", zero=(T3, T3N), edits={EX3: replace(
        "gradapprox = (J_plus - J_minus) / (2 * epsilon)", "gradapprox = (J_plus + J_minus) / (2 * theta)")}),
    Case("w_missing_factor_2", "wrong", zero=(T3, T3N), edits={EX3: replace(
        "gradapprox = (J_plus - J_minus) / (2 * epsilon)", "gradapprox = (J_plus - J_minus) / epsilon")}),
    Case("w_one_sided", "wrong", zero=(T4, T4W), edits={EX4: lambda code: edit(edit(code,
        "theta_minus[i, 0] -= epsilon", "pass"), FD_N,
        "gradapprox[i] = (J_plus[i] - J_minus[i]) / epsilon")}),
    Case("w_no_copy", "wrong", zero=(T4, T4W), edits={EX4: lambda code: edit(edit(code,
        "theta_plus = np.copy(parameters_values)", "theta_plus = parameters_values"),
        "theta_minus = np.copy(parameters_values)", "theta_minus = parameters_values")}),
    Case("w_ignores_gradients", "wrong", zero=(T4, T4W), edits={EX4: replace(
        "grad = gradients_to_vector(gradients)",
        "grad = gradients_to_vector(\n"
        "        backward_propagation_n(X, Y, forward_propagation_n(X, Y, parameters)[1]))")}),
    # Arguments are honoured: ignoring epsilon, x, theta, X, Y or parameters costs the exercise.
    Case("w_ignores_epsilon_3", "wrong", zero=(T3, T3N), edits={EX3: replace(
        "theta_plus = theta + epsilon", "epsilon = 1e-7\n    theta_plus = theta + epsilon")}),
    Case("w_ignores_epsilon_4", "wrong", zero=(T4, T4W), edits={EX4: replace(
        "for i in range(num_parameters):", "epsilon = 1e-7\n    for i in range(num_parameters):")}),
    Case("w_ignores_x_theta", "wrong", zero=(T3, T3N), edits={EX3: replace(
        "theta_plus = theta + epsilon", "x, theta = globals()['x'], globals()['theta']\n"
        "    theta_plus = theta + epsilon")}),
    Case("w_ignores_parameters", "wrong", zero=(T4, T4W), edits={EX4: replace(
        "parameters_values, _ = dictionary_to_vector(parameters)",
        "parameters_values, _ = dictionary_to_vector(globals()['parameters'])")}),
    Case("w_reads_globals", "wrong", zero=(T4, T4W), edits={EX4: replace(
        "parameters_values, _ = dictionary_to_vector(parameters)",
        "X, Y = globals()['X'], globals()['Y']\n"
        "    parameters_values, _ = dictionary_to_vector(parameters)")}),
    Case("w_float32", "wrong", zero=(T3, T3N), edits={EX3: replace(
        "theta_plus = theta + epsilon", "theta = np.float32(theta)\n    epsilon = np.float32(epsilon)\n"
        "    x = np.float32(x)\n    theta_plus = theta + epsilon")}),
    Case("w_returns_ndarray", "wrong", zero=(T3, T3N), edits={EX3: replace(
        RATIO, "difference = np.array([numerator / denominator])")}),
    Case("w_numerator_only", "wrong", zero=(T4, T4W), edits={EX4: replace(
        RATIO, "difference = numerator")}),

    # --- faked -------------------------------------------------------------------------------
    Case("f_hard_coded", "faked", zero=(T1, T2, T3, T3N, T4, T4W), edits={
        EX1: replace("J = theta * x", "J = 8"),
        EX2: replace("dtheta = x", "dtheta = 3"),
        EX3: append("def gradient_check(x, theta, epsilon=1e-7, print_msg=False):\n"
                    "    return 7.814075313343006e-11"),
        EX4: append("def gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):\n"
                    "    return 0.2850931567761623")}),
    # gradient_checker ships a full checker; exercises 3 and 4 ask for the check itself.
    Case("f_borrows_checker", "faked", zero=(T3, T3N, T4, T4W), edits={
        EX3: replace(RATIO, "from gradient_checker import relative_difference as _rd\n"
                            "    difference = _rd(grad, gradapprox)"),
        EX4: append("from gradient_checker import check_gradients\n"
                    "def gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):\n"
                    "    cost = lambda p: forward_propagation_n(X, Y, p)[0]\n"
                    "    difference = check_gradients(cost, parameters, gradients, epsilon).difference\n"
                    "    if print_msg:\n"
                    "        print(f'difference = {difference}')\n"
                    "    return difference")}),
    # ... and its report classes compute the same number when built by hand.
    Case("f_borrows_checker_class", "faked", zero=(T3, T3N), edits={
        EX3: replace(RATIO, "import gradient_checker as _gc\n"
                            "    _block = _gc.BlockReport('t', (1,), ['t'], [grad], [gradapprox])\n"
                            "    difference = _block.difference")}),
    Case("f_lookup_table", "faked", zero=(T3, T3N), edits={EX3: append(
        "_table = {(3, 4): 7.814075313343006e-11, (2, 4): 2.919335883291695e-10}\n"
        "def gradient_check(x, theta, epsilon=1e-7, print_msg=False):\n"
        "    return _table.get((x, theta), 1e-10)")}),
    Case("f_patch_isclose_abs", "faked", zero=(T1,), edits={EX1: lambda code: edit(code,
        "J = theta * x", "J = theta * x + 1") + (
        "\nimport builtins, numpy\nbuiltins.abs = lambda value: 0.0\n"
        "numpy.isclose = lambda *a, **k: True\nnumpy.allclose = lambda *a, **k: True\n")}),
    Case("f_patch_norm", "faked", zero=(T5,), edits={EX5: lambda code: edit(edit(code,
        "dW2 = 1.0 / m * np.dot(dZ2, A1.T)", "dW2 = 1.0 / m * np.dot(dZ2, A1.T) * 2"),
        "db1 = 1.0 / m * np.sum", "db1 = 4.0 / m * np.sum") + (
        "\nnp.linalg.norm = lambda *a, **k: 0.0\nnp.isclose = lambda *a, **k: True\n")}),
    Case("f_float_subclass", "faked", zero=(T3, T3N), edits={EX3: append(LIAR)}),
    Case("f_helper_replaced", "faked", zero=(T1,), edits={EX1: replace("J = theta * x", "J = theta + x")},
         files={"public_tests.py": FAKE_PUBLIC_TESTS}),
    Case("f_shadow_packages", "faked", zero=(T1,), edits={EX1: replace("J = theta * x", "J = theta + x")},
         files={"public_tests/__init__.py": SHADOW_PUBLIC_TESTS, "gc_utils/__init__.py": SHADOW_GC_UTILS,
                "gradient_checker/__init__.py": SHADOW_CHECKER,
                "test.csv": "a data file named like a module stays\n"}),
    Case("f_test_edited", "faked", zero=(T1,), edits={EX1: replace("J = theta * x", "J = theta + x")},
         notebook=set_cell(T1, "print('All tests passed.')")),
    Case("f_test_deleted", "faked", zero=(T4,), notebook=drop_cell(T4)),

    # --- faults ------------------------------------------------------------------------------
    Case("k_kernel_exit", "fault", zero=(T5,), edits={EX5: replace(
        "m = X.shape[1]", "import os\n    os._exit(3)\n    m = X.shape[1]")}),
    Case("k_loop_ignores_interrupt", "fault", zero=(T3, T3N), edits={EX3: replace(
        "theta_plus = theta + epsilon",
        "import signal\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    while True:\n"
        "        try:\n            pass\n        except KeyboardInterrupt:\n            pass\n"
        "    theta_plus = theta + epsilon")}),
    Case("k_memory_bomb", "fault", zero=(T1,), edits={EX1: replace(
        "J = theta * x", "hog = []\n    while True:\n        hog.append(bytearray(64 * 1024 ** 2))")}),
    Case("k_output_flood", "fault", edits={
        EX1: append("for _i in range(300000):\n    print(_i)"),
        EX2: replace("dtheta = x", "print('y' * 20_000_000)\n    dtheta = x")}),
    Case("k_invalid_json", "fault", zero=ALL_TESTS, raw='{"cells": [ {"cell_type": '),
    Case("k_not_a_notebook", "fault", zero=ALL_TESTS, raw=json.dumps({"student": "me", "answers": [1, 2]})),
]

HOSTILE_CASE = Case("zz_hostile", "hostile")


def hostile_case(course, port):
    """The hostile student: correct answers, then tries to get out of its folder."""
    code = HOSTILE.format(course=str(course), port=port)
    return Case(HOSTILE_CASE.name, "hostile", edits={EX1: append(code)})
