"""How the kit writes a problem it met into nbgrader's log: once, as
``[grading] <student>/<notebook>: <what happened>``, so that an instructor can
find every line about one student with one search."""


def submission(student, notebook):
    """The name a submission goes by in the log."""
    return f"{student}/{notebook}"


def log_problem(log, where, message):
    log.warning("[grading] %s: %s", where, message)
