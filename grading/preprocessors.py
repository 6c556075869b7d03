"""nbgrader preprocessors that make autograding fair, robust and confined.

Plain nbgrader 0.9.6 scores 0 a test cell that writes a warning to stderr,
loses a whole submission when the kernel dies or ignores an interrupt, runs
student code with the grader's rights, keeps output by lines not bytes, and
shows hidden tests in feedback.  Each class here fixes one of those and is
switched on by ``nbgrader_config.py``, so ``nbgrader autograde`` and anything
built on nbgrader's ``Autograde`` get them:

* ``TolerantNotebookExporter``: a file that is not a notebook becomes an empty
  notebook with a note, so the submission scores 0 instead of aborting;
* ``RemoveShadowingFiles``: deletes submitted files that would be imported in
  place of numpy or of the course's helper modules;
* ``GuardedExecute``: runs the kernel in the sandbox with resource limits,
  restores numpy/builtins before each test cell, and when a cell kills or
  hangs the kernel, restarts it, replays the cells before and goes on;
* ``LimitOutputBytes``: caps what each cell keeps, in bytes;
* ``FairStreams``: stderr text in a test cell (a warning) is not a failure;
* ``ScoreDeletedCells``: a test cell missing from the submission scores 0;
* ``HideTestTracebacks``: feedback shows the failed check's message only.

Every problem is logged once as ``[grading] <student>: <what happened>``.
"""

import ast
import json
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path
from time import monotonic

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbconvert.exporters import NotebookExporter
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearHiddenTests, Execute, NbGraderPreprocessor
from traitlets import Enum, Integer

from grading import sandbox
from grading.cells import grade_id, is_graded

GUARD_SCRIPT = Path(__file__).resolve().parent / "kernel_guard.py"
_warned_unsandboxed = []


def _who(resources):
    info = resources.get("nbgrader", {})
    return f"{info.get('student', '?')}/{info.get('notebook', '?')}"


def _report(log, resources, message):
    log.warning("[grading] %s: %s", _who(resources), message)


def _error(ename, evalue):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue,
                                  traceback=[f"{ename}: {evalue}"])


# --- reading -------------------------------------------------------------------------------

def placeholder_notebook(reason):
    """What a file that is not a notebook is graded as: no cells to pass."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_markdown_cell(
        "**This submission could not be read as a notebook**, so none of its tests could run "
        f"and every graded cell scores 0.\n\nReason: `{reason}`"))
    return notebook


def _notebook_problem(notebook):
    """Why ``notebook`` cannot be graded, or None."""
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return "no list of cells"
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            return f"cell {index} is not a notebook cell"
        if not isinstance(cell.get("source", ""), (str, list)):
            return f"cell {index} has no text source"
    return None


class TolerantNotebookExporter(NotebookExporter):
    """The notebook exporter nbgrader uses, except that invalid JSON, or JSON
    that is not a notebook, is replaced by ``placeholder_notebook``: nbgrader
    would otherwise stop on the exception, delete the student's autograded
    folder and leave every grade waiting for manual grading."""

    def from_file(self, file_stream, resources=None, **kw):
        name = getattr(file_stream, "name", "notebook")
        try:
            text = file_stream.read()
            notebook = nbformat.reads(text, as_version=4)
            problem = _notebook_problem(notebook)
        except Exception as error:  # any reason at all: the batch must go on
            problem = f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
        if problem is not None:
            self.log.warning("[grading] %s: not a readable notebook (%s); every graded cell scores 0",
                             name, problem)
            notebook = placeholder_notebook(problem)
        return self.from_notebook_node(notebook, resources=resources, **kw)


# --- the submission folder -----------------------------------------------------------------

def source_modules(config, assignment):
    """Names of the Python modules the instructor ships in ``source/<assignment>``."""
    coursedir = CourseDirectory(config=config)
    folder = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
    return sorted(path.stem for path in folder.glob("*.py"))


def library_names():
    """Top-level names importable from the grader's Python: stdlib and site-packages."""
    import pkgutil

    names = set(sys.stdlib_module_names) | set(sys.builtin_module_names)
    names |= {module.name for module in pkgutil.iter_modules()}
    return names | {"sitecustomize", "usercustomize"}


class RemoveShadowingFiles(NbGraderPreprocessor):
    """Delete submitted files that Python would import instead of the real module.

    nbgrader copies the instructor's ``gc_utils.py`` over the student's, but a
    package folder ``gc_utils/`` beside it wins the import, and so would a
    ``numpy.py``, compiled ``.so`` files, stale bytecode or ``.pth`` files.
    The autograded copy of the folder loses them (``submitted/`` is untouched).
    """

    def preprocess(self, nb, resources):
        folder = Path(resources.get("metadata", {}).get("path") or ".")
        ours = set(source_modules(self.config, resources["nbgrader"]["assignment"]))
        protected = library_names() | ours
        for entry in sorted(folder.iterdir()):
            name = entry.name.split(".")[0]
            if entry.is_file() and entry.suffix == ".py" and name in ours:
                continue  # the instructor's copy, placed by nbgrader
            importable = entry.is_dir() or entry.suffix in (".py", ".pyc", ".pyd", ".so", ".pth")
            if not importable:
                continue  # data files (even test.csv) are never imported
            if not (name in protected or entry.name == "__pycache__"
                    or entry.suffix in (".pth", ".so", ".pyc", ".pyd")):
                continue
            _report(self.log, resources, f"removed submitted {entry.name!r}: it would be imported "
                    "in place of a course or library module")
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        return nb, resources


# --- executing -----------------------------------------------------------------------------

class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel command goes through ``kernel_guard.py``
    and, when ``grading_sandboxed`` is set, through bubblewrap."""

    grading_env = {}
    grading_sandboxed = False
    grading_private_dir = None

    def format_kernel_cmd(self, extra_arguments=None):
        command = super().format_kernel_cmd(extra_arguments)
        if command[1:3] == ["-m", "ipykernel_launcher"]:
            command = [command[0], str(GUARD_SCRIPT), self.grading_env["GC_GRADER_TOKEN_FILE"],
                       *command[3:]]
        # Interrupt by message: ipykernel signals itself, which works through bwrap.
        self.kernel_spec.interrupt_mode = "message"
        if not self.grading_sandboxed:
            return command
        workdir = self._launch_args.get("cwd") or os.getcwd()
        return sandbox.wrap(command, workdir, self.grading_env,
                            readonly_files=[os.path.realpath(self.connection_file), str(GUARD_SCRIPT)],
                            writable_dirs=[self.grading_private_dir])


class GuardedExecute(Execute):
    """nbgrader's Execute, made to survive what student code does to a kernel.

    * The kernel runs in ``grading.sandbox`` (``sandbox = "auto"``: when
      possible, with one loud warning when not; ``"required"``: refuse to run
      unsandboxed; ``"off"``) with limits on memory, CPU time and file size.
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
        self._private_dirs.append(self._private)
        return km

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
        assignment = self._resources.get("nbgrader", {}).get("assignment")
        self._helpers = source_modules(self.config, assignment) if assignment else []
        self._private_dirs, self._replay, self._fatal = [], [], set()
        self._restarts, self._given_up = 0, False
        self._collected = {}
        try:
            return super().preprocess(nb, resources, km)
        finally:
            for folder in self._private_dirs:
                shutil.rmtree(folder, ignore_errors=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if self._given_up:
            cell.outputs = [_error("NotRun", "not run: the kernel died or hung too often in cells above")]
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
            cell.outputs.append(_error("CellTimeoutError", f"this cell ran past {self.timeout} s"))
        timed_out = any(o.output_type == "error" and o.get("ename") == "CellTimeoutError"
                        for o in cell.outputs)
        if timed_out and self._quiet("", self.probe_timeout) is None:
            self._fail(cell, index, resources, "CellTimeoutError",
                       f"this cell ran past {self.timeout} s and ignored the interrupt; the kernel "
                       "was restarted for the cells below")
            return cell, resources
        if timed_out:
            _report(self.log, resources, f"cell {grade_id(cell) or index} timed out after {self.timeout} s")
        self._replay.append(index)
        return cell, resources

    def _fail(self, cell, index, resources, ename, evalue):
        cell.outputs = [o for o in cell.outputs if o.output_type != "error"]
        cell.outputs.append(_error(ename, evalue))
        self._fatal.add(index)
        _report(self.log, resources, f"cell {grade_id(cell) or index}: {ename}: {evalue}")
        self._restart(resources)

    # kernel restarts ------------------------------------------------------------------------

    def _restart(self, resources):
        """A fresh kernel with the state of the cells that ran fine, or give up."""
        while not self._given_up:
            self._restarts += 1
            if self._restarts > self.max_restarts:
                self._given_up = True
                _report(self.log, resources, "kernel restarted too often; the remaining cells are not run")
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
                _report(self.log, resources,
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
            _report(self.log, resources, "the grader's guard was removed from the kernel by student code")
            return True
        try:
            restored = ast.literal_eval(result["data"]["text/plain"])
        except (KeyError, ValueError, SyntaxError, TypeError):
            _report(self.log, resources, "the grader's guard answered in a form student code had changed")
            return True
        if restored:
            _report(self.log, resources, "student code had replaced " + ", ".join(restored)
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


# --- after execution -----------------------------------------------------------------------

def _utf8_prefix(text, limit):
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:max(limit, 0)].decode("utf-8", "ignore")


class LimitOutputBytes(NbGraderPreprocessor):
    """Keep at most ``max_bytes`` of output per cell (nbgrader's LimitOutput
    counts lines, and one 20 MB line is one line)."""

    max_bytes = Integer(64 * 1024, help="Output bytes kept per code cell").tag(config=True)
    note = "\n... output truncated: {} bytes not kept ...\n"

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        budget, kept, dropped = self.max_bytes, [], 0
        for output in cell.outputs:
            size = len(json.dumps(output, ensure_ascii=False).encode("utf-8"))
            if size <= budget:
                kept.append(output)
                budget -= size
                continue
            dropped += size
            if output.output_type == "stream" and budget > 200:
                output.text = _utf8_prefix(output.text, budget - 200)
                kept.append(output)
                budget = 0
            elif output.output_type == "error":
                kept.append(_error(output.ename, _utf8_prefix(str(output.evalue), 1000)))
                budget = max(0, budget - 1200)
        if dropped:
            kept.append(nbformat.v4.new_output("stream", name="stdout", text=self.note.format(dropped)))
            _report(self.log, resources,
                    f"cell {grade_id(cell) or index}: output cut to {self.max_bytes} bytes")
        cell.outputs = kept
        return cell, resources


class FairStreams(NbGraderPreprocessor):
    """Text on stderr in a test cell is output, not a failure.

    nbgrader gives 0 to a test cell with any stderr output, so a correct
    solution that calls ``warnings.warn`` would lose its points.  Exceptions
    are ``error`` outputs and still fail the cell; only the stream is renamed."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and is_graded(cell):
            for output in cell.outputs:
                if output.output_type == "stream" and output.name == "stderr":
                    output.name = "stdout"
        return cell, resources


class ScoreDeletedCells(NbGraderPreprocessor):
    """A test cell deleted from the submission scores 0.

    nbgrader 0.9.6 leaves such a grade with no score, flagged for manual
    grading; here it gets an automatic 0 and a note at the end of the notebook.
    Runs after SaveAutoGrades."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        present = {grade_id(cell) for cell in nb.cells}
        missing = []
        with Gradebook(info["db_url"]) as gradebook:
            try:
                notebook = gradebook.find_submission_notebook(
                    info["notebook"], info["assignment"], info["student"])
            except MissingEntry:
                return nb, resources
            for grade in notebook.grades:
                if grade.name not in present:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
                    missing.append(grade.name)
            gradebook.db.commit()
        if missing:
            _report(self.log, resources, "graded cells missing from the submission score 0: "
                    + ", ".join(sorted(missing)))
            nb.cells.append(nbformat.v4.new_markdown_cell(
                "**Graded cells missing from this submission** (0 points each): "
                + ", ".join(f"`{name}`" for name in sorted(missing))))
        return nb, resources


class HideHiddenTests(ClearHiddenTests):
    """nbgrader's ClearHiddenTests for feedback, on test cells only.

    Test cells are restored from the gradebook, so their markers are sound;
    an answer cell may contain the marker text (on purpose or not), and
    ClearHiddenTests would stop the student's whole feedback on it."""

    def preprocess_cell(self, cell, resources, index):
        if not utils.is_grade(cell) or utils.is_solution(cell):
            return cell, resources
        return super().preprocess_cell(cell, resources, index)


class HideTestTracebacks(NbGraderPreprocessor):
    """In feedback, a failed test cell shows its error type and message only.

    A traceback quotes the lines around the failing assertion, which for a
    hidden test are the hidden test itself."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and utils.is_grade(cell):
            for output in cell.outputs:
                if output.output_type == "error":
                    message = f"{output.ename}: {output.evalue}" if output.evalue else output.ename
                    output.traceback = [message]
        return cell, resources


__all__ = [
    "TolerantNotebookExporter", "RemoveShadowingFiles", "SandboxKernelManager", "GuardedExecute",
    "LimitOutputBytes", "FairStreams", "ScoreDeletedCells", "HideHiddenTests", "HideTestTracebacks",
]
