"""Instructor-side tools around nbgrader for the Gradient Checking course.

Nothing here replaces nbgrader: these modules build scratch course
directories, sample submissions and score tables on top of nbgrader's own
command line and database API, for the demo and the tests.
"""
