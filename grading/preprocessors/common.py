"""What every preprocessor of the kit shares: one way to log a problem, and
the error output a cell gets when grading, not the student's code, stopped it."""

import nbformat

from grading.problem_log import log_problem, submission


def who(resources):
    """The submission nbgrader is converting, as the log names it."""
    info = resources.get("nbgrader", {})
    return submission(info.get("student", "?"), info.get("notebook", "?"))


def report(log, resources, message):
    log_problem(log, who(resources), message)


def error_output(ename, evalue):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue,
                                  traceback=[f"{ename}: {evalue}"])
