"""In a real browser: the course in JupyterLab, as a student and an instructor meet it.

Playwright (from PyPI, sync API) drives Debian's chromium (`/usr/bin/chromium`;
Playwright's own browser download cannot work offline). One JupyterLab serves a
temporary copy of the course, so nothing is written into the repository. Each
test clicks through the menus as a person would, then checks what is on screen
and, where the DOM cannot tell (an error looks like any other stderr output), the
notebook as JupyterLab saved it into the copy.

Screenshots of every step, and the server's log, go to $COURSE_SCREENSHOTS if set,
otherwise to a pytest temporary folder; the path is printed and named in every
failure message.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from utils import REPO_ROOT as ROOT  # noqa: E402
CHROMIUM = Path("/usr/bin/chromium")
# --no-sandbox: CI runs as root, where chromium refuses its own sandbox. The
# background-networking flags keep it from calling home on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TOKEN = "course-browser-test"
# What a served copy of the course holds: notebooks and the nbgrader configuration.
# `utils` is not copied: it is pip-installed (editable), so kernels import it from the
# repository, and the data is read from the repository's data/ (or the mirror).
COURSE_PARTS = ("lessons", "exercises", "solutions", "nbgrader_config.py")
from utils.questions.registry import exercises  # noqa: E402

ASSIGNMENTS = exercises()
LESSON_TIMEOUT_S = 120
EXERCISE_TIMEOUT_S = 120

pytestmark = pytest.mark.slow

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium for this test")
    pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium: apt-get install chromium); "
                "under CI this test must run", allow_module_level=True)

from playwright.sync_api import Locator, Page, expect, sync_playwright  # noqa: E402 (after the skip)


# --- the server --------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab serving ``course``; ``api()`` talks to its REST API."""

    def __init__(self, course: Path, base: str, shots: Path):
        self.course, self.base, self.shots = course, base, shots

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(f"{self.base}/api/{path}", method=method,
                                         headers={"Authorization": f"token {TOKEN}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """Free the two shared cores before the next notebook starts its kernel."""
        for kernel in self.api("kernels"):
            self.api(f"kernels/{kernel['id']}", method="DELETE")


def copy_course(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for part in COURSE_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        elif source.exists():
            shutil.copy2(source, target / part)
    return target


def quiet_lab_settings(home: Path) -> None:
    """User settings in the throw-away HOME: no "fetch Jupyter news?" pop-up over the page."""
    folder = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    folder.mkdir(parents=True)
    (folder / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("COURSE_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser test screenshots: {path}")
    return path


@pytest.fixture(scope="module")
def lab(tmp_path_factory, shots):
    course = copy_course(tmp_path_factory.mktemp("course"))
    home = tmp_path_factory.mktemp("home")
    quiet_lab_settings(home)
    port = free_port()
    env = {
        **os.environ,
        "HOME": str(home),
        # The kernels inherit this: training cells run a couple of epochs instead of the
        # full count (utils.settings.fast_mode), so the whole test stays within minutes.
        # Nothing checked here depends on how well a model trained.
        "COURSE_FAST_MODE": "1",
        # The formgrader creates the gradebook on first use by running `alembic`,
        # which must be on PATH (the environment's bin/).
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("PYTHONWARNINGS", None)
    log = open(shots / "jupyterlab.log", "w")
    # cwd = the course copy: the formgrader reads nbgrader_config.py from the working
    # directory, and finds the assignments in its source folder (solutions/).
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={course}",
         "--allow-root"],  # CI runs as root, where JupyterLab refuses to start without it
        cwd=course, stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    lab = Lab(course, f"http://127.0.0.1:{port}", shots)
    deadline = time.monotonic() + 60
    while True:
        try:
            lab.api("status")
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                log.close()
                pytest.fail(f"JupyterLab did not start within 60 s; see {shots / 'jupyterlab.log'}")
            time.sleep(0.5)
    try:
        yield lab
    finally:
        try:
            lab.shut_down_kernels()
        except OSError:
            pass
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, lab, request):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        try:  # how the page looked when the test ended, passed or failed
            page.screenshot(path=str(lab.shots / f"{request.node.name}_end.png"))
        finally:
            context.close()
            lab.shut_down_kernels()


# --- what a person does -------------------------------------------------------------

def shoot(page: Page, lab: Lab, name: str, show: Locator | None = None) -> None:
    """Screenshot, after scrolling ``show`` into view if given."""
    if show is not None:
        # Cells outside the viewport are not laid out (content-visibility, JupyterLab's
        # default windowing), so the page shifts as cells come into view: scroll until
        # the element stays in view.
        for _ in range(10):
            show.scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            try:
                expect(show).to_be_in_viewport(timeout=1000)
                break
            except AssertionError:
                continue
    page.screenshot(path=str(lab.shots / f"{name}.png"))


def open_in_lab(page: Page, lab: Lab, path: str, workspace: str) -> None:
    """Open ``path`` in its own JupyterLab workspace (nothing restored from another test),
    and wait until its kernel is ready (the status bar says Idle)."""
    page.goto(f"{lab.base}/lab/workspaces/{workspace}/tree/{path}?token={TOKEN}")
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()
    page.locator(".jp-StatusBar-Widget", has_text=re.compile(r"\|\s*Idle")).first.wait_for(timeout=60_000)


def menu(page: Page, top: str, item: str) -> None:
    """Click ``top`` in the menu bar, then ``item``, once JupyterLab has enabled it (a
    command acting on the notebook is disabled until the notebook is the current widget)."""
    deadline = time.monotonic() + 30
    while True:
        page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(top)}$")).click()
        entry = page.locator(".lm-Menu-content .lm-Menu-item").filter(
            has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$"))).first
        entry.wait_for()
        if "lm-mod-disabled" not in (entry.get_attribute("class") or ""):
            entry.click()
            return
        page.keyboard.press("Escape")
        assert time.monotonic() < deadline, f"menu {top} > {item} stayed disabled"
        page.wait_for_timeout(300)


PROMPTS_JS = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim())"""


def prompts(page: Page) -> list[str]:
    """The input prompt of every code cell: '[ ]:' not run, '[*]:' queued or running, '[3]:' ran."""
    return page.evaluate(PROMPTS_JS)


def wait_for_kernels_to_settle(lab: Lab, timeout_s: float, quiet_s: float = 3.0) -> None:
    """Wait until every kernel has been idle for ``quiet_s`` seconds on end.

    The page's prompts cannot tell when Run All is over: once a cell fails, JupyterLab
    blanks the '[*]:' of every cell still queued, although the kernel goes on to run
    them (when the failed cell is tagged raises-exception). Between two queued cells
    the kernel is idle for milliseconds only, so a quiet spell means the queue is empty.
    """
    deadline = time.monotonic() + timeout_s
    quiet_since = None
    while True:
        busy = any(k["execution_state"] != "idle" for k in lab.api("kernels"))
        now = time.monotonic()
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= quiet_s:
            return
        assert now < deadline, f"the notebook was still running after {timeout_s:.0f} s"
        time.sleep(0.25)


def run_all(page: Page, lab: Lab, timeout_s: float) -> list[str]:
    """Edit > Clear Outputs of All Cells, Run > Run All Cells, and wait for the run to end.

    Returns every code cell's input prompt: '[ ]:' did not run, '[3]:' ran."""
    menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function(f"() => ({PROMPTS_JS})().every(p => p === '[ ]:')")
    menu(page, "Run", "Run All Cells")
    # Once the first cell has its number, the kernel has all the cells queued.
    page.wait_for_function(f"() => /^\\[\\d+\\]:$/.test(({PROMPTS_JS})()[0])", timeout=60_000)
    wait_for_kernels_to_settle(lab, timeout_s)
    # ... and the page has shown every reply.
    page.wait_for_function(f"() => !({PROMPTS_JS})().some(p => p.includes('*'))")
    return prompts(page)


def save_and_read(page: Page, lab: Lab, path: str) -> nbformat.NotebookNode:
    """File > Save Notebook; once the tab shows no unsaved changes, the notebook as saved."""
    menu(page, "File", "Save Notebook")
    page.locator(".lm-TabBar-tab.jp-mod-current:not(.jp-mod-dirty)").wait_for()
    return nbformat.from_dict(lab.api(f"contents/{path}")["content"])


def error_cells(nb) -> list[tuple[int, str]]:
    """(index, 'EName: message') of every code cell with an error output."""
    return [(i, f"{out.ename}: {out.evalue}")
            for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.output_type == "error"]


def first_lesson() -> str:
    lessons = sorted((ROOT / "lessons").glob("*.ipynb"))
    assert lessons, "no lesson notebook in lessons/"
    return f"lessons/{lessons[0].name}"


# --- the tests ----------------------------------------------------------------------

def test_a_lesson_runs_in_jupyterlab_and_draws_its_plots(page, lab):
    path = first_lesson()
    open_in_lab(page, lab, path, "lesson")
    shoot(page, lab, "1_lesson_opened")
    final = run_all(page, lab, LESSON_TIMEOUT_S)
    shoot(page, lab, "1_lesson_ran_top", show=page.locator(".jp-Notebook .jp-Cell").first)
    where = f"(screenshots in {lab.shots})"

    images = page.locator(".jp-Notebook .jp-OutputArea-output img")
    assert images.count() >= 1, f"{path}: no plot was rendered {where}"
    assert images.first.evaluate("img => img.complete && img.naturalWidth > 0"), f"{path}: broken image {where}"
    shoot(page, lab, "1_lesson_first_plot", show=images.first)
    shoot(page, lab, "1_lesson_last_plot", show=images.last)

    nb = save_and_read(page, lab, path)
    assert not error_cells(nb), f"{path}: cells with errors {error_cells(nb)} {where}"
    assert all(re.fullmatch(r"\[\d+\]:", p) for p in final), f"{path}: not every cell ran: {final} {where}"


def test_the_released_exercise_runs_to_the_end_with_instructive_checks(page, lab):
    """A student opens the Spotify exercise as released and runs everything before
    answering: the checks say "not attempted" (or "incorrect") in their coloured box,
    and Run All carries on to the last cell (the check cells are tagged raises-exception)."""
    path = "exercises/spotify/spotify.ipynb"
    open_in_lab(page, lab, path, "exercise")
    final = run_all(page, lab, EXERCISE_TIMEOUT_S)
    where = f"(screenshots in {lab.shots})"

    boxes = page.locator(".jp-Notebook .jp-OutputArea-output .course-check")
    for n in range(boxes.count()):
        shoot(page, lab, f"2_exercise_check_{n + 1}", show=boxes.nth(n))
    shoot(page, lab, "2_exercise_last_code_cell", show=page.locator(".jp-Notebook .jp-CodeCell").last)

    nb = save_and_read(page, lab, path)
    check_cells = [i for i, c in enumerate(nb.cells) if "raises-exception" in c.metadata.get("tags", [])]
    assert len(check_cells) >= 2, f"{path}: expected its check cells to carry the raises-exception tag"
    unexpected = [(i, e) for i, e in error_cells(nb) if i not in check_cells]
    assert not unexpected, f"{path}: errors outside the check cells: {unexpected} {where}"

    # Every check cell shows its coloured box, with a failing status and the message.
    assert boxes.count() == len(check_cells), (
        f"{path}: {boxes.count()} check boxes on screen for {len(check_cells)} check cells {where}")
    for n in range(boxes.count()):
        box = boxes.nth(n)
        classes = box.get_attribute("class") or ""
        assert re.search(r"\bcourse-check-(not-attempted|incorrect)\b", classes), (
            f"check box {n}: status class missing in {classes!r} {where}")
        text = box.text_content() or ""  # (inner_text is empty for cells scrolled out of view)
        assert re.search(r"Not attempted|Incorrect", text), (
            f"check box {n}: no instructive message in {text!r} {where}")
    for i in check_cells:
        outputs = nb.cells[i].outputs
        assert any("course-check" in out.get("data", {}).get("text/html", "") for out in outputs), (
            f"{path}: cell {i} saved no check box")
        assert any("text/plain" in out.get("data", {}) for out in outputs if out.output_type == "display_data")
        # ... and a short error under it, not a page of traceback.
        errors = [out for out in outputs if out.output_type == "error"]
        assert len(errors) == 1, f"{path}: cell {i} should fail once, got {len(errors)} errors"
        traceback = "\n".join(errors[0].traceback)
        assert len(traceback.splitlines()) <= 3 and "most recent call last" not in traceback, (
            f"{path}: cell {i} shows a long traceback:\n{traceback}")

    # Run All reached the end: the last code cell ran.
    assert re.fullmatch(r"\[\d+\]:", final[-1]), f"{path}: Run All stopped early: {final} {where}"


def test_the_formgrader_lists_both_assignments(page, lab):
    """Nbgrader > Formgrader (the lab plugin `make setup` enables) shows the course's
    assignments: it reads nbgrader_config.py from the server's working directory,
    lists the source folder (solutions/) and creates the gradebook on first use."""
    page.goto(f"{lab.base}/lab/workspaces/formgrader?token={TOKEN}")
    page.locator("#jp-MainMenu").wait_for()
    menu(page, "Nbgrader", "Formgrader")
    frame = page.frame_locator("iframe[src*='formgrader']")
    names = frame.locator("td.name a")
    names.first.wait_for()
    page.wait_for_function(
        "() => { const f = [...document.querySelectorAll('iframe')].find(i => i.src.includes('formgrader'));"
        f" return f && f.contentDocument.querySelectorAll('td.name a').length >= {len(ASSIGNMENTS)}; }}")
    shoot(page, lab, "3_formgrader")
    listed = sorted(names.all_inner_texts())
    assert listed == sorted(ASSIGNMENTS), f"formgrader lists {listed} (screenshots in {lab.shots})"
    assert (lab.course / "gradebook.db").exists()


def test_run_all_goes_past_an_error_only_in_a_cell_tagged_raises_exception(page, lab):
    """The design the exercises rely on, checked in this JupyterLab: Run All sends each
    cell with stop_on_error unless it is tagged raises-exception, so an error in a
    tagged cell lets the run go on, and an error in an untagged cell stops it."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("before = 1"),
        nbformat.v4.new_code_cell("raise ValueError('tagged')", metadata={"tags": ["raises-exception"]}),
        nbformat.v4.new_code_cell("after_tagged = 2"),
        nbformat.v4.new_code_cell("raise ValueError('untagged')"),
        nbformat.v4.new_code_cell("after_untagged = 3"),
    ]
    path = "run_all_probe.ipynb"
    nbformat.write(nb, lab.course / path)
    open_in_lab(page, lab, path, "probe")
    final = run_all(page, lab, 60)
    shoot(page, lab, "4_run_all_probe")
    ran = [bool(re.fullmatch(r"\[\d+\]:", p)) for p in final]
    assert ran == [True, True, True, True, False], f"prompts after Run All: {final}"
