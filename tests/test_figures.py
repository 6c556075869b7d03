"""The committed figures are what scripts/make_figures.py draws today."""

from grading.course import ASSIGNMENT, REPO
from scripts.make_figures import make_all


def test_figures_are_up_to_date(tmp_path):
    drawn = make_all(tmp_path)
    committed = REPO / "source" / ASSIGNMENT / "images"
    assert sorted(p.name for p in drawn) == sorted(p.name for p in committed.glob("*.svg"))
    for path in drawn:
        assert path.read_bytes() == (committed / path.name).read_bytes(), (
            f"{path.name} is stale: run `make figures`, then `make release`")
