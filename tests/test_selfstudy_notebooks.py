"""Run the self-study notebooks in notebooks/ and check what they claim.

Each notebook ends with a cell that prints ``CLAIMS {json}``: the numbers its
prose relies on.  Every test here executes one notebook in a fresh kernel
(cwd = notebooks/, as Jupyter would) and checks those numbers, so the text
cannot drift away from what the code shows.  The tests share nothing and
write nothing into the repository, so they may run in parallel.
"""

import json
import os

import nbformat
import pytest
from nbclient import NotebookClient

from course_constants import ROOT

NOTEBOOKS = ROOT / "notebooks"
NAMES = ["01_choosing_epsilon", "02_kinks", "03_big_networks", "04_randomness", "05_regularization"]


def run(name):
    """Execute a notebook in memory and return the dict its last cell printed."""
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    # One BLAS thread per kernel: with several notebooks running side by side,
    # threaded matrix products only fight over the same cores.
    threads = {key: "1" for key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    client.execute(env={**os.environ, **threads, "MPLBACKEND": "Agg"})
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                for line in output["text"].splitlines():
                    if line.startswith("CLAIMS "):
                        return json.loads(line[len("CLAIMS "):])
    raise AssertionError(f"{name} printed no CLAIMS line")


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_stored_without_outputs(name):
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_readme_lists_every_notebook():
    readme = (NOTEBOOKS / "README.md").read_text()
    for name in NAMES:
        assert f"{name}.ipynb" in readme
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


@pytest.mark.slow
def test_choosing_epsilon():
    claims = run("01_choosing_epsilon")
    assert 1e-7 <= claims["best_epsilon_float64"] <= 1e-4
    assert claims["best_error_float64"] < 1e-9
    assert claims["best_error_float32"] > 1e3 * claims["best_error_float64"]
    assert claims["best_epsilon_float32"] > 1e-4
    assert claims["course_cost_difference"] == pytest.approx(1.189e-7, rel=2e-3)
    assert claims["stable_cost_difference"] < 1e-8
    assert claims["complex_step_difference"] < 1e-12
    assert claims["complex_step_sin_error"] < 1e-15


@pytest.mark.slow
def test_kinks():
    claims = run("02_kinks")
    assert claims["baseline_difference"] < 2e-7
    assert not claims["baseline_kink_warning"]
    assert claims["kink_difference"] > 0.2850931567761623  # worse than the course's two bugs
    assert claims["kink_wrong_blocks"] == ["W1", "b1"]
    assert claims["kink_warning"] and claims["kink_warning_names_b1_0"]
    assert claims["moved_difference"] < 2e-7
    assert claims["fewer_examples_difference"] < 2e-7
    assert claims["tiny_epsilon_difference"] > 1e-4


@pytest.mark.slow
def test_big_networks():
    claims = run("03_big_networks")
    assert 100_000 <= claims["n_parameters"] <= 110_000
    assert claims["per_block_direction_catch_rate"] == 1.0
    assert 0.05 <= claims["global_direction_miss_rate"] <= 0.20
    assert abs(claims["global_direction_miss_rate"] - claims["predicted_global_miss_rate"]) < 0.05
    assert claims["sample_catch_rate"] < 0.05
    assert claims["sampled_per_block_wrong"] == ["b1"]
    assert claims["sampled_per_block_evaluations"] == 2 * (5 * 10 + 1) + 2
    assert claims["directional_wrong"] == ["b1"]
    assert claims["directional_b1_factor"] == pytest.approx(4, rel=1e-4)
    assert claims["directional_evaluations"] == 2 * 2 * 6 + 2


@pytest.mark.slow
def test_randomness():
    claims = run("04_randomness")
    assert claims["unseeded_difference"] > 1e-3
    assert claims["unseeded_random_warning"]
    assert claims["seeded_difference"] < 1e-7
    assert not claims["seeded_random_warning"]


@pytest.mark.slow
def test_regularization():
    claims = run("05_regularization")
    assert claims["combined_wrong_blocks"] == []  # the strong penalty hides the bug...
    assert claims["combined_difference"] < 1e-3
    assert claims["data_only_wrong_blocks"] == ["W2"]  # ...which the data-loss check finds
    assert claims["data_only_W2_factor"] == pytest.approx(2, rel=1e-5)
    assert claims["data_only_difference"] == pytest.approx(0.17344196893145924, rel=1e-9)
    assert claims["penalty_only_difference"] < 1e-7
    assert claims["small_lambda_W2_difference"] > 0.3
