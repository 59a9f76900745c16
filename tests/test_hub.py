"""A class on a real JupyterHub with nbgrader's exchange, round trip (hub/; README, "A class
on a JupyterHub, with nbgrader's exchange").

A local JupyterHub (from PyPI) with configurable-http-proxy (from npm, in hub/.proxy)
runs hub/jupyterhub_config.py on 127.0.0.1. Three system accounts are created for the
test with useradd (an instructor and two students, each with a private home folder) and
removed afterwards; the hub's LocalProcessSpawner runs each person's JupyterLab as their
own account, so nbgrader's exchange works on real file permissions. Only the log-in
differs from a real class: JupyterHub's DummyAuthenticator with one test password
instead of PAM.

The round trip, through nbgrader's own apps, in the order a class goes:

1. the instructor generates and releases ``red_wine`` through the formgrader's API in
   their own server (what its Manage Assignments buttons call: nbgrader's apps, run as
   the instructor with the course's nbgrader_config.py);
2. Alice lists, fetches and submits through her server's Assignments API (what the
   Assignments list calls), after saving every answer through the contents API; Bob, in
   chromium, logs in, opens Nbgrader > Assignment List (the only item of his menu),
   fetches and submits the release untouched. Bob's server has no formgrader; he can
   read neither Alice's home nor the exchange's inbound folder;
3. the instructor collects (``nbgrader collect`` as the instructor, with the environment
   the hub gives their server, as in a terminal there) and autogrades each submission
   through the formgrader's API (the course's sandbox, whose
   bwrap command shows in the log; no warnings): full marks and zero; then, in chromium,
   grades Alice's written answer by hand in JupyterLab's Formgrader panel (Manual Grading
   > red_wine > red_wine > Alice), and the score lands in the gradebook;
4. the instructor generates and releases feedback; Alice fetches hers through the API,
   Bob with the list's Fetch Feedback button; each gets exactly one page, with their own
   score (Alice's includes the manual grade), and cannot list the exchange's feedback.

Screenshots of the chromium steps and the hub's log go to $COURSE_SCREENSHOTS/hub if set,
otherwise to a pytest temporary folder. Each step's time is printed (pytest -s).

Needs root (useradd, and a hub that starts servers as other accounts), bubblewrap, node
and hub/.proxy (``.ci/run`` installs what is missing). Without them the test is skipped,
except under CI, where it fails.

Where Python itself lives in a folder other accounts cannot enter (pyenv under /root,
mode 0700, as on the CI image), the hub runs in a private mount namespace in which that
folder is an empty tmpfs with only the needed folders bound back: every account runs
the very same environment, and nothing changes outside the namespace. A real server
installs the course environment where everyone can read it.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest

from utils import REPO_ROOT as ROOT
from _nbgrader_helpers import gradebook, scores, solved

pytestmark = pytest.mark.slow

ASSIGNMENT = "red_wine"
COURSE_ID = "dropout-batchnorm"
TOKEN = "course-hub-round-trip-token"
PASSWORD = "course-hub-test-password"
WRITTEN_ANSWER = "written_answer"  # red_wine's one written answer, graded by hand (2 points)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [  # as in tests/test_browser.py (root: no chromium sandbox; a closed network)
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PROXY = ROOT / "hub" / ".proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
ENV_BIN = Path(sys.executable).parent
TAG = f"ch{os.getpid() % 100000}"
INSTRUCTOR, ALICE, BOB = f"{TAG}-teach", f"{TAG}-alice", f"{TAG}-bob"


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "needs root: the hub starts each person's server as their own system account (useradd)"
    for tool in ("useradd", "userdel", "runuser", "unshare", "nsenter", "bwrap", "node"):
        if shutil.which(tool) is None:
            return f"{tool} is missing"
    if not PROXY.exists():
        return f"{PROXY} is missing (npm install --prefix hub/.proxy configurable-http-proxy; .ci/run does it)"
    return None


if (_reason := _missing()) is not None:
    if os.environ.get("CI"):
        raise RuntimeError(f"tests/test_hub.py cannot run under CI: {_reason}")
    pytest.skip(_reason, allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- where Python lives --------------------------------------------------------------

def _closed_ancestor(path: Path) -> tuple[Path, Path] | None:
    """(a folder others cannot enter, its child on the way to ``path``), or None."""
    for child in [*reversed(path.parents)][1:] + [path]:
        if not child.parent.stat().st_mode & 0o001:
            return child.parent, child
    return None


def namespace_script() -> str | None:
    """Shell lines that make the environment's own folders reachable for every account,
    run as root in the hub's private mount namespace (see the module's docstring); None
    where every account reaches them already."""
    needed = {Path(os.path.realpath(sys.executable)), Path(sys.prefix).resolve(),
              Path(sys.base_prefix).resolve(), ROOT.resolve()}
    hidden: dict[Path, set[Path]] = {}
    for path in needed:
        found = _closed_ancestor(path)
        if found:
            hidden.setdefault(found[0], set()).add(found[1])
    if not hidden:
        return None
    lines = ["set -e", 'keep=$(mktemp -d)']
    for n, (closed, children) in enumerate(sorted(hidden.items())):
        for m, child in enumerate(sorted(children)):
            lines += [f'mkdir "$keep/{n}-{m}"', f'mount --bind "{child}" "$keep/{n}-{m}"']
        lines.append(f'mount -t tmpfs -o mode=0755 tmpfs "{closed}"')
        for m, child in enumerate(sorted(children)):
            lines += [f'mkdir -p "{child}"', f'mount --bind "$keep/{n}-{m}" "{child}"']
    lines.append('exec "$@"')
    return "\n".join(lines)


# --- the hub -------------------------------------------------------------------------

class Hub:
    def __init__(self, base: Path, url: str, process: subprocess.Popen, log: Path, namespaced: bool):
        self.base, self.url, self.process, self.log = base, url, process, log
        self.namespaced = namespaced
        self.exchange = base / "exchange"

    def home(self, user: str) -> Path:
        return Path(pwd.getpwnam(user).pw_dir)

    @property
    def course(self) -> Path:
        return self.home(INSTRUCTOR) / "course"

    def request(self, path: str, method: str = "GET", data: bytes | None = None,
                content_type: str | None = None, timeout: float = 60):
        headers = {"Authorization": f"token {TOKEN}"}
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(f"{self.url}{path}", method=method, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: {error.code} {error.read()[:2000]!r}; "
                                 f"hub log: {self.log}") from None
        return json.loads(body) if body else None

    def assignments(self, user: str, action: str | None = None) -> dict:
        """The student's Assignments API (nbgrader's assignment_list server extension)."""
        if action is None:
            return self.request(f"/user/{user}/assignments?course_id={COURSE_ID}")
        form = urllib.parse.urlencode({"course_id": COURSE_ID, "assignment_id": ASSIGNMENT}).encode()
        return self.request(f"/user/{user}/assignments/{action}", "POST", form,
                            "application/x-www-form-urlencoded", timeout=120)

    def as_user(self, user: str, *args: str, cwd: Path | None = None, timeout: float = 600,
                check: bool = True) -> subprocess.CompletedProcess:
        """A command as ``user``, inside the hub's mount namespace, with the environment the
        hub gives that person's server (hub/jupyterhub_config.py, course_environment)."""
        role = "instructor" if user == INSTRUCTOR else "student"
        home = self.home(user)
        env = {"HOME": str(home), "USER": user, "LOGNAME": user, "SHELL": "/bin/bash",
               "JUPYTER_CONFIG_PATH": str(self.base / "hub" / role), "COURSE_ID": COURSE_ID,
               "COURSE_EXCHANGE": str(self.exchange), "COURSE_ROOT": "~/course",
               "PATH": f"{ENV_BIN}:/usr/local/bin:/usr/bin:/bin"}
        for name in ("COURSE_DATA_MIRROR", "COURSE_DATA_DIR", "LANG"):
            if name in os.environ:
                env[name] = os.environ[name]
        enter = ["nsenter", f"--target={self.process.pid}", "--mount", "--"] if self.namespaced else []
        command = [*enter, "runuser", "-u", user, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()),
                   "sh", "-c", 'cd "$0" && exec "$@"', str(cwd or home), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(args)} as {user} exited {done.returncode}:\n"
                                 f"{done.stdout[-3000:]}\n{done.stderr[-6000:]}")
        return done

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess:
        """``nbgrader ARGS`` in the instructor's course, as in a terminal of their JupyterLab."""
        return self.as_user(INSTRUCTOR, str(ENV_BIN / "nbgrader"), *args, cwd=self.course)

    def formgrader(self, action: str, student: str | None = None) -> str:
        """One of the instructor's formgrader actions on the assignment (what its buttons
        call): nbgrader's own apps, run by the instructor's server as the instructor, with
        the course's nbgrader_config.py (sandboxed autograde). Returns nbgrader's log."""
        path = f"/user/{INSTRUCTOR}/formgrader/api/" + (
            f"submission/{ASSIGNMENT}/{student}/{action}" if student else f"assignment/{ASSIGNMENT}/{action}")
        answer = self.request(path, "POST", b"", timeout=600)
        assert answer["success"], f"{action}: {answer.get('error')}\n{answer.get('log')}"
        return answer.get("log") or ""


def add_user(name: str, homes: Path) -> None:
    subprocess.run(["userdel", "-r", name], capture_output=True)  # a leftover of a killed run
    subprocess.run(["useradd", "--create-home", "--home-dir", str(homes / name), "--shell", "/bin/bash",
                    "--user-group", name], check=True, capture_output=True)
    (homes / name).chmod(0o700)  # private, whatever the machine's HOME_MODE


def hub_config(base: Path, port: int) -> Path:
    config = base / "jupyterhub_test_config.py"
    config.write_text(f"""
c = get_config()  # noqa: F821
load_subconfig({str(base / 'hub' / 'jupyterhub_config.py')!r})  # noqa: F821
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {free_port()}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.JupyterHub.db_url = "sqlite:///{base}/state/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{base}/state/jupyterhub_cookie_secret"
c.ConfigurableHTTPProxy.pid_file = "{base}/state/proxy.pid"
# The one difference from a real class: a test password instead of PAM.
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {PASSWORD!r}
# This test's own token, to start servers and call them as each person's browser would.
c.JupyterHub.services = [{{"name": "round-trip", "api_token": {TOKEN!r}}}]
c.JupyterHub.load_roles = [{{"name": "round-trip", "services": ["round-trip"],
                            "scopes": ["admin:users", "admin:servers", "access:servers"]}}]
""")
    return config


@pytest.fixture(scope="module")
def hub(shots):
    base = Path(tempfile.mkdtemp(prefix="course-hub-"))
    base.chmod(0o755)  # accounts reach their homes, the exchange and the role folders
    homes = base / "home"
    homes.mkdir(mode=0o755)
    (base / "state").mkdir(mode=0o700)
    shutil.copytree(ROOT / "hub", base / "hub", ignore=shutil.ignore_patterns(
        ".proxy", "labconfig", "jupyter_server_config.d", "__pycache__"))
    (base / "hub" / ".proxy").symlink_to(ROOT / "hub" / ".proxy")
    users = (INSTRUCTOR, ALICE, BOB)
    process = None
    try:
        for user in users:
            add_user(user, homes)
        course = homes / INSTRUCTOR / "course"
        course.mkdir()
        shutil.copy2(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
        for part in ("solutions", "exercises"):
            shutil.copytree(ROOT / part, course / part,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        subprocess.run(["chown", "-R", f"{INSTRUCTOR}:{INSTRUCTOR}", str(course)], check=True)

        port = free_port()
        log = base / "jupyterhub.log"
        env = {**os.environ, "COURSE_ID": COURSE_ID, "COURSE_EXCHANGE": str(base / "exchange"),
               "COURSE_INSTRUCTORS": INSTRUCTOR, "COURSE_STUDENTS": f"{ALICE},{BOB}",
               "PATH": f"{ENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        env.pop("PYTHONWARNINGS", None)
        script = namespace_script()
        namespace = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh"] if script else []
        with open(log, "w") as out:
            process = subprocess.Popen(
                [*namespace, sys.executable, "-m", "jupyterhub", "-f", str(hub_config(base, port))],
                cwd=base / "state", stdout=out, stderr=subprocess.STDOUT, env=env)
        hub = Hub(base, f"http://127.0.0.1:{port}", process, log, namespaced=bool(script))
        started = time.monotonic()
        deadline = started + 90
        while True:
            try:
                hub.request("/hub/api/", timeout=5)
                break
            except (OSError, AssertionError):
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"JupyterHub did not start within 90 s:\n{log.read_text()[-4000:]}")
                time.sleep(0.5)
        for user in users:
            hub.request(f"/hub/api/users/{user}/server", "POST")
        deadline = time.monotonic() + 180
        for user in users:
            while not hub.request(f"/hub/api/users/{user}").get("servers", {}).get("", {}).get("ready"):
                if time.monotonic() > deadline:
                    pytest.fail(f"{user}'s server did not start within 180 s:\n{log.read_text()[-4000:]}")
                time.sleep(1)
        print(f"\nhub and three servers ready in {time.monotonic() - started:.1f} s; log: {log}", flush=True)
        yield hub
    finally:
        if process is not None:
            process.terminate()  # the hub stops the servers it started, then the proxy
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for user in users:
            subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)
        for user in users:
            subprocess.run(["userdel", "-r", user], capture_output=True)
        if (base / "jupyterhub.log").exists():  # the hub's and the servers' log, kept with the screenshots
            shutil.copy2(base / "jupyterhub.log", shots / "jupyterhub.log")
        shutil.rmtree(base, ignore_errors=True)


class Steps:
    """Prints how long each step took (pytest -s shows it; the CI budget is ~3 minutes)."""

    def __init__(self):
        self.last = time.monotonic()

    def __call__(self, name: str) -> None:
        now = time.monotonic()
        print(f"hub round trip: {name}: {now - self.last:.1f} s", flush=True)
        self.last = now


# --- in chromium (as tests/test_browser.py drives it) -----------------------------------

@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("COURSE_SCREENSHOTS")
    path = Path(folder) / "hub" if folder else tmp_path_factory.mktemp("hub-screenshots")
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nhub test screenshots: {path}")
    return path


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            raise RuntimeError(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def log_in(browser, hub: Hub, user: str):
    """A browser page of ``user``, logged in through the hub's login form, in their JupyterLab."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    page.wait_for_url(re.compile(f"/user/{re.escape(user)}/lab"))
    page.locator("#jp-MainMenu").wait_for()
    return page


def menu(page, top: str, item: str) -> None:
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(top)}$")).click()
    page.locator(".lm-Menu-content .lm-Menu-item").filter(
        has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$"))).first.click()


def assignment_row(page, section: str):
    """The assignment's row in one section of the Assignments list (released, fetched, submitted)."""
    return page.locator(f"#{section}_assignments_list .list_item", has_text=ASSIGNMENT).first


def student_fetches_and_submits_in_the_browser(browser, hub: Hub, student: str, shots: Path) -> None:
    """Nbgrader > Assignment List: Fetch, then Submit, as a student does (handed in untouched)."""
    page = log_in(browser, hub, student)
    try:
        # A student's Nbgrader menu leads to the Assignments list only (profile hub-student).
        page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click()
        items = page.locator(".lm-Menu-content .lm-Menu-item:visible .lm-Menu-itemLabel")
        items.first.wait_for()
        page.screenshot(path=str(shots / "0_student_nbgrader_menu.png"))
        assert items.all_inner_texts() == ["Assignment List"], items.all_inner_texts()
        items.first.click()
        fetch = assignment_row(page, "released").get_by_role("button", name="Fetch")
        fetch.wait_for()
        page.screenshot(path=str(shots / "1_student_assignment_list.png"))
        fetch.click()
        submit = assignment_row(page, "fetched").get_by_role("button", name="Submit")
        submit.wait_for()
        page.screenshot(path=str(shots / "2_student_fetched.png"))
        submit.click()
        assignment_row(page, "submitted").wait_for()
        page.screenshot(path=str(shots / "3_student_submitted.png"))
    except Exception:
        page.screenshot(path=str(shots / "student_failed.png"))
        raise
    finally:
        page.context.close()


def student_fetches_feedback_in_the_browser(browser, hub: Hub, student: str, shots: Path) -> None:
    page = log_in(browser, hub, student)
    try:
        menu(page, "Nbgrader", "Assignment List")
        button = assignment_row(page, "submitted").get_by_role("button", name="Fetch Feedback")
        button.wait_for()
        button.click()
        # The list shows a "view feedback" link once the feedback is in the student's home.
        assignment_row(page, "submitted").get_by_text("(view feedback)").wait_for()
        deadline = time.monotonic() + 60
        while not list((hub.home(student) / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html")):
            assert time.monotonic() < deadline, f"no feedback fetched for {student} (screenshots in {shots})"
            time.sleep(0.5)
        page.screenshot(path=str(shots / "6_student_feedback_fetched.png"))
    except Exception:
        page.screenshot(path=str(shots / "student_feedback_failed.png"))
        raise
    finally:
        page.context.close()


def instructor_grades_the_written_answer(browser, hub: Hub, student: str, points: float, shots: Path) -> None:
    """Nbgrader > Formgrader > Manual Grading > assignment > notebook > the student's
    submission, then a score for the written answer (saved when the field changes)."""
    page = log_in(browser, hub, INSTRUCTOR)
    try:
        menu(page, "Nbgrader", "Formgrader")
        # Each click loads another page into the panel's iframe; the next click waits for it.
        frame_at(page, r"/formgrader/?($|manage_assignments)").locator(
            "a", has_text=re.compile(r"^\s*Manual Grading\s*$")).first.click()
        frame_at(page, r"/formgrader/gradebook/?$").locator(
            "td a", has_text=re.compile(f"^{ASSIGNMENT}$")).first.click()
        frame_at(page, f"/formgrader/gradebook/{ASSIGNMENT}/?$").locator(
            "td a", has_text=re.compile(f"^{ASSIGNMENT}$")).first.click()  # the notebook
        frame = frame_at(page, f"/formgrader/gradebook/{ASSIGNMENT}/{ASSIGNMENT}/?$")
        frame.locator("td a.name-hidden").first.wait_for()  # the table has loaded
        frame.locator("#toggle_names").click()
        page.screenshot(path=str(shots / "4_formgrader_submissions.png"))
        frame.locator("td a.name-shown", has_text=student).click()
        frame = frame_at(page, r"/formgrader/submissions/")
        score = frame.locator(f"input.score#{WRITTEN_ANSWER}")
        # The page's grading widgets are ready once they have set their placeholders.
        frame.locator(f"input.extra-credit#{WRITTEN_ANSWER}_extra_credit[placeholder='0']").wait_for()
        score.scroll_into_view_if_needed()
        score.click()
        score.fill(str(points))
        score.press("Tab")  # the formgrader saves on "change"
        deadline = time.monotonic() + 30
        while manual_score(hub, student) != points:
            assert time.monotonic() < deadline, f"the formgrader did not save the score (screenshots in {shots})"
            time.sleep(0.5)
        page.screenshot(path=str(shots / "5_formgrader_written_answer_graded.png"))
    except Exception:
        page.screenshot(path=str(shots / "instructor_failed.png"))
        raise
    finally:
        page.context.close()


def frame_at(page, url: str):
    """The page's frame whose address matches ``url``, once it has navigated there."""
    deadline = time.monotonic() + 60
    while True:
        for frame in page.frames:
            if re.search(url, frame.url.split("?")[0]):
                return frame
        assert time.monotonic() < deadline, f"no frame at {url} among {[f.url for f in page.frames]}"
        page.wait_for_timeout(250)


def manual_score(hub: Hub, student: str) -> float | None:
    with gradebook(hub.course) as gb:
        return gb.find_grade(WRITTEN_ANSWER, ASSIGNMENT, ASSIGNMENT, student).manual_score


def released(hub: Hub, user: str) -> list[dict]:
    answer = hub.assignments(user)
    assert answer["success"], answer
    return [a for a in answer["value"] if a["assignment_id"] == ASSIGNMENT]


def test_round_trip(hub: Hub, browser, shots):
    step = Steps()
    # 1. The instructor generates the student version (and its gradebook entry) and releases it.
    hub.formgrader("assign")
    hub.formgrader("release")
    outbound = hub.exchange / COURSE_ID / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert outbound.exists()
    assert "### BEGIN SOLUTION" not in outbound.read_text()
    step("generate and release")

    # 2. Students see it in their Assignments list, fetch it into their home and submit.
    # Alice through her server's Assignments API (what the list calls), answering every
    # question as JupyterLab saves a notebook; Bob in chromium, handing it in untouched.
    listed = released(hub, ALICE)
    assert [a["status"] for a in listed] == ["released"], listed
    assert hub.assignments(ALICE, "fetch")["success"]
    path = f"/user/{ALICE}/api/contents/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    release = nbformat.from_dict(hub.request(path)["content"])
    hub.request(path, "PUT", json.dumps({"type": "notebook", "format": "json",
                                         "content": solved(release, ASSIGNMENT)}).encode(), "application/json")
    assert hub.assignments(ALICE, "submit")["success"]
    step("Alice fetches and submits (API)")
    student_fetches_and_submits_in_the_browser(browser, hub, BOB, shots)
    step("Bob fetches and submits (chromium)")
    for student in (ALICE, BOB):
        fetched = hub.home(student) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert fetched.stat().st_uid == pwd.getpwnam(student).pw_uid
        assert any(a["status"] == "submitted" for a in released(hub, student))
    # A student's server has no formgrader (its server extension is off for students).
    with pytest.raises(AssertionError, match=": 404 "):
        hub.request(f"/user/{BOB}/formgrader/api/assignments")
    # Accounts do not share folders: Bob cannot read Alice's work.
    peek = hub.as_user(BOB, "cat", str(hub.home(ALICE) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), check=False)
    assert peek.returncode != 0 and "Permission denied" in peek.stderr
    # ... nor list the exchange's inbound folder, where everyone's submissions wait.
    inbound = hub.exchange / COURSE_ID / "inbound"
    peek = hub.as_user(BOB, "ls", str(inbound), check=False)
    assert peek.returncode != 0 and "Permission denied" in peek.stderr

    # 3. The instructor collects (the command line, as the README shows it: the exchange and
    # course id come from hub/instructor/nbgrader_config.py) and autogrades (the course's
    # sandboxed autograde).
    hub.nbgrader("collect", ASSIGNMENT)
    for student in (ALICE, BOB):
        assert (hub.course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()
    step("collect")
    logs = {student: hub.formgrader("autograde", student) for student in (ALICE, BOB)}
    step("autograde")
    for log in logs.values():  # student code ran in the course's sandbox, not as the instructor
        assert "SandboxedExecute" in log and "/bwrap" in log and "WITHOUT isolation" not in log, log[-3000:]
        assert "[WARNING]" not in log and "checksum" not in log, log[-3000:]  # no false alarm
    got = scores(hub.course, ASSIGNMENT)
    assert got[ALICE]["max_code"] > 0
    assert got[ALICE]["code"] == got[ALICE]["max_code"], got[ALICE]
    assert got[BOB]["code"] == 0, got[BOB]
    assert got[ALICE]["needs_manual_grade"], got[ALICE]  # the written answer waits for a person

    # ... and grades Alice's written answer by hand in the formgrader.
    instructor_grades_the_written_answer(browser, hub, ALICE, 1.5, shots)
    step("manual grade (chromium)")

    # 4. Feedback: generated, released, and each student fetches only their own.
    hub.formgrader("generate_feedback")
    hub.formgrader("release_feedback")
    step("generate and release feedback")
    assert hub.assignments(ALICE, "fetch_feedback")["success"]
    student_fetches_feedback_in_the_browser(browser, hub, BOB, shots)
    step("students fetch feedback (API, chromium)")
    # The exchange's feedback folder cannot be listed: a student reaches only the file named
    # after their own submission (nbgrader names feedback by a hash of it).
    peek = hub.as_user(BOB, "ls", str(hub.exchange / COURSE_ID / "feedback"), check=False)
    assert peek.returncode != 0 and "Permission denied" in peek.stderr
    pages = {}
    for student in (ALICE, BOB):
        found = list((hub.home(student) / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
        assert len(found) == 1, found
        pages[student] = found[0].read_text()
    expected = {ALICE: got[ALICE]["code"] + 1.5, BOB: 0.0}
    total = got[ALICE]["max_code"] + got[ALICE]["max_written"]
    for student, page in pages.items():
        score = re.search(r"Score:\s*([\d.]+)\s*/\s*([\d.]+)", page)
        assert score, page[:2000]
        assert (float(score.group(1)), float(score.group(2))) == (expected[student], total), (student, score.group(0))
