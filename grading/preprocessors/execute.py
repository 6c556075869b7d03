"""Running a submission: sandboxed, limited, guarded, and restarted when a
cell kills or hangs the kernel."""

import ast
import json
import os
import shutil
import stat
import tempfile
import uuid
from pathlib import Path
from time import monotonic

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbgrader.preprocessors import Execute
from traitlets import Enum, Integer

from grading import pids, sandbox
from grading.cells import grade_id, is_graded
from grading.preprocessors.common import error_output, report, who
from grading.preprocessors.shadowing import source_modules

GUARD_SCRIPT = Path(__file__).resolve().parent.parent / "kernel_guard.py"
# Owner of a sandboxed kernel's socket folder once its sockets exist (grading as
# root): not the kernel's uid, so the kernel can neither write there nor chmod it back.
SOCKETS_OWNER = 65534
_warned_unsandboxed = []
_warned_uncapped = []


def seed_entries(folder):
    """What the sandboxed kernel finds in its working folder: the regular files
    and folders nbgrader put in ``folder``, except the notebooks (the one being
    graded holds the hidden tests)."""
    entries = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        mode = os.lstat(path).st_mode
        if name.endswith(".ipynb") or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            continue
        entries.append(path)
    return entries


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel command goes through ``kernel_guard.py``
    and, when ``grading_sandboxed`` is set, through bubblewrap."""

    grading_env = {}
    grading_sandboxed = False
    grading_private_dir = None
    grading_workdir_bytes = None
    grading_cap = None       # a grading.pids.ProcessCap, when the grader could make one

    def format_kernel_cmd(self, extra_arguments=None):
        command = super().format_kernel_cmd(extra_arguments)
        if command[1:3] == ["-m", "ipykernel_launcher"]:
            command = [command[0], str(GUARD_SCRIPT), self.grading_env["GC_GRADER_TOKEN_FILE"],
                       *command[3:]]
        # Interrupt by message: ipykernel signals itself, which works through bwrap.
        self.kernel_spec.interrupt_mode = "message"
        if self.grading_sandboxed:
            command = self._wrap_in_sandbox(command)
        if self.grading_cap is not None:
            command = self.grading_cap.command(command)
        return command

    def _wrap_in_sandbox(self, command):
        """``command`` in bubblewrap.  The private folder (token, sockets) is bound at
        ``sandbox.SOCKETS_DIR``, outside the kernel's /tmp and working folder, and the
        kernel reads a copy of its connection file that says so: once its sockets
        exist, the kernel may write beneath those two only (``kernel_guard.confine_writes``),
        wherever the grader's own temporary folder is."""
        workdir = os.path.realpath(self._launch_args.get("cwd") or os.getcwd())
        private, inner = self.grading_private_dir, sandbox.SOCKETS_DIR

        def inside(text):
            return inner + text[len(private):] if text.startswith(private + os.sep) else text

        info = json.loads(Path(self.connection_file).read_text())
        info["ip"] = inside(info["ip"])
        Path(private, "connection.json").write_text(json.dumps(info))
        command = [f"{inner}/connection.json" if arg == self.connection_file else inside(arg)
                   for arg in command]
        env = {name: value for name, value in self.grading_env.items() if name != "GC_GRADER_TOKEN_FILE"}
        env["GC_GRADER_WRITABLE"] = os.pathsep.join([workdir, "/tmp", "/dev"])
        return sandbox.wrap(command, workdir, env, readonly_files=[str(GUARD_SCRIPT)],
                            writable_dirs={private: inner}, seed=seed_entries(workdir),
                            workdir_bytes=self.grading_workdir_bytes)

    async def _async_cleanup_resources(self, restart=False):
        # Whatever the kernel left running dies with it, before anything else starts.
        try:
            await super()._async_cleanup_resources(restart=restart)
        finally:
            if self.grading_cap is not None:
                self.grading_cap.close()

    cleanup_resources = _async_cleanup_resources


class GuardedExecute(Execute):
    """nbgrader's Execute, made to survive what student code does to a kernel.

    * The kernel runs in ``grading.sandbox`` (``sandbox = "auto"``: when
      possible, with one loud warning when not; ``"required"``: refuse to run
      unsandboxed; ``"off"``) with limits on memory, CPU time, file size, and
      what it may write in all (``disk_limit``, a tmpfs for its folder).
    * It and everything it starts may hold at most ``process_limit`` processes
      and threads (``grading.pids``: a pids cgroup per kernel, or, grading as a
      user other than root in the sandbox's user namespace, RLIMIT_NPROC; one
      loud warning when neither works, ``process_cap = "required"`` to refuse);
      all of them are killed when the kernel is shut down or replaced.
    * Before each test cell, numpy, math and builtins are put back as they
      were when the kernel started (see ``kernel_guard.py``).
    * When a cell kills the kernel, or hangs past the timeout and ignores the
      interrupt, the cell gets an error output saying so, a new kernel is
      started, the cells that ran before are run again (outputs discarded),
      and grading goes on with the next cell.
    * At most ``max_cell_bytes`` of output per cell is even collected.
    """

    sandbox = Enum(["auto", "required", "off"], "auto",
                   help="Run the kernel in bubblewrap: when possible, always, or never.").tag(config=True)
    memory_limit = Integer(2 * 1024 ** 3, help="Address-space limit of the kernel, bytes").tag(config=True)
    cpu_limit = Integer(600, help="CPU seconds one kernel may use").tag(config=True)
    file_size_limit = Integer(64 * 1024 ** 2, help="Largest file the kernel may write, bytes").tag(
        config=True)
    disk_limit = Integer(
        128 * 1024 ** 2, help="Bytes the sandboxed kernel may keep in its working folder in all "
        "(a tmpfs, so memory; the submission's own files count)").tag(config=True)
    process_limit = Integer(
        64, help="Processes and threads one kernel and its children may hold at once").tag(config=True)
    process_cap = Enum(["auto", "required", "off"], "auto",
                       help="Cap processes: when possible, always, or never.").tag(config=True)
    max_restarts = Integer(4, help="Kernel restarts per notebook before the rest is skipped").tag(
        config=True)
    probe_timeout = Integer(10, help="Seconds a kernel has to answer the grader between cells").tag(
        config=True)
    max_cell_bytes = Integer(1024 ** 2, help="Output bytes collected per cell").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(*args, **kwargs)

    # kernel start-up ------------------------------------------------------------------------

    def _sandboxed(self):
        if self.sandbox == "off":
            return False
        ok, why = sandbox.available()
        if ok:
            return True
        if self.sandbox == "required":
            raise RuntimeError(f"the grading sandbox is required but cannot start: {why}")
        if not _warned_unsandboxed:
            _warned_unsandboxed.append(why)
            self.log.warning(
                "[grading] *** AUTOGRADING RUNS UNSANDBOXED: %s. Student code can read source/, "
                "write the gradebook and other students' folders, and use the network. ***", why)
        return False

    def _process_cap_mode(self):
        """How the kernel's processes are capped here: "cgroup", "rlimit" or None."""
        if self.process_cap == "off":
            return None
        try:
            pids.available()
            return "cgroup"
        except pids.Unavailable as error:
            why = str(error)
        if self._is_sandboxed and os.geteuid() != 0:
            return "rlimit"   # counted per user namespace: per kernel
        why += ("; RLIMIT_NPROC is not enforced for root" if os.geteuid() == 0 else
                "; RLIMIT_NPROC needs the sandbox's own user namespace")
        if self.process_cap == "required":
            raise RuntimeError(f"a process cap is required but cannot be set: {why}")
        if not _warned_uncapped:
            _warned_uncapped.append(why)
            self.log.warning("[grading] *** KERNEL PROCESSES ARE NOT CAPPED: %s. A fork bomb in a "
                             "submission can exhaust this machine. ***", why)
        return None

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        self._token = "_grader_" + uuid.uuid4().hex
        self._private = tempfile.mkdtemp(prefix="gc-kernel-")
        token_file = os.path.join(self._private, "token")
        with open(token_file, "w") as handle:
            handle.write(self._token)
        km.grading_sandboxed = self._is_sandboxed
        km.grading_private_dir = self._private
        km.grading_env = {
            "GC_GRADER_TOKEN_FILE": token_file,
            "GC_GRADER_PRELOAD": ",".join(self._helpers),
            "GC_GRADER_LIMIT_AS": str(self.memory_limit),
            "GC_GRADER_LIMIT_CPU": str(self.cpu_limit),
            "GC_GRADER_LIMIT_FSIZE": str(self.file_size_limit),
        }
        if self._is_sandboxed:
            # Unix sockets in a folder shared with the sandbox: no network needed.
            km.transport = "ipc"
            km.ip = os.path.join(self._private, "kernel")
            km.grading_workdir_bytes = self.disk_limit
            # Counted per user namespace (the sandbox's own); not enforced for root.
            km.grading_env["GC_GRADER_LIMIT_NPROC"] = str(self.process_limit)
        if self._cap_mode == "cgroup":
            try:
                km.grading_cap = pids.ProcessCap.create(self.process_limit)
                self._caps.append(km.grading_cap)
            except OSError as error:   # the hierarchy was there a moment ago: say so, go on
                if self.process_cap == "required":
                    raise
                report(self.log, self._resources, f"*** no process cap for this kernel: {error} ***")
        self._private_dirs.append(self._private)
        return km

    async def async_start_new_kernel_client(self):
        client = await super().async_start_new_kernel_client()
        if self._is_sandboxed and os.geteuid() == 0:
            # The sockets exist now: the kernel needs no more room in its socket folder.
            os.chown(self._private, SOCKETS_OWNER, SOCKETS_OWNER)
            os.chmod(self._private, 0o555)
        return client

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    async def async_start_new_kernel(self, **kwargs):
        if not self._is_sandboxed:
            kwargs.setdefault("env", {**os.environ, **self.km.grading_env})
        return await super().async_start_new_kernel(**kwargs)

    start_new_kernel = run_sync(async_start_new_kernel)

    # the notebook ---------------------------------------------------------------------------

    def preprocess(self, nb, resources=None, km=None):
        self._resources = resources or {}
        if not any(c.cell_type == "code" and c.source.strip() for c in nb.cells):
            return nb, resources
        self._is_sandboxed = self._sandboxed()
        self._cap_mode = self._process_cap_mode()
        self._caps = []
        assignment = self._resources.get("nbgrader", {}).get("assignment")
        self._helpers = source_modules(self.config, assignment) if assignment else []
        self._private_dirs, self._replay, self._fatal = [], [], set()
        self._restarts, self._given_up = 0, False
        self._collected = {}
        self._disk_full_reported = False
        try:
            return super().preprocess(nb, resources, km)
        finally:
            for folder in self._private_dirs:
                shutil.rmtree(folder, ignore_errors=True)
            self._report_caps(resources)

    def _report_caps(self, resources):
        for cap in self._caps:
            killed = cap.close()
            if cap.peak_at_close is not None:
                self.log.info("[grading] %s: the kernel held at most %d of its %d processes and threads",
                              who(resources), cap.peak_at_close, cap.limit)
            if cap.refused_at_close:
                report(self.log, resources, f"the kernel reached its cap of {cap.limit} processes and "
                       f"threads: {cap.refused_at_close} more were refused")
            if killed:
                report(self.log, resources, f"killed {killed} processes the kernel left running")

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if self._given_up:
            cell.outputs = [error_output(
                "NotRun", "not run: the kernel died or hung too often in cells above")]
            return cell, resources
        if is_graded(cell) and not self._guard(resources):
            self._restart(resources)
            if self._given_up:
                return self.preprocess_cell(cell, resources, index)
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._fail(cell, index, resources, "KernelDied",
                       "the kernel stopped while this cell ran (os._exit, a crash or the memory "
                       "limit); it was restarted for the cells below")
            return cell, resources
        except CellTimeoutError:
            # The reply came, the kernel's "idle" did not: nbclient gives up on the cell.
            cell.outputs.append(error_output("CellTimeoutError", f"this cell ran past {self.timeout} s"))
        self._report_disk_full(cell, index, resources)
        timed_out = any(o.output_type == "error" and o.get("ename") == "CellTimeoutError"
                        for o in cell.outputs)
        if timed_out and self._quiet("", self.probe_timeout) is None:
            self._fail(cell, index, resources, "CellTimeoutError",
                       f"this cell ran past {self.timeout} s and ignored the interrupt; the kernel "
                       "was restarted for the cells below")
            return cell, resources
        if timed_out:
            report(self.log, resources, f"cell {grade_id(cell) or index} timed out after {self.timeout} s")
        self._replay.append(index)
        return cell, resources

    def _report_disk_full(self, cell, index, resources):
        """One line when the notebook's writes met the disk cap (as far as its output shows)."""
        if self._disk_full_reported or not self._is_sandboxed:
            return
        text = " ".join(str(o.get("text", "")) + str(o.get("evalue", "")) for o in cell.outputs)
        if "No space left on device" in text:
            self._disk_full_reported = True
            report(self.log, resources, f"cell {grade_id(cell) or index}: No space left on device: the "
                   f"notebook reached its disk cap ({self.disk_limit // 1024 ** 2} MiB in its folder, "
                   f"{sandbox.TMP_BYTES // 1024 ** 2} MiB in /tmp, {sandbox.SHM_BYTES // 1024 ** 2} MiB "
                   "in /dev/shm)")

    def _fail(self, cell, index, resources, ename, evalue):
        cell.outputs = [o for o in cell.outputs if o.output_type != "error"]
        cell.outputs.append(error_output(ename, evalue))
        self._fatal.add(index)
        report(self.log, resources, f"cell {grade_id(cell) or index}: {ename}: {evalue}")
        self._restart(resources)

    # kernel restarts ------------------------------------------------------------------------

    def _restart(self, resources):
        """A fresh kernel with the state of the cells that ran fine, or give up."""
        while not self._given_up:
            self._restarts += 1
            if self._restarts > self.max_restarts:
                self._given_up = True
                report(self.log, resources, "kernel restarted too often; the remaining cells are not run")
                return
            self.shutdown_kernel = "immediate"  # it is dead or deaf: no graceful shutdown
            self._cleanup_kernel()
            self.km = self.create_kernel_manager()
            self.start_new_kernel()
            self.start_new_kernel_client()
            if self._replay_cells(resources):
                return

    def _replay_cells(self, resources):
        for index in list(self._replay):
            cell = self.nb.cells[index]
            if is_graded(cell):
                self._guard(resources)
            if self._quiet(cell.source, self.timeout) is None:
                self._fatal.add(index)
                self._replay.remove(index)
                report(self.log, resources,
                        f"cell {grade_id(cell) or index} hung or died when run again; dropped from replay")
                return False
        return True

    # talking to the kernel ------------------------------------------------------------------

    def _guard(self, resources):
        """Restore numpy and builtins in the kernel; False if it does not answer."""
        reply = self._quiet("", self.probe_timeout, {"restored": f"{self._token}()"})
        if reply is None:
            return False
        result = reply["content"].get("user_expressions", {}).get("restored", {})
        if result.get("status") != "ok":
            report(self.log, resources, "the grader's guard was removed from the kernel by student code")
            return True
        try:
            restored = ast.literal_eval(result["data"]["text/plain"])
        except (KeyError, ValueError, SyntaxError, TypeError):
            report(self.log, resources, "the grader's guard answered in a form student code had changed")
            return True
        if restored:
            report(self.log, resources, "student code had replaced " + ", ".join(restored)
                    + "; restored before the test cell")
        return True

    async def _async_quiet(self, code, timeout, user_expressions=None):
        """Run ``code`` without recording it; the reply, or None if the kernel
        died or did not answer within ``timeout`` seconds."""
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False,
                                 user_expressions=user_expressions or {}, stop_on_error=False)
        deadline = monotonic() + timeout
        while monotonic() < deadline:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=1))
            except Exception:  # queue.Empty: check the kernel is still there
                if not await ensure_async(self.km.is_alive()):
                    return None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg
        return None

    _quiet = run_sync(_async_quiet)

    # bounded collection ---------------------------------------------------------------------

    def output(self, outs, msg, display_id, cell_index):
        used = self._collected.get(cell_index, 0)
        content = msg.get("content", {})
        size = len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values())
        if used >= self.max_cell_bytes and msg["msg_type"] in ("stream", "display_data", "execute_result"):
            return None
        self._collected[cell_index] = used + size
        if "text" in content and size > self.max_cell_bytes:
            content["text"] = content["text"][: self.max_cell_bytes]
        return super().output(outs, msg, display_id, cell_index)
