"""The instructor notebook runs top to bottom and shows the lesson's numbers."""

import re
import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from course_constants import ASSIGNMENT, NOTEBOOK, ROOT
from grading.cells import cell_by_id, is_graded

# The instructor notebook, executed top to bottom in a kernel.
pytestmark = pytest.mark.slow


def outputs_of(notebook, grade_id):
    return "".join(output.get("text", "") for output in cell_by_id(notebook, grade_id).outputs)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("instructor") / ASSIGNMENT
    shutil.copytree(ROOT / "source" / ASSIGNMENT, folder)
    notebook = nbformat.read(folder / f"{NOTEBOOK}.ipynb", as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return notebook


def test_runs_without_errors(executed):
    errors = [output for cell in executed.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert errors == []


def test_given_backward_pass_shows_the_bug(executed):
    text = outputs_of(executed, "run_ex4")
    assert "There is a mistake in the backward propagation!" in text
    assert "difference = 0.285093156776162" in text


def test_per_block_table_points_at_w2_and_b1(executed):
    html = "".join(output.get("data", {}).get("text/html", "")
                   for output in cell_by_id(executed, "per_block").outputs)
    rows = {name: re.findall(r"<td[^>]*>(.*?)</td>", row) for name, row in
            re.findall(r"<tr[^>]*><td><code>(\w+)</code></td>(.*?)</tr>", html)}
    assert sorted(rows) == sorted(["W1", "b1", "W2", "b2", "W3", "b3"]), html
    checked, difference, _, factor, verdict = rows["W2"]
    assert (checked, factor) == ("15", "2.000") and verdict.startswith("wrong")
    checked, difference, _, factor, verdict = rows["b1"]
    assert (checked, factor) == ("5", "4.000") and verdict.startswith("wrong")
    assert float(rows["W2"][1]) == pytest.approx(1 / 3, rel=1e-3)  # shown with 4 digits
    assert float(rows["b1"][1]) == pytest.approx(3 / 5, rel=1e-3)
    for name in ("W1", "b2", "W3", "b3"):
        assert not rows[name][4].startswith("wrong"), rows[name]
        assert float(rows[name][1]) < 3e-7, rows[name]


def test_fixed_backward_pass_checks_out(executed):
    text = outputs_of(executed, "run_ex5")
    assert "works perfectly fine" in text
    assert "difference = 1.18909130" in text


def test_every_public_test_passes(executed):
    test_cells = [cell for cell in executed.cells
                  if is_graded(cell)]
    assert len(test_cells) == 7
    said = [outputs_of(executed, cell.metadata.nbgrader.grade_id) for cell in test_cells]
    assert all("All tests passed" in text or "Visible checks passed" in text for text in said), said
    assert sum("All tests passed" in text for text in said) == 5, "one public test per exercise"
