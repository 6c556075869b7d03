"""The public tests' machinery: what the catalogue (test_mistake_catalogue.py) does not show.

The catalogue runs every common mistake through the notebook; here are the
parts that make that possible and safe: the stand-ins put back what they
replace, record what they claim to, leave the student's namespace clean, and
every sentence is ready for translation.
"""

import ast
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from notebook_code import fixed_backward, given_namespace

import diagnosis
import public_tests
from course_constants import MESSAGES_FILE, ROOT
from gc_utils import dictionary_to_vector, gradients_to_vector, vector_to_dictionary
from i18n import messages
from scaffold.submissions import solution_answers

#: The modules whose sentences students read (every root module using course_language).
STUDENT_FACING = messages.sources()


def notebook_functions(*grade_ids, namespace=None):
    """The solutions of ``grade_ids`` defined in a namespace like the notebook's."""
    namespace = namespace if namespace is not None else {}
    exec("import numpy as np\nfrom gc_utils import sigmoid, relu, dictionary_to_vector, "
         "vector_to_dictionary, gradients_to_vector", namespace)
    answers = solution_answers()
    for grade_id in grade_ids:
        exec(answers[grade_id], namespace)
    return namespace


def test_star_import_gives_the_tests_only():
    namespace = {}
    exec("from public_tests import *", namespace)
    names = {name for name in namespace if name != "__builtins__"}
    assert names == {"forward_propagation_test", "backward_propagation_test", "gradient_check_test",
                     "gradient_check_n_test", "backward_propagation_n_test"}


def test_right_answers_in_other_forms_pass(capsys):
    public_tests.forward_propagation_test(lambda x, theta: np.multiply(theta, x))
    public_tests.backward_propagation_test(lambda x, theta: float(x))
    assert capsys.readouterr().out.count("All tests passed") == 2


def test_the_notebook_names_are_put_back_even_when_the_check_fails():
    namespace = notebook_functions("ex1_forward_propagation", "ex2_backward_propagation")
    exec("def gradient_check(x, theta, epsilon=1e-7, print_msg=False):\n"
         "    return forward_propagation(x, theta + epsilon) / 0.0\n", namespace)
    mine = namespace["forward_propagation"], namespace["backward_propagation"]
    with pytest.raises(ZeroDivisionError):
        public_tests.gradient_check_test(namespace["gradient_check"])
    assert (namespace["forward_propagation"], namespace["backward_propagation"]) == mine


def test_a_name_the_notebook_lacked_is_removed_again():
    namespace = {}
    with diagnosis.rebound(namespace, {"forward_propagation": len}):
        assert namespace["forward_propagation"] is len
    assert namespace == {}


def test_recording_gradients_still_work_with_the_helpers():
    values = {f"d{name}": np.full(shape, 1.0) for name, shape in public_tests.SHAPES.items()}
    for read in (gradients_to_vector, dict, lambda g: {**g}, lambda g: list(g.items()), lambda g: g["dW1"]):
        gradients = diagnosis.RecordingGradients(values)
        assert not getattr(gradients, "read", False)
        read(gradients)
        assert gradients.read, read
    assert gradients_to_vector(diagnosis.RecordingGradients(values)).shape == (47, 1)


def test_the_cost_pair_unpacks_and_notices_being_stored():
    stand_in = diagnosis.NetworkStandIn(lambda X, Y, p: (1.5, "cache"), None, None, public_tests.SHAPES)
    theta = np.zeros((47, 1))
    forward = stand_in.functions()["forward_propagation_n"]
    cost, cache = forward(None, None, vector_to_dictionary(theta))
    assert (cost, cache) == (1.5, "cache") and forward(None, None, vector_to_dictionary(theta))[0] == 1.5
    assert not stand_in.pair_stored
    J = np.zeros((47, 1))
    J[3] = forward(None, None, vector_to_dictionary(theta))
    assert stand_in.pair_stored and J[3, 0] == 1.5


@pytest.fixture(scope="module")
def network():
    namespace = given_namespace()
    return namespace["forward_propagation_n"], namespace["backward_propagation_n"], namespace


def test_every_state_of_the_backward_pass_is_recognised(network, capsys):
    forward_n, buggy, namespace = network
    fixed = fixed_backward(namespace)

    def half_fixed(which):
        def backward_n(X, Y, cache):
            gradients = buggy(X, Y, cache)
            gradients[which] = fixed(X, Y, cache)[which]
            return gradients
        return backward_n

    check = notebook_functions("ex4_gradient_check_n", namespace=dict(namespace))["gradient_check_n"]
    for backward_n in (buggy, fixed, half_fixed("dW2"), half_fixed("db1")):
        public_tests.gradient_check_n_test(check, forward_n, backward_n)
    out = capsys.readouterr().out
    assert out.count("All tests passed") == 4
    assert "with dW2 fixed, db1 still wrong" in out and "with db1 fixed, dW2 still wrong" in out


def test_a_backward_pass_in_no_known_state_gets_a_note(network, capsys):
    forward_n, buggy, namespace = network

    def strange(X, Y, cache):
        gradients = buggy(X, Y, cache)
        gradients["dW3"] = 3 * gradients["dW3"]
        return gradients

    check = notebook_functions("ex4_gradient_check_n", namespace=dict(namespace))["gradient_check_n"]
    public_tests.gradient_check_n_test(check, forward_n, strange)
    out = capsys.readouterr().out
    assert "in none of the states" in out and "All tests passed" in out


def test_a_changed_argument_is_caught(network):
    forward_n, buggy, _ = network

    def mutating(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):
        parameters["W1"] += 1.0
        return 0.2850931567761623

    with pytest.raises(AssertionError, match=r"changed parameters\['W1'\]"):
        public_tests.gradient_check_n_test(mutating, forward_n, buggy)


def test_a_hard_coded_answer_is_caught(network):
    forward_n, buggy, _ = network
    with pytest.raises(AssertionError, match="never called forward_propagation_n"):
        public_tests.gradient_check_n_test(lambda *args, **kwargs: 0.2850931567761623, forward_n, buggy)


def test_backward_fingerprint_is_the_fixed_backward_pass(network, capsys):
    forward_n, buggy, namespace = network
    fixed = fixed_backward(namespace)
    public_tests.backward_propagation_n_test(fixed, forward_n)
    assert "All tests passed" in capsys.readouterr().out
    from testCases import gradient_check_n_test_case

    X, Y, parameters = gradient_check_n_test_case()
    cost, cache = forward_n(X, Y, parameters)
    assert cost == pytest.approx(public_tests.GIVEN_COST, rel=1e-14)
    gradients = fixed(X, Y, cache)
    for name, (norm, total) in public_tests.TRUE_GRADIENT_FINGERPRINT.items():
        assert np.linalg.norm(gradients[name]) == pytest.approx(norm, rel=1e-12)
        assert np.sum(gradients[name]) == pytest.approx(total, rel=1e-12)


def test_backward_test_names_each_wrong_block(network):
    forward_n, buggy, _ = network
    with pytest.raises(AssertionError) as failure:
        public_tests.backward_propagation_n_test(buggy, forward_n)
    message = str(failure.value)
    assert "db1 is 4 times the true gradient" in message
    assert "dW2 is 2 times the true gradient" in message
    assert "dW1" not in message and "db2" not in message
    assert failure.value.mistakes == ["block_factor", "block_factor"]


def test_a_changed_forward_pass_is_named_in_exercise_5(network):
    forward_n, buggy, namespace = network
    fixed = fixed_backward(namespace)

    def other_forward(X, Y, parameters):
        cost, cache = forward_n(X, Y, parameters)
        return 2 * cost, cache

    with pytest.raises(AssertionError, match="not the one given in part 3"):
        public_tests.backward_propagation_n_test(fixed, other_forward)


def test_the_borrowed_checker_is_still_refused():
    import gradient_checker

    namespace = notebook_functions("ex1_forward_propagation", "ex2_backward_propagation")
    namespace["relative_difference"] = gradient_checker.relative_difference
    exec("def gradient_check(x, theta, epsilon=1e-7, print_msg=False):\n"
         "    J_plus = forward_propagation(x, theta + epsilon)\n"
         "    J_minus = forward_propagation(x, theta - epsilon)\n"
         "    grad = backward_propagation(x, theta)\n"
         "    return relative_difference(np.array([grad]), np.array([(J_plus - J_minus) / (2 * epsilon)]))\n",
         namespace)
    with pytest.raises(AssertionError, match="write the check yourself"):
        public_tests.gradient_check_test(namespace["gradient_check"])


# --- ready for translation ----------------------------------------------------------------------


def _calls(tree, names):
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name) and node.func.id in names]


def message_ids():
    """Every message id of the student-facing modules, in order."""
    ids = []
    for path in STUDENT_FACING:
        for call in _calls(ast.parse(path.read_text()), {"_"}):
            ids.append(call.args[0].value)
    return ids


@pytest.mark.parametrize("path", STUDENT_FACING, ids=lambda p: p.name)
def test_every_sentence_goes_through_gettext(path):
    tree = ast.parse(path.read_text())
    for call in _calls(tree, {"_"}):
        assert len(call.args) == 1 and isinstance(call.args[0], ast.Constant) and isinstance(
            call.args[0].value, str), f"line {call.lineno}: _() takes one plain string literal"
        text = call.args[0].value
        placeholders = re.findall(r"\{([^{}]*)\}", text)
        assert all(re.fullmatch(r"[a-z_]+(![r])?", p) for p in placeholders), (
            f"line {call.lineno}: placeholders must be named: {placeholders}")
    # What a student reads is built from _(...) only: no bare literal or f-string as a message.
    for call in _calls(tree, {"fail", "note"}):
        message = call.args[1] if call.func.id == "fail" else call.args[0]
        if isinstance(message, ast.Subscript):   # messages[key]: a dict of _("...") (checked below)
            continue
        assert isinstance(message, ast.Call) and getattr(message.func, "id", None) == "_", (
            f"line {call.lineno}: {call.func.id}() must be given _(\"...\")")
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "messages":
            assert all(isinstance(v, ast.Call) and v.func.id == "_" for v in node.value.values), node.lineno
    for call in _calls(tree, {"AssertionError", "print"}):
        for argument in call.args:
            assert not isinstance(argument, ast.JoinedStr), (
                f"line {call.lineno}: an f-string reaches a student")
            assert not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)
                        and re.search(r"[A-Za-z]{3}", argument.value)), (
                f"line {call.lineno}: an untranslated sentence reaches a student")


def test_message_ids_are_clean_sentences():
    ids = message_ids()
    assert len(set(ids)) >= 60
    for text in ids:
        assert text == text.strip() and "  " not in text, repr(text)


def test_a_translation_reaches_the_student(tmp_path):
    """Both modules take their messages from course_language: a messages.mo beside the
    helpers (as a translated assignment ships it) changes what every test says."""
    from catalogues import compiled_messages

    for name in ("public_tests.py", "diagnosis.py", "course_language.py", "gc_utils.py", "testCases.py",
                 "gradient_checker.py", "stage_trace.py", "stages.py"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    (tmp_path / MESSAGES_FILE).write_bytes(compiled_messages("de", {
        "All tests passed.": "Alle Tests bestanden.",
        "{function} returned None; it must end with a return statement that returns the number":
            "{function} gab None zurück; beende sie mit einer return-Anweisung, die die Zahl zurückgibt",
    }))
    code = ("import public_tests\n"
            "public_tests.forward_propagation_test(lambda x, theta: theta * x)\n"
            "try:\n"
            "    public_tests.backward_propagation_test(lambda x, theta: None)\n"
            "except AssertionError as error:\n"
            "    print(error)\n")
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env=environment, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Alle Tests bestanden." in done.stdout                      # public_tests.py
    assert ("backward_propagation gab None zurück; beende sie mit einer return-Anweisung, die die "
            "Zahl zurückgibt") in done.stdout                         # diagnosis.py


def test_print_message_ids(capsys):
    """The list the translators work from (pybabel extract finds the same)."""
    with capsys.disabled():
        print(f"\n{len(message_ids())} message ids in {', '.join(p.name for p in STUDENT_FACING)}")


def test_dictionary_helpers_round_trip():
    theta = np.arange(47.0).reshape(-1, 1)
    assert np.array_equal(dictionary_to_vector(vector_to_dictionary(theta))[0], theta)
