"""What the browser test needs around it: Debian's Chromium, and a JupyterLab of its own.

The student's client is JupyterLab in a browser, so the end-to-end test runs
exactly that: the kit's ``.venv`` JupyterLab on loopback, in a scratch copy of
the release, with Jupyter's and IPython's folders pointed at scratch ones so
that nothing of the host's configuration, kernels or workspaces leaks in; and
Debian's own Chromium, installed from Debian's packages when missing (never a
browser build downloaded by Playwright).
"""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from system_packages import ensure, free_port

from course_constants import ROOT

CHROMIUM = Path("/usr/bin/chromium")
#: Screenshots of the browser tests, for a person to look at (ignored by git).
ARTIFACTS = ROOT / "artifacts" / "browser"

# Quiet, reproducible, offline: no GPU, no QUIC, nothing fetched behind the page's back.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def ensure_chromium():
    """Return ``(path, None)`` when Chromium is ready, else ``(None, why)``: installed from
    Debian's packages when missing, after the CJK fonts it draws the translations with
    (``system_packages.DEPENDENCIES``)."""
    why = ensure("chromium")
    return (None, why) if why else (CHROMIUM, None)


# Settings a student's JupyterLab would not need, but a test does: every cell
# stays in the page (no virtual scrolling), so each one can be read; and no
# pop-ups (news, announcements) cover the notebook.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false", "checkForUpdates": False,
    },
}


class JupyterLab:
    """``jupyter lab`` from the interpreter running the tests, serving ``root``.

    All of Jupyter's and IPython's folders live under ``scratch``.  Use as a
    context manager: the server is up (``/api/status`` answers) on entry and
    stopped on exit, its log kept in ``scratch / "jupyter.log"``.
    """

    def __init__(self, root, scratch, token="gradient-checking-browser-test"):
        self.root = Path(root)
        self.scratch = Path(scratch)
        self.token = token
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.log_path = self.scratch / "jupyter.log"

    def environment(self):
        dirs = {name: self.scratch / name for name in
                ("config", "data", "runtime", "ipython", "settings", "workspaces", "home")}
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        self._write_settings(dirs["config"])
        keep = ("PATH", "LANG", "LC_ALL", "TZ", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "SYSTEMROOT")
        env = {k: os.environ[k] for k in keep if k in os.environ}
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        env.update(
            HOME=str(dirs["home"]),
            JUPYTER_CONFIG_DIR=str(dirs["config"]),
            JUPYTER_DATA_DIR=str(dirs["data"]),
            JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
            IPYTHONDIR=str(dirs["ipython"]),
            JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
            JUPYTER_PLATFORM_DIRS="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        return env

    @staticmethod
    def _write_settings(config_dir):
        import json

        for plugin, values in LAB_SETTINGS.items():
            package, name = plugin.split(":")
            folder = config_dir / "lab" / "user-settings" / package
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{name}.jupyterlab-settings").write_text(json.dumps(values))

    def __enter__(self):
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            # Offline: no news feed, no update check, no extension listing from PyPI.
            "--LabApp.news_url=", "--LabApp.extension_manager=readonly",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")  # CI and these machines run as root
        env = self.environment()
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in __exit__
        self.process = subprocess.Popen(
            command, cwd=self.root, env=env, stdout=self._log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        try:
            self._wait_until_up(timeout=120)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_until_up(self, timeout):
        deadline = time.monotonic() + timeout
        url = f"{self.base}/api/status?token={self.token}"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        raise TimeoutError(f"jupyter lab did not answer /api/status in {timeout} s:\n{self.log()}")

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def url(self, path, **query):
        from urllib.parse import urlencode

        return f"{self.base}/{path.lstrip('/')}?{urlencode(dict(query, token=self.token))}"

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        if getattr(self, "_log", None) is not None:
            self._log.close()
        return False


class Offline:
    """A request filter for a Playwright context: loopback and files only.

    The test machine reaches no web host, and a student's JupyterLab must not
    need one; every other request is aborted and remembered, so a test can
    say what a page tried to fetch.
    """

    def __init__(self, allowed_prefixes):
        self.allowed = tuple(allowed_prefixes)
        self.blocked = []

    def __call__(self, route):
        url = route.request.url
        if url.startswith(self.allowed):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()


# What a student sees of each cell, read from JupyterLab's DOM in notebook order.
READ_CELLS_JS = """
() => Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell'))
  .map((cell, index) => {
    const markdown = cell.querySelector('.jp-RenderedMarkdown');
    const prompt = cell.querySelector('.jp-InputPrompt');
    return {
      index,
      kind: cell.classList.contains('jp-CodeCell') ? 'code'
          : cell.classList.contains('jp-MarkdownCell') ? 'markdown' : 'raw',
      prompt: prompt ? prompt.innerText.trim() : '',
      outputs: Array.from(cell.querySelectorAll('.jp-OutputArea-output')).map(out => ({
        mime: out.dataset.mimeType || '', text: out.innerText,
      })),
      text: markdown ? markdown.innerText : '',
      displayMath: markdown ? markdown.querySelectorAll('mjx-container[display="true"]').length : 0,
      inlineMath: markdown ? markdown.querySelectorAll('mjx-container:not([display="true"])').length : 0,
      images: markdown ? Array.from(markdown.querySelectorAll('img')).map(img => ({
        src: img.getAttribute('src') || '', url: img.currentSrc || img.src, alt: img.alt,
        complete: img.complete, naturalWidth: img.naturalWidth, width: img.getBoundingClientRect().width,
      })) : [],
    };
  })
"""

# True once a "Run All" is over: nothing queued or running ([*]), the kernel
# idle, and either the last code cell has run or a cell shows a traceback
# (JupyterLab stops at the first error and un-queues the rest).
RUN_FINISHED_JS = """
() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return false;
  const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  if (indicator && indicator.dataset.status !== 'idle') return false;
  const code = Array.from(panel.querySelectorAll('.jp-Notebook .jp-CodeCell'));
  const prompts = code.map(c => c.querySelector('.jp-InputPrompt').innerText.trim());
  if (prompts.some(p => p.includes('*'))) return false;
  const failed = code.some(c => /Traceback \\(most recent call last\\)/.test(
      (c.querySelector('.jp-OutputArea') || {}).innerText || ''));
  return failed || /^\\[\\d+\\]:$/.test(prompts[prompts.length - 1]);
}
"""

TRACEBACK = "Traceback (most recent call last)"


class NotebookPage:
    """One notebook open in JupyterLab, driven the way a student would drive it:
    menus, clicks and the keyboard.  Every wait is on a condition of the page."""

    def __init__(self, page, lab, path, screenshots):
        self.page = page
        self.lab = lab
        self.path = path
        self.screenshots = Path(screenshots)

    def open(self, workspace, timeout=120_000):
        """Open the notebook in a workspace of its own, started afresh (``reset``),
        so no tab of an earlier page is restored beside it."""
        self.page.goto(self.lab.url(f"lab/workspaces/{workspace}/tree/{self.path}", reset=""))
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=timeout)
        self.wait_kernel_idle(timeout)
        return self

    def wait_kernel_idle(self, timeout=120_000):
        """The status bar says ``<kernel> | Idle``: the kernel is up and connected.
        (The toolbar's indicator says idle before a kernel even exists.)"""
        import re

        self.page.get_by_text(re.compile(r"\| Idle$")).first.wait_for(timeout=timeout)

    def menu(self, top, item, timeout=30_000):
        """Click ``top`` in the menu bar, then the entry labelled exactly ``item``."""
        import re

        self.page.locator("#jp-MainMenu .lm-MenuBar-itemLabel",
                          has_text=re.compile(rf"^{re.escape(top)}$")).click(timeout=timeout)
        self.page.locator(".lm-Menu .lm-Menu-itemLabel",
                          has_text=re.compile(rf"^{re.escape(item)}$")).click(timeout=timeout)

    def accept_dialog(self, timeout=30_000):
        self.page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click(timeout=timeout)
        self.page.locator(".jp-Dialog").wait_for(state="detached", timeout=timeout)

    def cells(self):
        return self.page.evaluate(READ_CELLS_JS)

    def cell(self, index):
        return self.page.locator(
            ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(index)

    def run_all(self, timeout=180_000):
        """Run → Run All Cells, and wait until the run is over; return the cells."""
        self.menu("Run", "Run All Cells")
        self.page.wait_for_function(RUN_FINISHED_JS, timeout=timeout, polling=250)
        return self.cells()

    def restart_and_run_all(self, timeout=180_000):
        """Run → Restart Kernel and Run All Cells…, confirmed; wait until the run is over."""
        self.menu("Run", "Restart Kernel and Run All Cells…")
        self.accept_dialog()
        self.page.wait_for_function(RUN_FINISHED_JS, timeout=timeout, polling=250)
        return self.cells()

    def replace_cell_source(self, index, code):
        """Click into the cell's editor, select all, and insert ``code`` as one
        input (no auto-indent or bracket closing on the way), then leave it."""
        editor = self.cell(index).locator(".cm-content")
        editor.scroll_into_view_if_needed()
        editor.click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.insert_text(code)
        self.page.keyboard.press("Escape")

    def save(self, timeout=30_000):
        """File → Save Notebook, and wait until the tab no longer shows unsaved changes."""
        self.menu("File", "Save Notebook")
        self.page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").wait_for(
            state="detached", timeout=timeout)

    def shot(self, name, index=None, inner=None):
        """A screenshot into the artifacts folder: the window, one cell, or the
        ``inner`` selector's element (e.g. a figure) inside that cell."""
        self.screenshots.mkdir(parents=True, exist_ok=True)
        target = self.screenshots / f"{name}.png"
        if index is None:
            self.page.screenshot(path=str(target))
            return target
        element = self.cell(index)
        if inner is not None:
            element = element.locator(inner).first
        element.scroll_into_view_if_needed()
        element.screenshot(path=str(target))
        return target
