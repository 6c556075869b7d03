"""nbgrader_config.py: the course's settings, the kit's steps, and a refusal without the kit.

The configuration is loaded the way nbgrader loads it (traitlets'
``PyFileConfigLoader``), in a process of its own so that this suite's imports
cannot stand in for the course directory's.
"""

import json
import shutil
import subprocess
import sys

import nbformat

from course_constants import COURSE_ID, ROOT
from scaffold.course import tool_environment

LOAD = """
import json, sys
from traitlets.config.loader import PyFileConfigLoader
c = PyFileConfigLoader("nbgrader_config.py", path=sys.argv[1]).load_config()
name = lambda step: step if isinstance(step, str) else f"{step.__module__}.{step.__name__}"
print(json.dumps({
    "course_id": c.CourseDirectory.get("course_id"),
    "root": c.CourseDirectory.get("root"),
    "sanitize": [name(s) for s in c.Autograde.get("sanitize_preprocessors", [])],
    "autograde": [name(s) for s in c.Autograde.get("autograde_preprocessors", [])],
    "release": [name(s) for s in c.GenerateAssignment.get("preprocessors", [])],
    "sandbox": c.GuardedExecute.get("sandbox"),
}))
"""


def load(course, tmp_path, **env):
    done = subprocess.run([sys.executable, "-c", LOAD, str(course)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={**tool_environment(), **env})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def test_the_course_config_puts_the_kits_steps_in_nbgraders_pipeline(tmp_path):
    config, said = load(ROOT, tmp_path)
    assert config["course_id"] == COURSE_ID and config["root"] == str(ROOT)
    assert config["sanitize"][0] == "grading.preprocessors.known_cells.RestoreKnownCells"
    assert "grading.preprocessors.execute.GuardedExecute" in config["autograde"]
    assert "nbgrader.preprocessors.saveautogrades.SaveAutoGrades" in config["autograde"]
    assert "grading.preprocessors.localized_stub.LocalizedClearSolutions" in config["release"]
    assert not [step for step in config["release"] if step.endswith(".ClearSolutions")]
    assert config["sandbox"] == "auto" and "refuses" not in said


def test_the_sandbox_setting_follows_the_hubs_variable(tmp_path):
    config, _ = load(ROOT, tmp_path, GC_GRADING_SANDBOX="required")
    assert config["sandbox"] == "required"


def test_a_config_without_the_kit_beside_it_refuses_to_autograde(tmp_path):
    """A copy of nbgrader_config.py alone: nbgrader may release, but autograding stops
    before any student code runs, and says why."""
    course = tmp_path / "course"
    (course / "source" / "a").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    config, said = load(course, tmp_path)
    assert config["autograde"] == ["grading.preprocessors.GuardedExecute"]
    assert "autograding refuses to run" in said and "course_constants" in said

    ran = tmp_path / "student-code-ran"
    cell = nbformat.v4.new_code_cell(f"open({str(ran)!r}, 'w').close()", metadata={"nbgrader": {
        "grade": False, "solution": True, "locked": False, "grade_id": "answer", "schema_version": 3}})
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), course / "source" / "a" / "n.ipynb")
    env = tool_environment()
    released = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "a", "--force"],
                              cwd=course, env=env, capture_output=True, text=True, timeout=300)
    assert released.returncode == 0, released.stderr
    (course / "submitted" / "s" / "a").mkdir(parents=True)
    shutil.copy(course / "source" / "a" / "n.ipynb", course / "submitted" / "s" / "a" / "n.ipynb")
    graded = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", "a"], cwd=course, env=env,
                            capture_output=True, text=True, timeout=300)
    assert graded.returncode != 0, graded.stderr[-2000:]
    assert "grading" in graded.stderr
    assert not ran.exists(), "student code ran with the kit's protections missing"
