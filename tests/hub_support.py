"""Driving the course hub as its people do: a browser each, JupyterLab's menus,
nbgrader's *Assignment List* panel and the formgrader's buttons.

Each person gets a browser context of their own (their own cookies), logs in
through the hub's login form and works in the JupyterLab the hub started for
them as their Unix user.  Notebook editing reuses ``browser_support.NotebookPage``.
"""

import json
import re
import time
from pathlib import Path

from browser_support import LAB_SETTINGS, NotebookPage

from course_constants import ASSIGNMENT, NOTEBOOK
from deploy.hub.accounts import write_as


def write_lab_settings(layout, user):
    """The browser test's JupyterLab settings (every cell kept in the page, no pop-ups),
    written into the user's own settings as that user: a preference, not a hub setting."""
    for plugin, values in LAB_SETTINGS.items():
        package, name = plugin.split(":")
        write_as(layout, user, f".jupyter/lab/user-settings/{package}/{name}.jupyterlab-settings",
                 json.dumps(values))


class Person:
    """One user of the hub in a browser context of their own."""

    def __init__(self, browser, layout, user, screenshots):
        self.layout = layout
        self.user = user
        self.screenshots = Path(screenshots)
        self.context = browser.new_context(viewport={"width": 1280, "height": 1000})
        self.context.set_default_timeout(60_000)
        self.page = self.context.new_page()
        self.server = f"{layout.url}/user/{user}"

    def close(self):
        self.context.close()

    def shot(self, name, page=None):
        self.screenshots.mkdir(parents=True, exist_ok=True)
        (page or self.page).screenshot(path=str(self.screenshots / f"{name}.png"))

    # ---------------------------------------------------------------- JupyterLab

    def login(self, step):
        page = self.page
        page.goto(f"{self.layout.url}/hub/login")
        page.fill("#username_input", self.user)
        page.fill("#password_input", self.layout.passwords[self.user])
        self.shot(f"{step}_login")
        page.click("#login_submit")
        # The hub starts the server as this Unix user, then JupyterLab loads.
        page.wait_for_selector("#jp-MainMenu .lm-MenuBar-itemLabel >> text=Nbgrader", timeout=180_000)
        page.locator(".jp-DirListing-content").first.wait_for(timeout=120_000)
        assert page.url.startswith(self.server + "/lab"), page.url
        self.shot(f"{step}_lab")

    def menu_items(self, top, expect, timeout=60.0):
        """The labels of the visible entries of a menu of the menu bar, once ``expect`` is
        among them: plugins add their entries while JupyterLab starts."""
        page = self.page
        deadline = time.monotonic() + timeout
        while True:
            page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=re.compile(rf"^{top}$")).click()
            menu = page.locator(".lm-Menu").last
            menu.wait_for()
            labels = [label.strip() for label in menu.locator(".lm-Menu-item:visible .lm-Menu-itemLabel")
                      .all_inner_texts() if label.strip()]
            if expect in labels or time.monotonic() > deadline:
                return labels
            self.close_menu()
            page.wait_for_timeout(500)

    def disabled_extensions(self):
        """What the server told this JupyterLab not to load (its page configuration)."""
        return self.page.evaluate(
            "() => JSON.parse(document.getElementById('jupyter-config-data').textContent)"
            ".disabledExtensions || []")

    def close_menu(self):
        self.page.keyboard.press("Escape")
        self.page.locator(".lm-Menu").wait_for(state="detached")

    def menu(self, top, item):
        self.menu_items(top, item)
        self.page.locator(".lm-Menu .lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(item)}$")).click()

    # ---------------------------------------------------------------- the Assignment List

    def open_assignment_list(self):
        self.menu("Nbgrader", "Assignment List")
        self.page.locator("#course_list_default").filter(
            has_not_text="Loading").wait_for(timeout=60_000)
        self.page.locator("#released_assignments_list_loading").wait_for(state="hidden")

    def show_assignment_list(self):
        self.page.locator(".lm-TabBar-tab", has_text="Assignments").first.click()
        self.page.locator("#refresh_assignments_list").click()
        self.page.locator("#released_assignments_list_loading").wait_for(state="hidden")

    def row(self, section):
        return self.page.locator(f"#{section}_assignments_list > .list_item", has_text=ASSIGNMENT)

    def fetch(self):
        self.row("released").locator("button", has_text="Fetch").click()
        self.row("fetched").wait_for(timeout=60_000)

    def open_notebook(self):
        """Expand the downloaded assignment and open its notebook from the panel."""
        row = self.row("fetched")
        row.locator("a.assignment-notebooks-link").click()
        row.locator(".assignment-notebooks a", has_text=NOTEBOOK).click()
        self.page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell",
                                    timeout=120_000)
        notebook = NotebookPage(self.page, None, f"{ASSIGNMENT}/{NOTEBOOK}.ipynb", self.screenshots)
        notebook.wait_kernel_idle()
        return notebook

    def submit(self):
        self.show_assignment_list()
        self.row("fetched").locator("button", has_text="Submit").click()
        self.row("submitted").wait_for(timeout=60_000)

    def fetch_feedback(self):
        """Fetch the released feedback and open it from the file browser, as the panel's
        *(view feedback)* link leads to; the text the feedback page shows."""
        self.show_assignment_list()
        row = self.row("submitted")
        row.get_by_text("feedback available to fetch").wait_for()
        row.locator("button", has_text="Fetch Feedback").click()
        link = self.row("submitted").get_by_text("(view feedback)")
        link.wait_for(timeout=60_000)
        link.click()  # the file browser goes to the feedback's folder: open the page there
        self.page.locator(".jp-DirListing-item", has_text=f"{NOTEBOOK}.html").dblclick()
        frame = self.page.frame_locator(".jp-HTMLViewer:not(.lm-mod-hidden) iframe")
        heading = frame.locator("h4", has_text=f"{NOTEBOOK} (Score:")
        heading.wait_for(timeout=60_000)
        return frame.locator("body").inner_text()

    # ---------------------------------------------------------------- a terminal

    def run_in_terminal(self, command):
        """File > New > Terminal, then type ``command`` and Enter, as a person would."""
        page = self.page
        page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=re.compile("^File$")).click()
        page.locator(".lm-Menu .lm-Menu-itemLabel", has_text=re.compile("^New$")).hover()
        page.locator(".lm-Menu .lm-Menu-itemLabel", has_text=re.compile("^Terminal$")).click()
        terminal = page.locator(".jp-Terminal:visible .xterm")
        terminal.wait_for(timeout=60_000)
        page.locator(".jp-Terminal:visible .xterm-helper-textarea").focus()
        page.wait_for_timeout(1000)  # the shell's prompt: keys typed before it are lost
        page.keyboard.type(command)
        page.keyboard.press("Enter")

    # ---------------------------------------------------------------- the formgrader

    def formgrader(self, path):
        """The formgrader in a browser tab of its own: JupyterHub (>= 4.1) forbids the
        iframe JupyterLab would show it in, as nbgrader's documentation says."""
        page = self.context.new_page()
        page.goto(f"{self.server}/formgrader/{path}")
        page.wait_for_selector("table tbody tr", timeout=60_000)
        return page

    @staticmethod
    def click_for_modal(page, locator, timeout=300_000):
        """Click a formgrader button and return (title, text) of the dialog it opens, then close it."""
        locator.click()
        modal = page.locator(".modal.in")
        modal.locator(".modal-title").wait_for(timeout=timeout)
        title = modal.locator(".modal-title").inner_text().strip()
        text = modal.locator(".modal-body").inner_text()
        return title, text

    @staticmethod
    def close_modal(page):
        page.locator(".modal.in .modal-footer button").first.click()
        page.locator(".modal").wait_for(state="detached")
