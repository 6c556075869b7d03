"""The protections the Gradient Checking course adds around nbgrader.

Nothing here replaces nbgrader: ``preprocessors`` are nbgrader steps that keep
grading fair and robust, ``safe_copy``, ``sandbox``, ``kernel_guard`` and
``pids`` confine what a submission can reach, ``parallel`` grades a course on
several cores or a cluster, ``feedback_html`` renders feedback offline, and
``config`` puts it all into nbgrader's configuration (``nbgrader_config.py``
calls it).  The demo's and the tests' scratch courses live in ``scaffold/``.
"""
