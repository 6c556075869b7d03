"""Read scores back out of the gradebook, per student and per graded cell."""

from nbgrader.api import Gradebook, MissingEntry

from course_constants import ASSIGNMENT, COURSE_ID, NOTEBOOK


def cell_scores(db_url, course_id=COURSE_ID, assignment=ASSIGNMENT):
    """``{student: {grade_id: (score, max_score)}}`` for every student autograded in ``assignment``."""
    table = {}
    with Gradebook(db_url, course_id) as gradebook:
        for student in gradebook.students:
            try:
                notebook = gradebook.find_submission_notebook(NOTEBOOK, assignment, student.id)
            except MissingEntry:  # no submission for this student
                continue
            table[student.id] = {
                grade.name: (grade.score, grade.max_score) for grade in notebook.grades
            }
    return table


LABEL_WORDS = [
    ("test_", ""), ("_wrong_gradients", " wrong-grads"), ("_nonlinear", " nonlinear"),
    ("_fixed_backward_propagation_n", " fix"), ("_forward_propagation", ""),
    ("_backward_propagation", ""), ("_gradient_check_n", ""), ("_gradient_check", ""),
]


def short_label(grade_id):
    """``test_ex4_gradient_check_n_wrong_gradients`` -> ``ex4 wrong-grads``."""
    for old, new in LABEL_WORDS:
        grade_id = grade_id.replace(old, new)
    return grade_id


def format_table(table):
    """A plain-text table: one row per student, one column per graded cell."""
    if not table:
        return "(no graded submissions)"
    columns = sorted({name for row in table.values() for name in row})
    short = {name: short_label(name) for name in columns}
    width = max(len(student) for student in table) + 2
    header = "student".ljust(width) + "".join(short[c].rjust(len(short[c]) + 2) for c in columns)
    header += "   total"
    lines = [header, "-" * len(header)]
    for student in sorted(table):
        row = table[student]
        cells = []
        for c in columns:
            score, top = row.get(c, (0, 0))
            cells.append(f"{score:g}/{top:g}".rjust(len(short[c]) + 2))
        total = sum(score for score, _ in row.values())
        top = sum(top for _, top in row.values())
        lines.append(student.ljust(width) + "".join(cells) + f"   {total:g}/{top:g}")
    return "\n".join(lines)
