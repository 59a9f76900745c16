"""In a real browser: nothing a student hands in or prints runs when the instructor grades it.

Issue #13: a written answer with ``<script>`` or ``<img onerror>``, or an output of kind
``text/html``, ``application/javascript`` or ``image/svg+xml`` carrying a script, ran in
the formgrader with the instructor's login (it wrote files through ``/api/contents``
and rewrote grades through the formgrader's API), and appeared raw in the feedback.

Here one attacker ("mallory") hands in the red-wine exercise, solved, with every payload
class in the written answer and as outputs of an extra code cell, plus a plot and a
pandas table; a bystander ("bob") hands in a clean solution. One autograde run (fast
mode) grades both. Then, in JupyterLab's formgrader, the instructor opens mallory's
submission through Manual Grading, as a person would. Each payload, if it ran, would
set a marker (``document.title``, ``window.__pwned``), write ``pwned_<payload>.txt``
through ``/api/contents`` with the page's XSRF cookie, and give mallory full marks and
everyone else zero through the formgrader's API. The test asserts that none of that
happened, that the written answer (its markup as text), the plot and the table show,
and that the feedback HTML holds none of the payloads' active parts.

The server, browser and screenshot fixtures are test_browser.py's (one place).
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest

import _nbgrader_helpers as h
from _html_probe import active_parts, scripts_of
import test_browser
from test_browser import TOKEN, menu, shoot

pytestmark = pytest.mark.slow

# test_browser.py's fixtures (the server, the browser, a page, screenshots), defined there only.
browser, lab, page, shots = test_browser.browser, test_browser.lab, test_browser.page, test_browser.shots

ASSIGNMENT = "red_wine"
WRITTEN = "written_answer"
ATTACKER, BYSTANDER = "mallory", "bob"
TABLES = ("grade", "comment", "student", "submitted_assignment", "submitted_notebook")
ANSWER_TEXT = "Mallory's written answer: batch normalization rescales every layer's inputs."
MARK = "PWNED"

# What every payload runs: markers first (synchronously), then the attacks.
_ATTACK_JS = """(function (tag) {
  window.__pwned = (window.__pwned || []).concat([tag]);
  document.title = '%(mark)s ' + tag;
  try { top.__pwned = (top.__pwned || []).concat([tag]); top.document.title = '%(mark)s ' + tag; } catch (e) {}
  var m = document.cookie.match(/(?:^|; )_xsrf=([^;]*)/);
  var headers = {'X-XSRFToken': m ? decodeURIComponent(m[1]) : '', 'Content-Type': 'application/json'};
  var put = function (url, body) {
    return fetch(url, {method: 'PUT', headers: headers, credentials: 'same-origin', body: JSON.stringify(body)});
  };
  var get = function (url) { return fetch(url, {credentials: 'same-origin'}).then(function (r) { return r.json(); }); };
  put('/api/contents/pwned_' + tag + '.txt', {type: 'file', format: 'text', content: tag});
  get('/formgrader/api/submitted_notebooks/%(assignment)s/%(assignment)s').then(function (subs) {
    subs.forEach(function (s) {
      var mine = s.student === '%(attacker)s';
      get('/formgrader/api/grades?submission_id=' + s.id).then(function (grades) {
        grades.forEach(function (g) {
          put('/formgrader/api/grade/' + g.id, {manual_score: mine ? g.max_score : 0, extra_credit: mine ? 100 : 0});
        });
      });
    });
  });
})""" % {"mark": MARK, "assignment": ASSIGNMENT, "attacker": ATTACKER}


def attack(tag: str) -> str:
    """JavaScript (no double quotes) that runs the attack under the name ``tag``."""
    code = base64.b64encode(f"{_ATTACK_JS}('{tag}')".encode()).decode()
    return f"eval(atob('{code}'))"


def written_answer() -> str:
    return "\n\n".join([
        ANSWER_TEXT,
        f"<script>{attack('md_script')}</script>",
        f'<img src="x" onerror="{attack("md_img")}">',
        f'<svg onload="{attack("md_svg")}"></svg>',
        f'<iframe srcdoc="<script>{attack("md_iframe")}</script>"></iframe>',
        f"[a link](javascript:{attack('md_link')})",
        "**Bold** still works, and so does [a real link](https://keras.io).",
    ])


def payload_cell() -> str:
    """An extra code cell whose outputs carry the payloads, a plot and a table."""
    html_script = f"<script>{attack('out_script')}</script>"
    html_img = f'<img src=x onerror="{attack("out_img")}">'
    svg = ("<svg xmlns='http://www.w3.org/2000/svg' width='40' height='40' "
           f"onload=\"{attack('out_svg')}\"><circle cx='20' cy='20' r='15' fill='purple'/></svg>")
    return "\n".join([
        "import io",
        "import matplotlib.pyplot as plt",
        "import pandas as pd",
        "from IPython.display import Image, display",
        f"display({{'text/html': {html_script!r}}}, raw=True)",
        f"display({{'text/html': {html_img!r}}}, raw=True)",
        f"display({{'application/javascript': {attack('out_js')!r}}}, raw=True)",
        f"display({{'image/svg+xml': {svg!r}}}, raw=True)",
        "fig, ax = plt.subplots(figsize=(4, 3))",
        "ax.plot([1, 2, 3, 4], [0.9, 0.7, 0.65, 0.62])",
        "ax.set_title('validation loss')",
        "buffer = io.BytesIO()",
        "fig.savefig(buffer, format='png')",
        "display(Image(buffer.getvalue()))",
        # nbconvert writes an image's width unquoted: a width can add an event handler
        f"display(Image(buffer.getvalue(), metadata={{'width': {('1 onload=' + attack('out_png_width'))!r}}}))",
        "display(pd.DataFrame({'epoch': [1, 2], 'val_mae': [0.71, 0.63]}))",
    ])


PAYLOAD_TAGS = ("md_script", "md_img", "md_svg", "md_iframe", "md_link",
                "out_script", "out_img", "out_js", "out_svg", "out_png_width")


@pytest.fixture(scope="module")
def graded(lab):
    """Both students handed in and autograded (one run) in the served course."""
    course = lab.course
    h.generate(course, ASSIGNMENT)
    release = h.read(h.notebook_path(course, "exercises", ASSIGNMENT))
    bad = h.answer(h.solved(release, ASSIGNMENT), {WRITTEN: written_answer()})
    bad.cells.append(nbformat.v4.new_code_cell(payload_cell()))
    h.submit(course, ATTACKER, ASSIGNMENT, bad)
    h.submit(course, BYSTANDER, ASSIGNMENT, h.solved(release, ASSIGNMENT))
    done = h.autograde(course, ASSIGNMENT)
    (lab.shots / "autograde.log").write_text(done.stdout + done.stderr)
    scores = h.scores(course, ASSIGNMENT)
    assert set(scores) == {ATTACKER, BYSTANDER}, scores
    # Cleaning what the attacker printed costs no points: both solved every question.
    assert scores[ATTACKER]["code"] == scores[BYSTANDER]["code"] == scores[BYSTANDER]["max_code"], scores
    return {"course": course, "rows": h.table_rows(course, TABLES), "scores": scores}


def pwned_files(course: Path) -> list[str]:
    return sorted(str(p.relative_to(course)) for p in course.rglob("pwned_*"))


def open_submission(page, lab, student: str):
    """Nbgrader > Formgrader > Manual Grading > assignment > notebook > the student's
    submission (names shown, as an instructor who grades by name would). Returns the
    formgrader's frame, showing the submission."""
    page.goto(f"{lab.base}/lab/workspaces/attacks?token={TOKEN}")
    page.locator("#jp-MainMenu").wait_for()
    menu(page, "Nbgrader", "Formgrader")
    frame = page.frame_locator("iframe[src*='formgrader']")
    frame.locator("a", has_text=re.compile(r"^\s*Manual Grading\s*$")).first.click()
    frame.locator("td a", has_text=re.compile(f"^{ASSIGNMENT}$")).first.click()
    frame.locator("td a", has_text=re.compile(f"^{ASSIGNMENT}$")).first.click()  # the notebook
    frame.locator("td a.name-hidden").first.wait_for()  # the table has loaded
    frame.locator("#toggle_names").click()
    shoot(page, lab, "attack_1_submissions")
    frame.locator("td a.name-shown", has_text=student).click()
    frame.locator("#notebook-container").first.wait_for()
    return frame


def submission_frame(page):
    for frame in page.frames:
        if "/formgrader/submissions/" in frame.url:
            return frame
    raise AssertionError(f"no submission page among {[f.url for f in page.frames]}")


def test_manual_grading_shows_the_attack_as_text_and_runs_none_of_it(page, lab, graded):
    where = f"(screenshots in {lab.shots})"
    course = graded["course"]
    locator = open_submission(page, lab, ATTACKER)
    frame = submission_frame(page)
    # Give anything that did start (fetches to the server) time to land.
    page.wait_for_timeout(3000)
    shoot(page, lab, "attack_2_submission_top")
    answer = locator.locator(".text_cell_render", has_text="Mallory's written answer")
    shoot(page, lab, "attack_3_written_answer", show=answer)
    images = locator.locator("#notebook-container img[src^='data:image/png']")
    shoot(page, lab, "attack_4_outputs", show=images.last)

    ran = {
        "frame": frame.evaluate("() => [document.title, window.__pwned || null]"),
        "top": page.evaluate("() => [document.title, window.__pwned || null]"),
    }
    assert MARK not in json.dumps(ran), f"a payload ran: {ran} {where}"
    assert pwned_files(course) == [], f"a payload wrote files {where}"
    listing = [item["name"] for item in lab.api("contents")["content"]]
    assert not [n for n in listing if n.startswith("pwned")], listing
    assert h.table_rows(course, TABLES) == graded["rows"], f"the gradebook changed {where}"
    assert h.scores(course, ASSIGNMENT) == graded["scores"]

    # Nothing active in what the submission page shows of the student's work.
    found = frame.evaluate("""() => {
        const root = document.querySelector('#notebook-container');
        return {
          scripts: root.querySelectorAll('script').length,
          handlers: [...root.querySelectorAll('*')].flatMap(e => [...e.attributes]
                      .filter(a => /^on/i.test(a.name)).map(a => e.tagName + '[' + a.name + ']')),
          frames: root.querySelectorAll('iframe, object, embed, frame, form, base, meta, svg').length,
          js_links: [...root.querySelectorAll('[href], [src]')].filter(e =>
                      /^\\s*javascript:/i.test(e.getAttribute('href') || e.getAttribute('src') || '')).length,
        };
    }""")
    assert found == {"scripts": 0, "handlers": [], "frames": 0, "js_links": 0}, f"{found} {where}"

    # ... and the student's work is all there: the answer, its markup as text, the plot, the table.
    text = answer.inner_text()
    assert ANSWER_TEXT in text, text
    assert "<script>" in text and "onerror=" in text, f"the markup should show as text: {text!r}"
    assert answer.locator("strong", has_text="Bold").count() == 1
    assert answer.locator("a[href='https://keras.io']").count() == 1
    assert images.count() >= 1, f"the plot is missing {where}"
    assert images.last.evaluate("img => img.complete && img.naturalWidth > 0"), f"the plot does not load {where}"
    assert locator.locator("#notebook-container table th", has_text="val_mae").count() == 1
    svg_image = locator.locator("#notebook-container img[src^='data:image/svg+xml']")
    assert svg_image.count() == 1 and svg_image.evaluate("img => img.naturalWidth > 0")


def test_the_bystanders_submission_is_untouched(page, lab, graded):
    locator = open_submission(page, lab, BYSTANDER)
    page.wait_for_timeout(1000)
    shoot(page, lab, "attack_5_bystander")
    # Issue #16 (7): below the written answer, the graders' rubric from the source notebook.
    rubric = locator.locator(".text_cell_render", has_text="For graders only")
    assert rubric.count() == 1
    assert "Rubric (2 points)" in rubric.inner_text() and "A weak answer" in rubric.inner_text()
    assert h.table_rows(graded["course"], TABLES) == graded["rows"]
    assert pwned_files(graded["course"]) == []


def test_the_feedback_holds_none_of_the_payloads(page, lab, graded):
    course = graded["course"]
    h.nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    pages = {s: h.notebook_path(course, f"feedback/{s}", ASSIGNMENT).with_suffix(".html").read_text()
             for s in (ATTACKER, BYSTANDER)}
    attacker, bystander = pages[ATTACKER], pages[BYSTANDER]
    # The feedback template's own scripts and styles stay; the attacker's page has no more.
    extra = Counter(active_parts(attacker)) - Counter(active_parts(bystander))
    assert not extra, extra
    assert set(scripts_of(attacker)) <= set(scripts_of(bystander))
    for tag in PAYLOAD_TAGS:  # (the payloads' code may stand in the page as text)
        assert attack(tag) not in "".join(scripts_of(attacker)), tag
    assert ANSWER_TEXT in attacker and "data:image/png;base64," in attacker and "val_mae" in attacker
    assert not [p for p in pages.values() if "For graders only" in p or "Rubric (" in p]  # graders' only

    # ... and opened in the browser, nothing runs.
    path = h.notebook_path(course, f"feedback/{ATTACKER}", ASSIGNMENT).with_suffix(".html")
    page.goto(path.as_uri())
    page.wait_for_timeout(1500)
    shoot(page, lab, "attack_6_feedback")
    ran = page.evaluate("() => [document.title, window.__pwned || null]")
    assert MARK not in json.dumps(ran), ran
    assert pwned_files(course) == [] and h.table_rows(course, TABLES) == graded["rows"]
