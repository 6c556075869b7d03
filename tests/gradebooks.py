"""Small gradebooks made inside a test, with nbgrader's own API."""

import os
import warnings
from contextlib import contextmanager

from nbgrader.api import Gradebook

from scaffold.course import tool_environment


@contextmanager
def new_gradebook(path, course_id="default_course"):
    """An open ``Gradebook`` at ``path`` (SQLite), made with this Python's tools: nbgrader runs
    ``alembic`` by name when it creates a gradebook, so PATH finds the one beside this
    interpreter while it does (the environment is put back after)."""
    environ = dict(os.environ)
    os.environ["PATH"] = tool_environment()["PATH"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")       # SQLAlchemy's notes on nbgrader's own sessions
            with Gradebook(f"sqlite:///{path}", course_id) as gradebook:
                yield gradebook
    finally:
        os.environ.clear()
        os.environ.update(environ)
