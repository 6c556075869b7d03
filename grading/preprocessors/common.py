"""What every preprocessor of the kit shares: one way to log a problem, and
the error output a cell gets when grading, not the student's code, stopped it."""

import nbformat


def who(resources):
    info = resources.get("nbgrader", {})
    return f"{info.get('student', '?')}/{info.get('notebook', '?')}"


def report(log, resources, message):
    log.warning("[grading] %s: %s", who(resources), message)


def error_output(ename, evalue):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue,
                                  traceback=[f"{ename}: {evalue}"])
