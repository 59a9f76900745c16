"""The student edition (issue #17): what students get holds no solutions and works on its own.

`make student-edition` (``python -m utils.edition build``) is run into a temporary folder.
Then:

1. What it holds. The lessons and released exercises byte for byte as in the repository
   (so the main nbval run covers them), the course package, the data manifest, its own
   README, Makefile, pyproject and environment; the zip holds the same files. What it must
   not hold: a solutions/ folder or any file of it; nbgrader's solution or hidden-test
   markers; any reference answer (each filled-in answer cell of the source notebooks, each
   solution region with the two lines around it, each model written answer, each hidden
   test); a CSV; a gradebook; nbgrader's course configuration. A control test shows that
   the scan finds a filled-in solution notebook, so a clean scan means something.
2. The zip, unpacked and set up by its own Makefile (``make setup``), then ``make check``
   on one exercise: it runs top to bottom in fast mode from the edition's folder with the
   edition's ``utils``, shows each check's message, and no traceback from utils.
3. The edition's ``make lab`` in Chromium (test_browser.py's fixtures and helpers): the
   file browser has no solutions/, there is no Nbgrader menu, formgrader or "create
   assignment", no news pop-up, and an answer typed into an exercise is checked correct.

The edition's ``make setup`` installs the course into an environment of its own. Downloading
TensorFlow and the rest would take minutes, so the Makefile is given (``VENV=...``) an
environment that borrows this one's packages: an empty venv whose site-packages points at
ours (a .pth line), with the Jupyter data files pip would have installed (the server
extension switches, copied; the lab extensions, linked). The Makefile's own steps run in it:
``pip install -e .`` of the edition (needs the network, or pip's cache, for setuptools), the
student lab profile, the data fetch (from COURSE_DATA_MIRROR when set). Nothing is written
into the repository or this environment.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import nbformat
import pytest

from utils.grading import rubrics
from utils.questions.question import reference_answer
from utils.questions.registry import exercises, is_setup_cell, questions
from utils.settings import FAST_EPOCHS

pytestmark = pytest.mark.slow

from utils import REPO_ROOT as ROOT  # noqa: E402
SOLUTIONS = ROOT / "solutions"
NAME = "course-student"

# What the browser part borrows from test_browser.py (one way to drive JupyterLab). Without
# chromium that module skips itself, and so does only the browser test here.
try:
    import test_browser as ui
    from test_browser import browser, page, shots  # noqa: F401 (fixtures)
except pytest.skip.Exception as why:
    ui, _no_browser = None, str(why)

    @pytest.fixture(scope="module")
    def shots(tmp_path_factory):
        return tmp_path_factory.mktemp("screenshots")

    @pytest.fixture
    def page():
        pytest.skip(_no_browser)


# --- what must not leak ----------------------------------------------------------------------

MARKER = re.compile(r"###\s*(BEGIN|END)\s+(SOLUTION|HIDDEN TESTS)")
CONTEXT_LINES = 2


def _norm(text: str) -> str:
    return " ".join(text.split())


def reference_snippets(folder: Path = SOLUTIONS) -> list[tuple[str, str]]:
    """(where, normalized text) of each piece of a source notebook a student must not see:
    every solution cell with its solution filled in, every solution region with the
    CONTEXT_LINES lines around it, every model written answer, every hidden test."""
    found = []
    for path in sorted(folder.glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
            where = f"{path.relative_to(folder)}:{gid}"
            lines = cell.source.splitlines()
            kept, regions, start, hidden = [], [], None, []
            for line in lines:
                mark = MARKER.search(line)
                if mark is None:
                    if start is not None and start[1] == "HIDDEN TESTS":
                        hidden.append(line)
                    kept.append(line)
                elif mark.group(1) == "BEGIN":
                    start = (len(kept), mark.group(2))
                else:
                    if start[1] == "SOLUTION":
                        regions.append((start[0], len(kept)))
                    else:
                        found.append((f"{where} hidden tests", _norm("\n".join(hidden))))
                        hidden = []
                    start = None
            if not cell.metadata.get("nbgrader", {}).get("solution"):
                continue
            found.append((f"{where} answer", _norm("\n".join(kept))))
            rubric = rubrics.split(cell.source)[1]
            if rubric:  # the graders' rubric on its own, whatever happens to the answer above it
                found.append((f"{where} rubric", _norm(rubric)))
            for a, b in regions:
                snippet = kept[max(0, a - CONTEXT_LINES):b + CONTEXT_LINES]
                found.append((f"{where} region at line {a}", _norm("\n".join(snippet))))
    return [(where, text) for where, text in found if text]


def readable_text(path: Path) -> str:
    """A file's text; for a notebook also its cells' sources and outputs as a person sees them."""
    raw = path.read_bytes().decode("utf-8", errors="replace")
    if path.suffix != ".ipynb":
        return raw
    parts = [raw]
    for cell in nbformat.reads(raw, as_version=4).cells:
        parts.append(cell.source)
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts += [v for k, v in out.get("data", {}).items() if isinstance(v, str) and not k.startswith("image/")]
            parts += out.get("traceback", [])
    return "\n".join(parts)


def leaks(folder: Path) -> list[str]:
    """Everything under ``folder`` that gives a solution or a hidden test away."""
    found = []
    source_files = [p for p in SOLUTIONS.rglob("*") if p.is_file()]
    snippets = reference_snippets()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if "solutions" in path.relative_to(folder).parts:
            found.append(f"{rel}: in a solutions folder")
        if any(filecmp.cmp(path, s, shallow=False) for s in source_files if s.stat().st_size == path.stat().st_size):
            found.append(f"{rel}: a copy of a file in solutions/")
        text = readable_text(path)
        for line in text.splitlines():
            if MARKER.search(line):
                found.append(f"{rel}: marker in {line.strip()[:80]!r}")
        flat = _norm(text)
        found += [f"{rel}: {where}" for where, snippet in snippets if snippet in flat]
    return found


# --- the edition, built, unpacked and set up -------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("edition")
    done = subprocess.run([sys.executable, "-m", "utils.edition", "build", str(out / NAME)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return out / NAME, out / f"{NAME}.zip"


def borrowed_venv(path: Path) -> Path:
    """An empty venv that sees this environment's packages (see the module's docstring)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (path / "lib" / version / "site-packages" / "_borrowed_packages.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n")
    ours = Path(sys.prefix)
    for folder in ("jupyter_server_config.d", "jupyter_notebook_config.d"):
        source = ours / "etc" / "jupyter" / folder
        if source.is_dir():
            (path / "etc" / "jupyter" / folder).mkdir(parents=True)
            for item in source.glob("*.json"):
                (path / "etc" / "jupyter" / folder / item.name).write_bytes(item.read_bytes())
    (path / "share" / "jupyter").mkdir(parents=True)
    (path / "share" / "jupyter" / "labextensions").symlink_to(ours / "share" / "jupyter" / "labextensions")
    return path


@pytest.fixture(scope="module")
def student(built, tmp_path_factory) -> dict:
    """The zip unpacked as a student would, and `make setup` run in it."""
    folder, archive = built
    where = tmp_path_factory.mktemp("student")
    with zipfile.ZipFile(archive) as z:
        z.extractall(where)
    edition = where / folder.name
    venv = borrowed_venv(where / "venv")
    home = where / "home"
    home.mkdir()
    ours = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONWARNINGS") and not k.startswith("JUPYTER")}
    env.update(HOME=str(home), PATH=os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                                                      if p and p != ours))
    done = subprocess.run(["make", "--no-print-directory", "setup", f"VENV={venv}"], cwd=edition, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"make setup failed in the edition:\n{done.stdout}\n{done.stderr}"
    return {"edition": edition, "venv": venv, "env": env, "home": home}


# --- 1. what it holds -------------------------------------------------------------------------

def test_the_edition_holds_the_lessons_the_released_exercises_and_its_own_files(built):
    folder, archive = built
    got = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}

    notebooks = [f"lessons/{p.name}" for p in sorted((ROOT / "lessons").glob("*.ipynb"))]
    notebooks += [f"exercises/{name}/{name}.ipynb" for name in exercises()]
    for rel in notebooks:
        assert rel in got, f"{rel} is missing from the edition"
        assert (folder / rel).read_bytes() == (ROOT / rel).read_bytes(), f"{rel} differs from the repository's"
    for rel in (r for r in got if r.startswith("utils/")):
        assert (folder / rel).read_bytes() == (ROOT / rel).read_bytes(), f"{rel} differs from the repository's"
    assert {"utils/__init__.py", "utils/questions/registry.py", "utils/selfcheck.py", "utils/lab_extensions.py"} <= got
    assert {"data/manifest.toml", "data/README.md"} <= got
    own = {"README.md", "Makefile", "pyproject.toml", "environment.yml", "nbgrader_config.py"}
    assert own <= got
    unexpected = got - own - set(notebooks) - {".student-edition.json", "data/manifest.toml", "data/README.md"}
    unexpected = {r for r in unexpected if not r.startswith(("utils/", "lessons/", "exercises/"))}
    assert not unexpected, f"files nobody asked for: {sorted(unexpected)}"

    readme = (folder / "README.md").read_text()
    assert "make lab" in readme and "make check" in readme and "hand in" in readme.lower()
    makefile = (folder / "Makefile").read_text()
    assert re.search(r"^lab:", makefile, re.M) and re.search(r"^check:", makefile, re.M)
    assert "utils.lab_extensions student" in makefile

    # the same pins as the repository, without the test tools
    import tomllib

    ours = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    theirs = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
    assert theirs["dependencies"] == ours["dependencies"] and theirs["name"] == ours["name"]
    assert "optional-dependencies" not in theirs
    pins = re.findall(r"^ {6}- (\S.*)$", (folder / "environment.yml").read_text(), re.M)  # the pip list
    assert pins == [*ours["dependencies"], "-e ."]

    # the zip: one folder, the same files, the same bytes
    with zipfile.ZipFile(archive) as z:
        names = {n for n in z.namelist() if not n.endswith("/")}
        assert {n.split("/", 1)[0] for n in names} == {folder.name}
        assert {n.split("/", 1)[1] for n in names} == got
        for n in names:
            assert z.read(n) == (folder / n.split("/", 1)[1]).read_bytes(), f"{n} differs in the zip"


def test_nothing_in_the_edition_gives_a_solution_or_hidden_test_away(built):
    folder, _ = built
    found = leaks(folder)
    assert not found, "the student edition gives away:\n" + "\n".join(found)

    files = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
    assert not [f for f in files if f.lower().endswith((".csv", ".csv.gz", ".zip"))], "a dataset in the edition"
    assert not [f for f in files if re.search(r"gradebook|\.db$|\.sqlite", f)], "a gradebook in the edition"
    assert not [f for f in files if f.split("/")[0] in ("solutions", "tests", "submitted", "autograded",
                                                        "feedback", "release", "source")]
    # nbgrader_config.py is the student one (a cell time limit for Validate), not the course's
    config = (folder / "nbgrader_config.py").read_text()
    assert "source_directory" not in config and "solutions" not in config and "Sandbox" not in config
    stamp = json.loads((folder / ".student-edition.json").read_text())
    assert sorted(stamp["files"]) == sorted(f for f in files if f != ".student-edition.json")


def test_the_leak_scan_finds_a_filled_in_solution_notebook(tmp_path):
    """Control: a solution notebook with its markers stripped (its answers filled in), and a
    verbatim copy of one, are caught, so an empty scan of the edition means something."""
    exercise = exercises()[0]
    source = SOLUTIONS / exercise / f"{exercise}.ipynb"
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        cell.source = "\n".join(line for line in cell.source.splitlines() if not MARKER.search(line))
    (tmp_path / "exercises").mkdir()
    nbformat.write(nb, tmp_path / "exercises" / "filled_in.ipynb")
    found = leaks(tmp_path)
    for q in questions(exercise):
        assert any(f"{exercise}.ipynb:{q.answer_cell} answer" in line for line in found), (q.qid, found)
        assert any(f"{exercise}.ipynb:{q.test_cell} hidden tests" in line for line in found), (q.qid, found)
    (tmp_path / "copy.ipynb").write_bytes(source.read_bytes())
    assert any("copy.ipynb: a copy of a file in solutions/" in line for line in leaks(tmp_path))


# --- 2. set up, and an exercise run, inside the edition -----------------------------------------

def test_make_check_runs_an_exercise_in_the_edition_with_its_own_utils(student):
    edition, venv, env = student["edition"], student["venv"], student["env"]
    exercise = exercises()[0]
    notebook = f"exercises/{exercise}/{exercise}.ipynb"
    kept = student["home"] / "executed"

    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import utils; print(utils.__file__)"],
                           cwd=edition / "exercises" / exercise, env=env, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()) == edition / "utils" / "__init__.py", "kernels would not use the edition's utils"

    started = time.monotonic()
    done = subprocess.run(["make", "--no-print-directory", "check", f"VENV={venv}",
                           f"NOTEBOOKS={notebook}", f"CHECK_ARGS=--save {kept}"],
                          cwd=edition, env=env, capture_output=True, text=True, timeout=600)
    report = done.stdout
    assert done.returncode == 0, f"make check failed ({time.monotonic() - started:.0f} s):\n{report}\n{done.stderr}"
    assert "fast mode" in report
    for q in questions(exercise):  # the starter code: every check says "not attempted", with its message
        assert re.search(rf"Not attempted \({re.escape(q.title)}\): \S", report), f"{q.title} missing in:\n{report}"
    assert f"0 of {len(questions(exercise))} checks correct" in report
    assert "Traceback" not in report + done.stderr and "stopped" not in report

    nb = nbformat.read(kept / f"{exercise}.ipynb", as_version=4)
    ran = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in ran), "not every code cell ran"
    printed = "".join(out.get("text", "") for c in ran for out in c.outputs)
    planned = re.findall(r"\d+/(\d+) epochs", printed)  # the training progress bars
    assert planned and set(planned) == {str(FAST_EPOCHS)}, f"not in fast mode: {sorted(set(planned))} epochs"
    for cell in ran:
        for out in cell.outputs:
            if out.output_type == "error":
                assert "raises-exception" in cell.metadata.get("tags", []), f"error outside a check cell: {out.ename}"
                assert out.ename == "CheckFailed" and len(out.traceback) == 1, out.traceback
            text = out.get("text", "") + "".join(out.get("traceback", []))
            assert "Traceback" not in text and "/utils/" not in text, text
    # the student's file is untouched, and nothing but the data was added to the folder
    assert (edition / notebook).read_bytes() == (ROOT / notebook).read_bytes()
    assert not list(edition.rglob("gradebook.db"))


# --- 3. the edition's JupyterLab in a browser ---------------------------------------------------

@pytest.fixture(scope="module")
def lab(student, shots):
    """The edition's `make lab`, as its README says, with the options of test_browser.py."""
    if ui is None:
        pytest.skip(_no_browser)
    edition, venv, env = student["edition"], student["venv"], student["env"]
    port = ui.free_port()
    options = f"--no-browser --port={port} --ip=127.0.0.1 --IdentityProvider.token={ui.TOKEN}"
    log = open(shots / "edition_jupyterlab.log", "w")
    server = subprocess.Popen(["make", "--no-print-directory", "lab", f"VENV={venv}", f"LAB_ARGS={options}"],
                              cwd=edition, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    served = ui.Lab(edition, f"http://127.0.0.1:{port}", shots)
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                served.api("status")
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, (
                    f"the edition's make lab did not serve within 120 s; see {shots / 'edition_jupyterlab.log'}")
                time.sleep(0.5)
        yield served
    finally:
        try:
            served.shut_down_kernels()
        except OSError:
            pass
        os.killpg(server.pid, signal.SIGTERM)  # make and the JupyterLab it started
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _cell(page, index: int):
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(index)


def _run_cell(page, index: int) -> None:
    """Select cell ``index`` (a click on its prompt, so no editing) and press Shift+Enter."""
    _cell(page, index).locator(".jp-InputPrompt").first.click()
    page.keyboard.press("Shift+Enter")


def test_in_the_editions_jupyterlab_no_solutions_no_instructor_tools_and_an_answer_checks(page, lab):
    where = f"(screenshots in {lab.shots})"

    # The course folder as the file browser shows it.
    page.goto(f"{lab.base}/lab/workspaces/edition?token={ui.TOKEN}")
    page.locator("#jp-MainMenu").wait_for()
    page.locator(".jp-DirListing-item").first.wait_for()
    page.wait_for_timeout(5000)  # the news question came within a second of the page, when it came
    ui.shoot(page, lab, "edition_1_file_browser")
    listed = page.locator(".jp-DirListing-itemName").all_inner_texts()
    assert {"lessons", "exercises"} <= set(listed) and "solutions" not in listed, f"file browser: {listed} {where}"
    assert "solutions" not in {e["name"] for e in lab.api("contents")["content"]}

    # No news pop-up, no instructor tools.
    assert page.get_by_text(re.compile("Jupyter news", re.I)).count() == 0, f"the news pop-up is showing {where}"
    menus = page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").all_inner_texts()
    assert "Nbgrader" not in menus, f"menu bar: {menus} {where}"
    config = json.loads(page.locator("#jupyter-config-data").text_content())
    off = set(config.get("disabledExtensions", []))
    assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:menu"} <= off
    assert "@jupyter/nbgrader:validate-assignment" not in off
    assert page.get_by_text(re.compile("Formgrader|Create Assignment")).count() == 0, where
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{lab.base}/formgrader?token={ui.TOKEN}", timeout=10)
    assert refused.value.code == 404, "the edition's server still serves the formgrader"

    # A student opens an exercise, runs its set-up cells, types an answer and checks it.
    exercise = exercises()[-1]
    path = f"exercises/{exercise}/{exercise}.ipynb"
    q = questions(exercise)[0]
    cells = nbformat.read(lab.course / path, as_version=4).cells
    ids = [c.metadata.get("nbgrader", {}).get("grade_id", "") for c in cells]
    answer, check = ids.index(q.answer_cell), ids.index(q.test_cell)
    ui.open_in_lab(page, lab, path, "edition-exercise")
    toolbar = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-NotebookPanel-toolbar")
    assert toolbar.get_by_text("Validate").count() == 1, f"no Validate button: nbgrader's lab extension? {where}"
    for i in (i for i, gid in enumerate(ids[:answer]) if is_setup_cell(gid)):
        _run_cell(page, i)
    _cell(page, answer).locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(reference_answer(exercise, q.answer_cell))
    ui.shoot(page, lab, "edition_2_answer_typed", show=_cell(page, answer))
    page.keyboard.press("Shift+Enter")
    _run_cell(page, check)
    box = _cell(page, check).locator(".course-check")
    box.wait_for(timeout=120_000)
    ui.shoot(page, lab, "edition_3_answer_checked", show=box)
    assert "course-check-correct" in (box.get_attribute("class") or ""), f"{box.text_content()} {where}"
    assert "Correct" in (box.text_content() or "")
    assert page.get_by_text(re.compile("Jupyter news", re.I)).count() == 0, f"the news pop-up is showing {where}"
