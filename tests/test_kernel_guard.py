"""``grading/kernel_guard.py``, the script a grading kernel starts with: the restore function
that puts back what student code replaced, the limits, the seed copy, the clean imports and
Landlock, each on its own (what needs a process of its own runs in one)."""

import builtins
import os
import subprocess
import sys
import textwrap
import types
import weakref

import numpy
import pytest

from grading import kernel_guard

GUARD = kernel_guard.__file__
LAST = ("last_type", "last_value", "last_traceback")
HELPERS = """
def f(x, y=1, *, z=2):
    return x + y + z


def display(value):
    return value


VALUE = 3
"""


@pytest.fixture
def helpers(monkeypatch):
    """A course helper module, imported; and sys.last_* put back after (restore clears them)."""
    module = types.ModuleType("gc_fake_helpers")
    exec(HELPERS, module.__dict__)
    monkeypatch.setitem(sys.modules, "gc_fake_helpers", module)
    saved = {name: getattr(sys, name) for name in LAST if hasattr(sys, name)}
    yield module
    for name in LAST:
        if name in saved:
            setattr(sys, name, saved[name])
        elif hasattr(sys, name):
            delattr(sys, name)


def restore_for(*names):
    return kernel_guard.make_restore(kernel_guard.snapshot({name: sys.modules[name] for name in names}))


def test_nothing_changed_nothing_reported(helpers):
    restore = restore_for("gc_fake_helpers")
    assert restore() == []
    assert restore() == []


def test_replaced_and_deleted_attributes_are_put_back_and_named(helpers):
    restore = restore_for("gc_fake_helpers")
    original = helpers.f
    helpers.f = lambda *args, **kwargs: 0
    del helpers.VALUE
    assert restore() == ["gc_fake_helpers.f", "gc_fake_helpers.VALUE"]
    assert helpers.f is original and helpers.VALUE == 3
    assert restore() == []


def test_a_functions_code_and_defaults_are_put_back(helpers):
    restore = restore_for("gc_fake_helpers")
    helpers.f.__code__ = (lambda x, y=1, *, z=2: 0).__code__
    assert helpers.f(1) == 0
    assert restore() == ["gc_fake_helpers.f.__code__"]
    assert helpers.f(1) == 4
    helpers.f.__defaults__ = (100,)
    assert restore() == ["gc_fake_helpers.f.__code__"] and helpers.f(1) == 4
    helpers.f.__kwdefaults__ = {"z": 100}
    assert restore() == ["gc_fake_helpers.f.__code__"] and helpers.f(1) == 4


def test_a_module_replaced_in_sys_modules_is_put_back(helpers):
    restore = restore_for("gc_fake_helpers")
    sys.modules["gc_fake_helpers"] = types.ModuleType("gc_fake_helpers")
    assert restore() == ["sys.modules['gc_fake_helpers']"]
    assert sys.modules["gc_fake_helpers"] is helpers


def test_builtins_are_put_back_but_not_the_names_ipython_rebinds(helpers, monkeypatch):
    monkeypatch.setattr(builtins, "_", "before", raising=False)
    monkeypatch.setattr(builtins, "display", print, raising=False)
    restore = restore_for("builtins")
    real_abs = builtins.abs
    monkeypatch.setattr(builtins, "abs", lambda x: 0)
    monkeypatch.setattr(builtins, "_", "after")                  # IPython's last result
    monkeypatch.setattr(builtins, "display", len)
    assert restore() == ["builtins.abs"]
    assert builtins.abs is real_abs and builtins._ == "after" and builtins.display is len


def test_a_helper_named_like_an_ipython_builtin_is_still_guarded(helpers):
    restore = restore_for("gc_fake_helpers")
    real = helpers.display
    helpers.display = print
    assert restore() == ["gc_fake_helpers.display"] and helpers.display is real
    assert {"_", "__", "___", "get_ipython", "display", "exit", "quit"} <= kernel_guard.IPYTHON_BUILTINS


def test_numpy_replaced_in_a_submodule_is_put_back(helpers, monkeypatch):
    restore = kernel_guard.make_restore(kernel_guard.snapshot(kernel_guard.guarded_modules([])))
    real_norm, real_isclose = numpy.linalg.norm, numpy.isclose
    monkeypatch.setattr(numpy, "isclose", lambda *a, **k: True)
    monkeypatch.setattr(numpy.linalg, "norm", lambda *a, **k: 0.0)
    changed = restore()
    assert "numpy.isclose" in changed and "numpy.linalg.norm" in changed
    assert numpy.isclose is real_isclose and numpy.linalg.norm is real_norm


def test_guarded_modules_are_the_usual_ones_numpys_and_the_helpers_imported(helpers):
    kernel_guard.import_clean([])         # imports the usual ones (cmath, say) when they are not yet
    guarded = kernel_guard.guarded_modules(["gc_fake_helpers", "never_imported_helper"])
    assert list(guarded) == sorted(guarded)
    assert {"builtins", "math", "cmath", "operator", "numbers", "numpy", "numpy.linalg",
            "gc_fake_helpers"} <= set(guarded)
    assert "never_imported_helper" not in guarded
    assert guarded["gc_fake_helpers"] is helpers
    assert kernel_guard.ALWAYS_GUARDED == ("builtins", "math", "cmath", "operator", "numbers", "numpy")


class Big:
    pass


def _fail_holding(big):
    held = big  # noqa: F841 - a local the traceback keeps alive
    raise MemoryError("after a memory bomb")


def test_the_last_errors_frames_are_released(helpers):
    big = Big()
    alive = weakref.ref(big)
    kept = []     # the error itself may live on (IPython keeps it): its frames' locals do not
    try:
        _fail_holding(big)
    except MemoryError as error:
        sys.last_type, sys.last_value, sys.last_traceback = type(error), error, error.__traceback__
        kept.append(error)
    del big
    assert alive() is not None                    # the traceback's frame holds it
    kernel_guard.release_last_error()
    assert alive() is None
    assert kept[0].__traceback__ is not None
    assert (sys.last_type, sys.last_value, sys.last_traceback) == (None, None, None)


def test_restore_releases_the_last_error_too(helpers):
    restore = restore_for("gc_fake_helpers")
    big = Big()
    alive = weakref.ref(big)
    try:
        _fail_holding(big)
    except MemoryError as error:
        sys.last_value = error
    del big
    restore()
    assert alive() is None


# --- what needs a process of its own -------------------------------------------------------

def run(code, cwd=None, **env):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GC_GRADER_")}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True,
                          text=True, timeout=60, env={**environment, **env})
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


LIMITS = f"""
    import os, resource, sys
    sys.path.insert(0, {os.path.dirname(GUARD)!r})
    import kernel_guard
    kernel_guard.set_limits()
    for limit in ("AS", "CPU", "FSIZE", "NPROC"):
        print(resource.getrlimit(getattr(resource, "RLIMIT_" + limit))[0],
              "GC_GRADER_LIMIT_" + limit in os.environ)
"""


def test_limits_are_set_from_the_environment_and_the_variables_removed():
    out = run(LIMITS, GC_GRADER_LIMIT_AS=str(4 * 1024 ** 3), GC_GRADER_LIMIT_CPU="600",
              GC_GRADER_LIMIT_FSIZE=str(64 * 1024 ** 2), GC_GRADER_LIMIT_NPROC="4096")
    assert out == [str(4 * 1024 ** 3), "False", "600", "False", str(64 * 1024 ** 2), "False", "4096", "False"]


def test_no_or_zero_limits_change_nothing():
    import resource

    unlimited = str(resource.RLIM_INFINITY)
    out = run(LIMITS, GC_GRADER_LIMIT_AS="0", GC_GRADER_LIMIT_CPU="")
    assert out[0::2] == [unlimited, unlimited, unlimited, str(resource.getrlimit(resource.RLIMIT_NPROC)[0])]
    assert out[1::2] == ["False"] * 4


def test_the_seed_is_copied_in_links_as_links(tmp_path, monkeypatch):
    seed, work = tmp_path / "seed", tmp_path / "work"
    (seed / "images").mkdir(parents=True)
    (seed / "data.csv").write_text("1,2\n")
    (seed / "images" / "f.svg").write_text("<svg/>")
    os.symlink("/etc/passwd", seed / "passwd")
    os.symlink("/etc/passwd", seed / "images" / "passwd")
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("GC_GRADER_SEED", str(seed))
    kernel_guard.copy_seed()
    assert "GC_GRADER_SEED" not in os.environ
    assert sorted(os.listdir(work)) == ["data.csv", "images", "passwd"]
    assert (work / "images" / "f.svg").read_text() == "<svg/>"
    assert os.readlink(work / "passwd") == os.readlink(work / "images" / "passwd") == "/etc/passwd"


def test_no_seed_copies_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GC_GRADER_SEED", raising=False)
    kernel_guard.copy_seed()
    monkeypatch.setenv("GC_GRADER_SEED", str(tmp_path / "missing"))
    kernel_guard.copy_seed()
    assert os.listdir(tmp_path) == []


IMPORTS = f"""
    import os, sys
    sys.path.insert(0, {os.path.dirname(GUARD)!r})
    import kernel_guard
    sys.path.insert(0, os.getcwd())
    before = list(sys.path)
    kernel_guard.import_clean(["lesson_helper", "broken_helper"])
    import numpy, lesson_helper
    print(os.path.dirname(numpy.__file__) != os.path.join(os.getcwd(), "numpy"),
          lesson_helper.__file__ == os.path.join(os.getcwd(), "lesson_helper.py"),
          "broken_helper" in sys.modules, sys.path == before)
"""


def test_libraries_are_imported_past_the_notebooks_folder_and_helpers_from_it(tmp_path):
    (tmp_path / "numpy").mkdir()
    (tmp_path / "numpy" / "__init__.py").write_text("raise SystemExit('the fake numpy')\n")
    (tmp_path / "math.py").write_text("raise SystemExit('the fake math')\n")
    (tmp_path / "lesson_helper.py").write_text("import numpy\n")
    (tmp_path / "broken_helper.py").write_text("raise RuntimeError('a helper that fails')\n")
    assert run(IMPORTS, cwd=tmp_path) == ["True", "True", "False", "True"]


CONFINED = f"""
    import os, sys
    sys.path.insert(0, {os.path.dirname(GUARD)!r})
    import kernel_guard
    allowed, other = os.environ["ALLOWED"], os.environ["OTHER"]
    print(kernel_guard.confine_writes([allowed]))
    for folder in (allowed, other):
        try:
            with open(os.path.join(folder, "written.txt"), "w") as handle:
                handle.write("x")
            print("wrote")
        except PermissionError:
            print("refused")
"""


def test_confine_writes_allows_only_the_given_folders(tmp_path):
    (tmp_path / "allowed").mkdir()
    (tmp_path / "other").mkdir()
    out = run(CONFINED, ALLOWED=str(tmp_path / "allowed"), OTHER=str(tmp_path / "other"))
    if kernel_guard.landlock_abi() >= 1:
        assert out == ["True", "wrote", "refused"]
        assert not (tmp_path / "other" / "written.txt").exists()
    else:                       # no Landlock here: nothing changes, and it says so
        assert out == ["False", "wrote", "wrote"]
    assert (tmp_path / "allowed" / "written.txt").read_text() == "x"
