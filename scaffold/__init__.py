"""Scratch courses for the demo, the benchmarks and the tests; no part of grading.

``course`` copies the course directory into a throw-away folder and runs
nbgrader there, ``submissions`` builds sample student notebooks from the
release and the instructor's solutions, ``scores`` reads the gradebook back.
An instructor's course never needs this package: ``make_course`` copies
``grading/``, not ``scaffold/``.
"""
