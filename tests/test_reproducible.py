"""Committed build outputs are a function of the sources: not of the tool's version,
the date, the host or the folder they were built in.

The message catalogues are built with the locked Babel and with the oldest Babel the
loose list admits (``babel>=2.12`` in requirements-dev.txt), in a process of its own,
and the bytes compared.  The figures are drawn twice in processes that differ in
everything but the sources (another HOME, matplotlib config and cache folder, time
zone, working folder and date), and scanned for anything that names a tool, a host or
a path.  (Matplotlib's text layout itself changes between releases, 3.10 and 3.11
place labels differently, so the figures depend on matplotlib through the lock's pin
only: the drawing, never a stamp.)
"""

import json
import os
import platform
import socket
import subprocess
import sys
import textwrap

import babel
import matplotlib
import pytest
from system_packages import skip_or_fail

from course_constants import ASSIGNMENT, MESSAGES_FILE, ROOT
from i18n import assignment, languages, po_path

#: The oldest Babel requirements-dev.txt admits: far enough from the locked one that
#: its Catalog writes a different header of its own.
OLDER_BABEL = "2.12.1"

BUILD_CATALOGUES = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    import babel
    from i18n import languages
    from i18n.messages import _text, compile_messages, read
    out = Path(sys.argv[1])
    for language in languages():
        (out / f"{language}.mo").write_bytes(compile_messages(language))
        (out / f"{language}.po").write_bytes(_text(read(language)))
    print(json.dumps({"babel": babel.__version__, "file": babel.__file__}))
""")


@pytest.fixture(scope="module")
def older_babel(tmp_path_factory):
    """A folder holding Babel ``OLDER_BABEL`` alone, to put first on PYTHONPATH."""
    target = tmp_path_factory.mktemp("babel-" + OLDER_BABEL)
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "--no-deps", "--target", str(target), f"babel=={OLDER_BABEL}"],
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        skip_or_fail(f"could not install babel=={OLDER_BABEL} from the package registry: "
                     f"{done.stderr.strip()[-500:]}")
    return target


def build_catalogues(out, pythonpath):
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, pythonpath))}
    done = subprocess.run([sys.executable, "-c", BUILD_CATALOGUES, str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.system
def test_catalogues_are_the_same_bytes_with_two_babels(tmp_path, older_babel):
    locked = build_catalogues(tmp_path / "locked", [ROOT])
    older = build_catalogues(tmp_path / "older", [older_babel, ROOT])
    assert locked["babel"] == babel.__version__ and older["babel"] == OLDER_BABEL, (locked, older)
    assert older["file"].startswith(str(older_babel)), older
    for language in languages():
        for kind, committed in (("mo", ROOT / "source" / assignment(language) / MESSAGES_FILE),
                                ("po", po_path(language))):
            built = {who: (tmp_path / who / f"{language}.{kind}").read_bytes() for who in ("locked", "older")}
            assert built["locked"] == built["older"], (
                f"{language}.{kind}: Babel {babel.__version__} and {OLDER_BABEL} write different bytes")
            assert built["locked"] == committed.read_bytes(), f"{committed.relative_to(ROOT)} is stale"
            assert b"Babel" not in built["locked"] and b"Creation-Date" not in built["locked"]


DRAW = textwrap.dedent("""
    import sys
    from i18n.build import draw_figures
    draw_figures(sys.argv[2], sys.argv[1])
""")


def draw(out, language, home):
    """The figures of ``language`` drawn in a process of their own, with ``home`` as its
    HOME, matplotlib's config and cache folder, working folder, and a time zone of its own."""
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "MPLCONFIGDIR": str(home / "mpl"), "XDG_CACHE_HOME": str(home),
           "TZ": "Asia/Seoul" if "b" in home.name else "UTC", "PYTHONPATH": str(ROOT)}
    env.pop("SOURCE_DATE_EPOCH", None)
    done = subprocess.run([sys.executable, "-c", DRAW, str(out), language], cwd=home, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return {path.name: path.read_bytes() for path in sorted(out.glob("*.svg"))}


@pytest.mark.system
@pytest.mark.parametrize("language", ["en", *languages()])
def test_figures_name_no_tool_host_date_or_path(tmp_path, language, cjk_fonts):
    first = draw(tmp_path / "a-out", language, tmp_path / "home-a")
    second = draw(tmp_path / "b-out", language, tmp_path / "home-b")
    assert first and first == second, "two processes drew different figures from the same sources"
    leaks = [matplotlib.__version__, "Matplotlib v", *{socket.gethostname(), platform.node()}, str(ROOT),
             str(tmp_path), "<dc:date>", "<dc:creator>"]
    for name, svg in first.items():
        text = svg.decode("utf-8")
        found = [leak for leak in leaks if len(leak) >= 4 and leak in text]
        assert not found, f"{name} ({language}) carries {found}"
    committed = ROOT / "source" / (ASSIGNMENT if language == "en" else assignment(language)) / "images"
    assert first == {p.name: p.read_bytes() for p in sorted(committed.glob("*.svg"))}
