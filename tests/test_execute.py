"""``GuardedExecute`` and ``SandboxKernelManager``: the kernel's command and environment,
the sandbox and process-cap decisions and the bounded collection of output, without a kernel;
then a few small notebooks made here, run in real (unsandboxed) kernels: numpy put back
before a test cell, a dead kernel replaced and the cells before replayed, a hung one stopped,
and grading given up after too many restarts."""

import json
import logging
import os
import shutil
import sys
from types import SimpleNamespace

import nbformat
import pytest
from traitlets.config import Config

from grading import pids, sandbox
from grading.preprocessors import execute
from grading.preprocessors.execute import GUARD_SCRIPT, GuardedExecute, SandboxKernelManager, seed_entries

RESOURCES = {"nbgrader": {"student": "alice", "notebook": "nb"}}


def grading_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("[grading]")]


@pytest.fixture(autouse=True)
def warnings_not_given_yet(monkeypatch):
    monkeypatch.setattr(execute, "_warned_unsandboxed", [])
    monkeypatch.setattr(execute, "_warned_uncapped", [])


def guarded(**traits):
    config = Config()
    for name, value in traits.items():
        setattr(config.GuardedExecute, name, value)
    return GuardedExecute(config=config)


# --- without a kernel ----------------------------------------------------------------------

def test_the_documented_limits_are_the_defaults():
    step = GuardedExecute()
    assert (step.sandbox, step.process_cap) == ("auto", "auto")
    assert (step.memory_limit, step.cpu_limit, step.file_size_limit) == (2 * 1024 ** 3, 600, 64 * 1024 ** 2)
    assert (step.disk_limit, step.process_limit, step.max_cell_bytes) == (128 * 1024 ** 2, 64, 1024 ** 2)
    assert (step.max_restarts, step.probe_timeout) == (4, 10)
    assert step.kernel_manager_class is SandboxKernelManager
    assert execute.SOCKETS_OWNER == 65534    # nobody: the sandboxed kernel's socket folder is never its own


def test_the_kernels_folder_gets_the_regular_files_and_folders_but_no_notebook(tmp_path):
    for name in ("n.ipynb", "other.ipynb", "data.csv", "gc_utils.py"):
        (tmp_path / name).write_text("")
    (tmp_path / "images").mkdir()
    os.symlink("data.csv", tmp_path / "link.csv")
    os.mkfifo(tmp_path / "pipe")
    assert seed_entries(tmp_path) == [str(tmp_path / name) for name in ("data.csv", "gc_utils.py", "images")]


def kernel_manager(tmp_path, **attributes):
    km = SandboxKernelManager(kernel_name="python3")
    km.connection_file = str(tmp_path / "private" / "kernel-1.json")
    km.grading_env = {"GC_GRADER_TOKEN_FILE": str(tmp_path / "private" / "token"), "GC_GRADER_PRELOAD": ""}
    for name, value in attributes.items():
        setattr(km, name, value)
    return km


def test_the_kernel_starts_through_the_guard_script(tmp_path):
    command = kernel_manager(tmp_path).format_kernel_cmd()
    assert command[1:] == [str(GUARD_SCRIPT), str(tmp_path / "private" / "token"),
                           "-f", str(tmp_path / "private" / "kernel-1.json")]
    assert os.path.samefile(command[0], sys.executable)


def test_the_kernel_is_interrupted_by_message(tmp_path):
    km = kernel_manager(tmp_path)
    km.format_kernel_cmd()
    assert km.kernel_spec.interrupt_mode == "message"


def test_a_process_cap_wraps_the_whole_command(tmp_path):
    cap = SimpleNamespace(command=lambda command: ["join-cap", *command])
    command = kernel_manager(tmp_path, grading_cap=cap).format_kernel_cmd()
    assert command[0] == "join-cap" and command[2] == str(GUARD_SCRIPT)


def test_the_sandboxed_command_talks_through_its_socket_folder(tmp_path, monkeypatch):
    which = shutil.which
    monkeypatch.setattr(sandbox.shutil, "which", lambda name, *a, **k: "/usr/bin/bwrap" if name == "bwrap"
                        else which(name, *a, **k))
    private, workdir = tmp_path / "private", tmp_path / "autograded" / "alice" / "a"
    private.mkdir()
    workdir.mkdir(parents=True)
    (workdir / "data.csv").write_text("")
    (workdir / "n.ipynb").write_text("{}")
    km = kernel_manager(tmp_path, grading_sandboxed=True, grading_private_dir=str(private),
                        grading_workdir_bytes=1024 ** 2, transport="ipc", ip=str(private / "kernel"))
    km.grading_env["GC_GRADER_LIMIT_AS"] = "123"
    km.write_connection_file()
    km._launch_args = {"cwd": str(workdir)}
    command = km.format_kernel_cmd()
    inner = sandbox.SOCKETS_DIR
    # the kernel's copy of the connection file names the sockets as the sandbox sees them
    assert json.loads((private / "connection.json").read_text())["ip"] == f"{inner}/kernel"
    assert json.loads((private / "kernel-1.json").read_text())["ip"] == str(private / "kernel")
    assert command[0] == "/usr/bin/bwrap"
    end = command.index("--")
    assert os.path.samefile(command[end + 1], sys.executable)
    assert command[end + 2:] == [str(GUARD_SCRIPT), f"{inner}/token", "-f", f"{inner}/connection.json"]
    options = command[:end]
    assert [options[i + 1:i + 3] for i, o in enumerate(options) if o == "--bind"] == [[str(private), inner]]
    assert [str(GUARD_SCRIPT), str(GUARD_SCRIPT)] in [options[i + 1:i + 3] for i, o in enumerate(options)
                                                       if o == "--ro-bind"]
    assert [str(workdir / "data.csv"), f"{sandbox.SEED_DIR}/data.csv"] in [
        options[i + 1:i + 3] for i, o in enumerate(options) if o == "--ro-bind"]
    assert str(workdir / "n.ipynb") not in options
    env = dict(tuple(options[i + 1:i + 3]) for i, o in enumerate(options) if o == "--setenv")
    assert "GC_GRADER_TOKEN_FILE" not in env
    assert env["GC_GRADER_LIMIT_AS"] == "123"
    assert env["GC_GRADER_WRITABLE"] == os.pathsep.join([str(workdir), "/tmp", "/dev"])
    assert ["--size", str(1024 ** 2), "--tmpfs", str(workdir)] in [options[i:i + 4]
                                                                   for i in range(len(options))]


def test_the_kernel_manager_gets_the_limits_and_a_token_file(tmp_path):
    step = guarded(memory_limit=1000, cpu_limit=7, file_size_limit=99, process_limit=5)
    step.nb = nbformat.v4.new_notebook()
    step._helpers, step._is_sandboxed, step._cap_mode = ["gc_utils", "testCases"], False, None
    step._private_dirs, step._caps, step._resources = [], [], RESOURCES
    km = step.create_kernel_manager()
    try:
        env = km.grading_env
        assert {k: v for k, v in env.items() if k != "GC_GRADER_TOKEN_FILE"} == {
            "GC_GRADER_PRELOAD": "gc_utils,testCases", "GC_GRADER_LIMIT_AS": "1000",
            "GC_GRADER_LIMIT_CPU": "7", "GC_GRADER_LIMIT_FSIZE": "99"}
        with open(env["GC_GRADER_TOKEN_FILE"]) as handle:
            assert handle.read() == step._token
        assert step._token.startswith("_grader_") and len(step._token) == len("_grader_") + 32
        assert os.path.dirname(env["GC_GRADER_TOKEN_FILE"]) == step._private_dirs[0]
        assert km.grading_sandboxed is False and km.grading_cap is None
    finally:
        shutil.rmtree(step._private_dirs[0])


def test_a_sandboxed_kernel_manager_uses_unix_sockets_a_disk_cap_and_rlimit_nproc(tmp_path):
    step = guarded(disk_limit=4096, process_limit=5)
    step.nb = nbformat.v4.new_notebook()
    step._helpers, step._is_sandboxed, step._cap_mode = [], True, "rlimit"
    step._private_dirs, step._caps, step._resources = [], [], RESOURCES
    km = step.create_kernel_manager()
    try:
        assert km.transport == "ipc" and km.ip == os.path.join(step._private_dirs[0], "kernel")
        assert km.grading_workdir_bytes == 4096
        assert km.grading_env["GC_GRADER_LIMIT_NPROC"] == "5"
        assert km.grading_sandboxed and km.grading_cap is None
    finally:
        shutil.rmtree(step._private_dirs[0])


def test_a_cgroup_cap_is_made_per_kernel(tmp_path, monkeypatch, caplog):
    made = []
    monkeypatch.setattr(pids.ProcessCap, "create", classmethod(lambda cls, limit: made.append(limit) or
                                                                SimpleNamespace(limit=limit)))
    step = guarded(process_limit=9)
    step.nb = nbformat.v4.new_notebook()
    step._helpers, step._is_sandboxed, step._cap_mode = [], False, "cgroup"
    step._private_dirs, step._caps, step._resources = [], [], RESOURCES
    km = step.create_kernel_manager()
    shutil.rmtree(step._private_dirs[0])
    assert made == [9] and step._caps == [km.grading_cap]

    def refuse(cls, limit):
        raise OSError("No space left on device")
    monkeypatch.setattr(pids.ProcessCap, "create", classmethod(refuse))
    with caplog.at_level(logging.WARNING):
        km = step.create_kernel_manager()
    shutil.rmtree(step._private_dirs[-1])
    assert km.grading_cap is None
    assert grading_lines(caplog) == [
        "[grading] alice/nb: *** no process cap for this kernel: No space left on device ***"]
    step.process_cap = "required"
    with pytest.raises(OSError, match="No space left on device"):
        step.create_kernel_manager()
    shutil.rmtree(step._private)


@pytest.mark.parametrize("setting, probe, answer", [
    ("off", None, False),
    ("auto", (True, ""), True),
    ("required", (True, ""), True),
    ("auto", (False, "bwrap is not installed"), False),
])
def test_whether_the_kernel_is_sandboxed(monkeypatch, setting, probe, answer):
    def available():
        assert probe is not None, "sandbox='off' asks nothing"
        return probe
    monkeypatch.setattr(sandbox, "available", available)
    assert guarded(sandbox=setting)._sandboxed() is answer


def test_a_required_sandbox_that_cannot_start_stops_grading(monkeypatch):
    monkeypatch.setattr(sandbox, "available", lambda: (False, "bwrap is not installed"))
    with pytest.raises(RuntimeError, match="^the grading sandbox is required but cannot start: bwrap is not "
                                           "installed$"):
        guarded(sandbox="required")._sandboxed()


def test_grading_unsandboxed_is_said_once_and_loudly(monkeypatch, caplog):
    monkeypatch.setattr(sandbox, "available", lambda: (False, "no user namespaces"))
    with caplog.at_level(logging.WARNING):
        guarded()._sandboxed()
        guarded()._sandboxed()
    assert grading_lines(caplog) == [
        "[grading] *** AUTOGRADING RUNS UNSANDBOXED: no user namespaces. Student code can read source/, "
        "write the gradebook and other students' folders, and use the network. ***"]


def no_cgroups(monkeypatch, uid):
    def unavailable():
        raise pids.Unavailable("no cgroup file system with the pids controller is mounted")
    monkeypatch.setattr(pids, "available", unavailable)
    monkeypatch.setattr(execute.os, "geteuid", lambda: uid)


def test_how_processes_are_capped(monkeypatch):
    monkeypatch.setattr(pids, "available", lambda: ("v2", "/sys/fs/cgroup/x"))
    assert guarded()._process_cap_mode() == "cgroup"
    assert guarded(process_cap="off")._process_cap_mode() is None
    no_cgroups(monkeypatch, 1000)
    step = guarded()
    step._is_sandboxed = True
    assert step._process_cap_mode() == "rlimit"        # per user namespace: per kernel


@pytest.mark.parametrize("uid, sandboxed, why", [
    (0, True, "; RLIMIT_NPROC is not enforced for root"),
    (1000, False, "; RLIMIT_NPROC needs the sandbox's own user namespace"),
])
def test_no_cap_is_said_once_or_refused_when_required(monkeypatch, caplog, uid, sandboxed, why):
    no_cgroups(monkeypatch, uid)
    step = guarded()
    step._is_sandboxed = sandboxed
    with caplog.at_level(logging.WARNING):
        assert step._process_cap_mode() is None
        assert step._process_cap_mode() is None
    reason = "no cgroup file system with the pids controller is mounted" + why
    assert grading_lines(caplog) == [f"[grading] *** KERNEL PROCESSES ARE NOT CAPPED: {reason}. A fork bomb "
                                     "in a submission can exhaust this machine. ***"]
    step.process_cap = "required"
    with pytest.raises(RuntimeError, match=f"^a process cap is required but cannot be set: {reason}$"):
        step._process_cap_mode()


def message(msg_type, **content):
    return {"msg_type": msg_type, "content": content, "header": {"msg_type": msg_type}, "metadata": {},
            "parent_header": {}}


def test_output_is_collected_up_to_max_cell_bytes(monkeypatch):
    step = guarded(max_cell_bytes=10)
    step.reset_execution_trackers()
    step.clear_before_next_output = False   # as nbclient sets it before each cell
    step._collected = {}
    outs = []
    step.output(outs, message("stream", name="stdout", text="0123456789abcdef"), None, 0)
    assert [o.text for o in outs] == ["0123456789"]
    assert step.output(outs, message("stream", name="stdout", text="more"), None, 0) is None
    assert step.output(outs, message("display_data", data={"text/plain": "x"}, metadata={}), None, 0) is None
    assert len(outs) == 1
    error = message("error", ename="ValueError", evalue="after the budget", traceback=[])
    step.output(outs, error, None, 0)
    assert outs[-1].output_type == "error"               # errors are always collected
    other = []
    step.output(other, message("stream", name="stdout", text="next cell"), None, 1)
    assert [o.text for o in other] == ["next cell"]   # the budget is per cell


def test_output_within_the_budget_is_kept_whole_and_counted_per_cell():
    step = guarded(max_cell_bytes=10)
    step.reset_execution_trackers()
    step.clear_before_next_output = False   # as nbclient sets it before each cell
    step._collected = {}
    outs, elsewhere = [], []
    step.output(elsewhere, message("stream", name="stdout", text="12345678"), None, 1)
    for text in ("12345", "67890"):
        step.output(outs, message("stream", name="stdout", text=text), None, 0)
    assert [o.text for o in outs] == ["12345", "67890"]
    assert step.output(outs, message("stream", name="stdout", text="x"), None, 0) is None


def test_a_notebook_without_code_starts_no_kernel(monkeypatch):
    def no(*args):
        raise AssertionError("nothing to run: no kernel, no sandbox probe")
    monkeypatch.setattr(sandbox, "available", no)
    monkeypatch.setattr(GuardedExecute, "create_kernel_manager", no)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# text"),
                                               nbformat.v4.new_code_cell("   \n")])
    out, resources = guarded().preprocess(notebook, {"x": 1})
    assert out is notebook and resources == {"x": 1}


def test_after_giving_up_code_cells_are_not_run(monkeypatch):
    step = guarded()
    step._given_up = True
    cell, _ = step.preprocess_cell(nbformat.v4.new_code_cell("print(1)"), RESOURCES, 3)
    why = "not run: the kernel died or hung too often in cells above"
    assert cell.outputs == [{"output_type": "error", "ename": "NotRun", "evalue": why,
                             "traceback": [f"NotRun: {why}"]}]
    markdown = nbformat.v4.new_markdown_cell("text")
    assert step.preprocess_cell(markdown, RESOURCES, 4) == (markdown, RESOURCES)


def test_a_full_disk_is_reported_once_when_sandboxed(caplog):
    step = guarded(disk_limit=128 * 1024 ** 2)
    step._is_sandboxed, step._disk_full_reported = True, False
    full = nbformat.v4.new_code_cell("x", metadata={"nbgrader": {"grade_id": "ex1"}})
    full.outputs = [nbformat.v4.new_output("error", ename="OSError", traceback=[],
                                           evalue="[Errno 28] No space left on device")]
    with caplog.at_level(logging.WARNING):
        step._report_disk_full(full, 2, RESOURCES)
        step._report_disk_full(full, 3, RESOURCES)
    assert grading_lines(caplog) == [
        "[grading] alice/nb: cell ex1: No space left on device: the notebook reached its disk cap "
        "(128 MiB in its folder, 64 MiB in /tmp, 16 MiB in /dev/shm)"]
    unsandboxed = guarded()
    unsandboxed._is_sandboxed, unsandboxed._disk_full_reported = False, False
    caplog.clear()
    unsandboxed._report_disk_full(full, 2, RESOURCES)
    assert grading_lines(caplog) == []


# --- in a real kernel (unsandboxed, no process cap: the grading steps themselves) -----------

def graded(source, name):
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": {
        "grade": True, "solution": False, "grade_id": name, "points": 1}})


def run_in_kernel(cells, tmp_path, caplog, **traits):
    step = guarded(sandbox="off", process_cap="off", **traits)
    notebook = nbformat.v4.new_notebook(cells=cells)
    resources = {"metadata": {"path": str(tmp_path)}, "nbgrader": dict(RESOURCES["nbgrader"])}
    with caplog.at_level(logging.WARNING):
        notebook, _ = step.preprocess(notebook, resources)
    outputs = [[{k: v for k, v in o.items() if k in ("output_type", "ename", "evalue", "text")}
                for o in cell.outputs] for cell in notebook.cells]
    return outputs, grading_lines(caplog), step


def stdout(text):
    return {"output_type": "stream", "text": text}


def error(ename, evalue):
    return {"output_type": "error", "ename": ename, "evalue": evalue}


DIED = ("the kernel stopped while this cell ran (os._exit, a crash or the memory limit); it was restarted "
        "for the cells below")


def test_numpy_is_put_back_before_each_test_and_a_dead_kernel_is_replaced(tmp_path, caplog):
    outputs, lines, step = run_in_kernel([
        nbformat.v4.new_code_cell("import numpy as np\nx = 41"),
        nbformat.v4.new_code_cell("np.isclose = lambda *a, **k: True", metadata={"nbgrader": {
            "grade": False, "solution": True, "grade_id": "answer"}}),
        graded("assert not np.isclose(1.0, 2.0)\nx += 1\nprint('x is', x)", "test_a"),
        nbformat.v4.new_code_cell("import os\nos._exit(3)"),
        graded("print('x is', x)\nassert not np.isclose(1, 2)\nimport os, resource\n"
               "print(resource.getrlimit(resource.RLIMIT_AS)[0], os.environ.get('GC_GRADER_LIMIT_AS'))",
               "test_b"),
    ], tmp_path, caplog, memory_limit=3 * 1024 ** 3)
    assert outputs == [[], [], [stdout("x is 42\n")], [error("KernelDied", DIED)],
                       # a new kernel, the cells before run again: x as it was, numpy put back again,
                       # the limit set and its variable gone
                       [stdout(f"x is 42\n{3 * 1024 ** 3} None\n")]]
    restored = "[grading] alice/nb: student code had replaced numpy.isclose; restored before the test cell"
    # before test_a, and before test_a again in the new kernel (the answer cell ran again before it)
    assert lines == [restored, f"[grading] alice/nb: cell 3: KernelDied: {DIED}", restored]
    assert step._restarts == 1 and step._fatal == {3}
    assert all(not os.path.exists(folder) for folder in step._private_dirs)     # token folders removed


def test_after_too_many_restarts_the_rest_is_not_run(tmp_path, caplog):
    outputs, lines, _ = run_in_kernel([
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("import os\nos._exit(1)"),
        graded("print(x)", "test_a"),
    ], tmp_path, caplog, max_restarts=0)
    assert outputs == [[], [error("KernelDied", DIED)],
                       [error("NotRun", "not run: the kernel died or hung too often in cells above")]]
    assert lines == [f"[grading] alice/nb: cell 1: KernelDied: {DIED}",
                     "[grading] alice/nb: kernel restarted too often; the remaining cells are not run"]


def test_a_cell_past_the_timeout_is_interrupted_and_grading_goes_on(tmp_path, caplog):
    outputs, lines, step = run_in_kernel([
        nbformat.v4.new_code_cell("x = 5"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(100)"),
        graded("print(x)", "test_a"),
    ], tmp_path, caplog, timeout=2, probe_timeout=5)
    assert outputs == [[], [error("KeyboardInterrupt", ""), error("CellTimeoutError", "")], [stdout("5\n")]]
    assert lines == ["[grading] alice/nb: cell 1 timed out after 2 s"]
    assert step._restarts == 0


def test_a_cell_that_ignores_the_interrupt_gets_a_new_kernel(tmp_path, caplog):
    outputs, lines, step = run_in_kernel([
        nbformat.v4.new_code_cell("x = 5"),
        nbformat.v4.new_code_cell("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                  "while True:\n    time.sleep(0.1)"),
        graded("print(x)", "test_a"),
    ], tmp_path, caplog, timeout=2, probe_timeout=2)
    why = "this cell ran past 2 s and ignored the interrupt; the kernel was restarted for the cells below"
    assert outputs == [[], [error("CellTimeoutError", why)], [stdout("5\n")]]
    assert lines == [f"[grading] alice/nb: cell 1: CellTimeoutError: {why}"]
    assert step._restarts == 1
