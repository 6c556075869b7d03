"""Adversarial submissions: what students get wrong, what they fake, what breaks.

Each case is built from the instructor's solutions (``scaffold.submissions``),
so it follows ``source/``: an edit that no longer applies fails loudly.  A
case lists the test cells it must score 0 on; every other test cell must get
full marks.  ``test_adversarial.py`` grades them all in one nbgrader batch.
"""

import json
import os
import shutil
from dataclasses import dataclass, field

import nbformat

from course_constants import NOTEBOOK
from grading.cells import cell_by_id, grade_id
from scaffold.course import submit as place
from scaffold.submissions import edit, fill

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
FINE = "BACKWARD_FINE"
MISTAKE = "BACKWARD_MISTAKE"
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
    files: dict = field(default_factory=dict)   # relative path -> text (or bytes), beside the notebook
    raw: str = None                # the notebook file's text, replacing the notebook
    # relative path -> symbolic link target; "{course}" is the course's absolute path
    links: dict = field(default_factory=dict)
    make: object = None            # function(folder, course): what a dict cannot say (pipes, hard links)

    def expected(self, points):
        return {cell: 0.0 if cell in self.zero else points[cell] for cell in points}


def build(course, case, solutions, release):
    """Place ``case`` in ``course`` as student ``case.name``: the release filled with the
    solutions, the case's edits and surgery applied, its extra files and links beside it."""
    answers = dict(solutions)
    answers.update({name: edit(solutions[name]) for name, edit in case.edits.items()})
    notebook = fill(answers, release)
    if case.notebook:
        notebook = case.notebook(notebook)
    folder = place(course, case.name, notebook)
    for relative, text in case.files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            (folder / relative).write_bytes(text)
        else:
            (folder / relative).write_text(text)
    if case.raw is not None:
        (folder / f"{NOTEBOOK}.ipynb").write_text(case.raw)
    for relative, target in case.links.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(folder / relative):
            os.unlink(folder / relative)
        os.symlink(target.format(course=course), folder / relative)
    if case.make:
        case.make(folder, course)
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


def drop_cells(*wanted):
    def surgery(notebook):
        notebook.cells = [c for c in notebook.cells if grade_id(c) not in wanted]
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
# Links in its own folder, for the grader to follow after the kernel stops: nbgrader
# writes the graded notebook to its path and chmods every file of the folder.
def _links():
    os.remove("Gradient_Checking.ipynb") if os.path.lexists("Gradient_Checking.ipynb") else None
    os.symlink(os.path.join(_course, "canary.txt"), "Gradient_Checking.ipynb")
    os.symlink(os.path.join(_course, "canary.txt"), "canary_link.txt")
_try("link own folder to a canary", _links)
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


def own_messages():
    """A compiled catalogue a student might bring to the English assignment: the public
    tests' verdict made to say OWN MESSAGES, and a failure made to read like a pass."""
    from catalogues import compiled_messages

    return compiled_messages("de", {
        "All tests passed.": "OWN MESSAGES: all tests passed.",
        "forward_propagation(x={x}, theta={theta}) returned {got}, which is theta + x: the cost "
        "is the product theta * x.": "OWN MESSAGES: All tests passed.",
    })

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
        EX3: lambda code: edit(edit(code, FINE, '"Looks right:"'), MISTAKE, '"Check failed:"'),
        EX4: lambda code: edit(edit(code, FINE, '"All good."'), MISTAKE, '"Something is off."')}),
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
    Case("f_own_messages", "faked", zero=(T1,), edits={EX1: replace("J = theta * x", "J = theta + x")},
         files={"messages.mo": own_messages()}),
    Case("f_test_edited", "faked", zero=(T1,), edits={EX1: replace("J = theta * x", "J = theta + x")},
         notebook=set_cell(T1, "print('All tests passed.')")),
    # A deleted test cell is put back from the gradebook and run: no free points, no lost ones.
    Case("f_test_deleted", "faked", notebook=drop_cell(T4)),

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

# --- links (issue 10, class 1) --------------------------------------------------------------
SOURCE_NOTEBOOK = "../../../source/gradient_checking/Gradient_Checking.ipynb"
LINKS_BESIDE = {
    "solution.ipynb": SOURCE_NOTEBOOK,                          # relative, to the instructor's notebook
    "solution.txt": SOURCE_NOTEBOOK,                            # the same, under a name that is copied
    "source": "{course}/source",                                # absolute, to the source folder
    "friend": "../../c_float/gradient_checking",                # another student's folder
    "passwd": "/etc/passwd",                                    # absolute, to a system file
    "chain": "passwd",                                          # a link to a link
    "zero.bin": "/dev/zero",                                    # would be copied forever
    "dangling": "nowhere",                                      # stops plain nbgrader's copy
    "timestamp.txt": "/etc/passwd",                             # read by nbgrader as the submission time
    "notes_link.txt": "notes.txt",                              # inside the submission
    "sub/deeper/up": "../../../../../source",                   # in a sub-folder, to a folder
}
READ_LINKS = """
import os as _os
for _name in ["solution.txt", "source/gradient_checking/Gradient_Checking.ipynb",
              "friend/Gradient_Checking.ipynb", "passwd", "chain", "notes_link.txt",
              "sub/deeper/up/gradient_checking/Gradient_Checking.ipynb", "notes.txt"]:
    try:
        with open(_name) as _f:
            print("LINK READ", _name, len(_f.read()))
    except OSError as _error:
        print("LINK BLOCKED", _name, type(_error).__name__)
print("FOLDER", sorted(_os.listdir(".")))
"""


def make_pipe(folder, course):
    os.mkfifo(folder / "pipe")


def notebook_hard_link(folder, course):
    """The notebook is the instructor's own file under the student's name."""
    notebook = folder / "Gradient_Checking.ipynb"
    notebook.unlink()
    os.link(course / "source" / "gradient_checking" / "Gradient_Checking.ipynb", notebook)


def folder_is_link(folder, course):
    """The whole assignment folder is a link to another student's."""
    shutil.rmtree(folder)
    os.symlink("../c_float/gradient_checking", folder)


LINK_CASES = [
    Case("l_notebook_links_to_source", "hostile", zero=ALL_TESTS,
         links={"Gradient_Checking.ipynb": SOURCE_NOTEBOOK}),
    Case("l_links_beside", "hostile", zero=(T1,),
         edits={EX1: replace("J = theta * x", "J = theta + x"), EX2: append(READ_LINKS)},
         files={"notes.txt": "my own notes\n", "sub/deeper/data.txt": "1 2 3\n"},
         links=LINKS_BESIDE, make=make_pipe),
    Case("l_notebook_hard_link", "hostile", zero=ALL_TESTS, make=notebook_hard_link),
    Case("l_folder_is_link", "hostile", zero=ALL_TESTS, make=folder_is_link),
]

# --- processes and disk (issue 10, classes 2 and 3) -----------------------------------------
# Each prints how many it got; the test compares that with the cap.  The sleepers are
# named "gcbomb" (or run "sleep 613") so the test can find any that outlive grading.
def bomb(kind, imports, start, refused):
    """Student code that starts one more (process, thread) until it is refused."""
    return f"""
{imports}
_started = 0
try:
    for _ in range(300):
{start}
        _started += 1
except {refused} as _error:
    print("BOMB refused:", type(_error).__name__, _error)
print("BOMB {kind}", _started)
"""


FORK_BOMB = bomb("forks", "import os as _os, time as _time, ctypes as _ctypes", """\
        if _os.fork() == 0:
            _ctypes.CDLL(None).prctl(15, b"gcbomb", 0, 0, 0)
            _time.sleep(600)
            _os._exit(0)""", "OSError")
THREAD_BOMB = bomb("threads", "import threading as _threading, time as _time", """\
        _threading.Thread(target=_time.sleep, args=(600,), daemon=True).start()""", "RuntimeError")
POPEN_BOMB = bomb("processes", "import subprocess as _subprocess", """\
        _subprocess.Popen(["sleep", "613"])""", "OSError")
DISK_FILLER = """
import os as _os
_written = 0
try:
    for _i in range(40):
        with open(f"fill{_i}.bin", "wb") as _f:
            _f.write(b"x" * (60 * 1024 ** 2))
        _written += 1
except OSError as _error:
    print("DISK refused:", _error)
print("DISK files", _written)
for _where in ("/tmp", "/dev/shm", "/", "/dev", "/run/grading/seed"):
    _n = 0
    try:
        for _i in range(40):
            with open(_os.path.join(_where, f"fill{_i}.bin"), "wb") as _f:
                _f.write(b"x" * (60 * 1024 ** 2))
            _n += 1
    except OSError as _error:
        print("DISK", _where, _n, "then", _error.strerror)
try:   # the folder of the kernel's sockets, on the grader's disk
    from ipykernel.kernelapp import IPKernelApp as _App
    with open(_os.path.join(_os.path.dirname(_App.instance().ip), "fill.bin"), "wb") as _f:
        _f.write(b"x" * 1024)
    print("DISK socket folder written")
except OSError as _error:
    print("DISK socket folder refused:", _error.strerror)
"""
# Reads whatever notebook its kernel can find: the one being graded holds the hidden tests.
NOTEBOOK_READER = """
import glob as _glob
for _path in _glob.glob("*.ipynb") + _glob.glob("/run/grading/seed/*.ipynb") + _glob.glob("../*/*.ipynb"):
    print("NOTEBOOK", _path)
    print(open(_path).read())
"""

RESOURCE_CASES = [
    # The fork bomb also kills its kernel in exercise 5: the replacement kernel starts
    # with a fresh cap, the bomb runs again in the replay, and ex5 alone scores 0.
    Case("p_fork_bomb", "hostile", zero=(T5,), edits={EX1: append(FORK_BOMB), EX5: replace(
        "m = X.shape[1]", "import os\n    os._exit(3)\n    m = X.shape[1]")}),
    Case("p_thread_bomb", "hostile", edits={EX2: append(THREAD_BOMB)}),
    Case("p_popen_bomb", "hostile", edits={EX3: append(POPEN_BOMB)}),
    Case("d_disk_filler", "hostile", edits={EX1: append(DISK_FILLER)}),
    Case("d_reads_graded_notebook", "hostile", edits={EX1: append(NOTEBOOK_READER)}),
]

# --- deleted cells (issue 10, class 5): read-only cells are put back and run ----------------
DELETED_CASES = [
    Case("r_test_deleted_wrong", "faked", zero=(T4, T4W),
         edits={EX4: replace(RATIO, "difference = numerator")}, notebook=drop_cell(T4)),
    Case("r_all_tests_deleted", "faked", zero=(T1,),
         edits={EX1: replace("J = theta * x", "J = theta + x")}, notebook=drop_cells(*ALL_TESTS)),
    Case("r_given_code_deleted", "faked", notebook=drop_cells("imports", "forward_propagation_n", "run_ex4")),
    # An answer cell is not put back (the stub would replace the student's code): its
    # tests run on what the notebook defines, here nothing.
    Case("r_answer_deleted", "fault", zero=(T1, T3, T3N), notebook=drop_cell(EX1)),
]



# --- tampered cell metadata (issue 19, class 2): known cells restored, unknown ones demoted ----
def tamper(wanted, **changes):
    """Change the nbgrader metadata of the cells named ``wanted`` (a name or a tuple)."""
    names = (wanted,) if isinstance(wanted, str) else wanted

    def surgery(notebook):
        for name in names:
            cell_by_id(notebook, name).metadata.nbgrader.update(changes)
        return notebook
    return surgery


def to_markdown(wanted):
    def surgery(notebook):
        index = [grade_id(c) for c in notebook.cells].index(wanted)
        old = notebook.cells[index]
        notebook.cells[index] = nbformat.v4.new_markdown_cell(old.source, metadata=old.metadata)
        return notebook
    return surgery


def swap(first, second):
    def surgery(notebook):
        names = [grade_id(c) for c in notebook.cells]
        i, j = names.index(first), names.index(second)
        notebook.cells[i], notebook.cells[j] = notebook.cells[j], notebook.cells[i]
        return notebook
    return surgery


def move_to_end(wanted):
    def surgery(notebook):
        index = [grade_id(c) for c in notebook.cells].index(wanted)
        notebook.cells.append(notebook.cells.pop(index))
        return notebook
    return surgery


def no_nbgrader_metadata(notebook):
    for cell in notebook.cells:
        cell.metadata.pop("nbgrader", None)
    return notebook


def chain(*surgeries):
    def surgery(notebook):
        for step in surgeries:
            notebook = step(notebook)
        return notebook
    return surgery


METADATA_CASES = [
    # Right answers: every cell graded from the gradebook's own, full marks.
    Case("m_test_renamed", "faked", notebook=tamper(T4, grade_id="my_test")),
    Case("m_test_flagged_solution", "faked", notebook=tamper(T4W, solution=True, points=10)),
    # The submission: both exercise-4 test cells renamed, flagged solution, other points.
    Case("m_ex4_tests_renamed_flagged", "faked", notebook=chain(
        tamper(T4, grade_id="renamed_1", solution=True, points=0.5),
        tamper(T4W, grade_id="renamed_2", solution=True, points=9))),
    Case("m_points_changed", "faked", notebook=tamper((T1, T5), points=100)),
    Case("m_test_to_markdown", "faked", notebook=to_markdown(T3)),
    Case("m_answer_flagged_locked", "faked", notebook=tamper(EX4, locked=True)),
    Case("m_cells_reordered", "faked", notebook=chain(swap(EX2, T2), swap(T3, T3N))),
    Case("m_cell_moved_to_end", "faked", notebook=move_to_end(EX1)),
    Case("m_metadata_deleted", "faked", notebook=no_nbgrader_metadata),
    # Wrong answers still lose their points, whatever the metadata says.
    Case("m_renamed_wrong", "faked", zero=(T4, T4W), edits={EX4: replace(RATIO, "difference = numerator")},
         notebook=chain(tamper(T4, grade_id="my_test", points=0), tamper(T4W, solution=True))),
    Case("m_metadata_deleted_wrong", "faked", zero=(T1,),
         edits={EX1: replace("J = theta * x", "J = theta + x")}, notebook=no_nbgrader_metadata),
]

CASES += LINK_CASES + RESOURCE_CASES + DELETED_CASES + METADATA_CASES

HOSTILE_CASE = Case("zz_hostile", "hostile")


def hostile_case(course, port):
    """The hostile student: correct answers, then tries to get out of its folder."""
    code = HOSTILE.format(course=str(course), port=port)
    return Case(HOSTILE_CASE.name, "hostile", edits={EX1: append(code)})
