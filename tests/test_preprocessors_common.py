"""``grading.preprocessors.common``: the one log line format and the error output every
preprocessor of the kit uses."""

import logging

import nbformat

from grading.preprocessors.common import error_output, report, who


def test_who_names_the_student_and_the_notebook():
    resources = {"nbgrader": {"student": "alice", "notebook": "Gradient_Checking", "assignment": "a"}}
    assert who(resources) == "alice/Gradient_Checking"


def test_who_says_what_it_does_not_know():
    assert who({}) == "?/?"
    assert who({"nbgrader": {"student": "bob"}}) == "bob/?"


def test_report_logs_one_grading_warning(caplog):
    log = logging.getLogger("test_preprocessors_common")
    with caplog.at_level(logging.WARNING, logger=log.name):
        report(log, {"nbgrader": {"student": "alice", "notebook": "nb"}}, "something happened")
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "[grading] alice/nb: something happened")]


def test_error_output_is_a_valid_error_with_a_one_line_traceback():
    output = error_output("KernelDied", "the kernel stopped")
    assert output == {"output_type": "error", "ename": "KernelDied", "evalue": "the kernel stopped",
                      "traceback": ["KernelDied: the kernel stopped"]}
    cell = nbformat.v4.new_code_cell("pass")
    cell.outputs = [output]
    nbformat.validate(nbformat.v4.new_notebook(cells=[cell]))
