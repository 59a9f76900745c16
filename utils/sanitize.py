"""What a student hands in or prints is shown, never run, in the instructor's browser.

nbgrader's formgrader and ``generate_feedback`` render a submission's markdown and
outputs as HTML, by default unsanitized, in a page that holds the instructor's login:
a ``<script>`` in a written answer could rewrite every grade. The course cleans in two
independent places (both wired in ``nbgrader_config.py``):

1. **The autograded notebook** (``SanitizeNotebook``, an autograde step right after
   the sandboxed execution), so that whatever later renders it is safe:

   - code outputs keep only kinds that cannot run code: text, raster images
     (checked to be base64, with a width and height only as plain numbers: nbconvert
     writes them unquoted into the ``<img>`` tag), JSON; ``text/html`` is cleaned with nh3 (scripts, event
     handlers, ``javascript:`` URLs, iframes, objects, forms, ``<base>``, ``<meta>``,
     style sheets gone; tables, images and inline styles kept); an SVG becomes an
     ``<img>`` of itself (browsers run nothing inside an image); JavaScript, widget
     views and every other kind are dropped, leaving a note in place of an output
     that would otherwise be empty; LaTeX and markdown outputs are cleaned like text;
   - markdown (written answers and any cell a student added or edited) is kept byte for
     byte when nbconvert's rendering of it holds nothing nh3 would remove (class and id
     attributes aside: they only style); otherwise it is rewritten strictly
     (``escape_markdown``): every ``<`` that could open an HTML tag becomes ``&lt;`` (the
     markup shows as text), character references that could spell a URL scheme are
     replaced by what they spell, and script URL schemes are broken with a zero-width
     space. That rewrite does not depend on how a renderer parses markdown: without a
     literal ``<`` none can make HTML, and the schemes are broken wherever they stand;
   - raw cells are cleaned as HTML, attachments keep only raster images, and the
     notebook's widget state is dropped.

   Scores do not change: errors, streams and every ``text/plain`` (which nbgrader reads)
   are left alone, and an unanswered written answer keeps its checksum.

2. **The renderers** (``HTMLExporter`` configuration, read by the formgrader and by
   ``generate_feedback``): ``sanitize_html`` (no JavaScript or widget outputs, HTML
   outputs cleaned) with this module's ``clean_html`` in place of nbconvert's bleach
   filter (which shows a pandas table as tag soup), ``markdown2html`` that cleans what
   it renders (nbgrader's templates render markdown without nbconvert's sanitizing),
   and the same ``SanitizeNotebook`` plus ``EscapeResources`` (student names and ids,
   which nbgrader's formgrade template writes unescaped) before each page is rendered,
   so submissions autograded before this existed are safe too.

nh3 (Python bindings of the Rust ammonia sanitizer) does the HTML cleaning.
"""

from __future__ import annotations

import base64
import binascii
import functools
import html
import re
from html.parser import HTMLParser

import nh3
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

__all__ = ["SanitizeNotebook", "EscapeResources", "clean_html", "markdown2html",
           "sanitize_markdown", "escape_markdown", "sanitize_outputs", "KEPT_MIMETYPES"]

# --- HTML ---------------------------------------------------------------------------

_RASTER = ("image/png", "image/jpeg", "image/gif")
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp|svg\+xml)[;,]", re.I)
_STYLE_PROPERTIES = {
    "color", "background", "background-color", "border", "border-left", "border-right", "border-top",
    "border-bottom", "border-color", "border-width", "border-style", "border-radius", "border-collapse",
    "margin", "margin-left", "margin-right", "margin-top", "margin-bottom", "padding", "padding-left",
    "padding-right", "padding-top", "padding-bottom", "text-align", "vertical-align", "font-weight",
    "font-style", "font-size", "font-family", "text-decoration", "white-space", "width", "height",
    "max-width", "line-height", "overflow", "overflow-x", "text-decoration-color",
}


def _pygments_classes() -> set[str]:
    try:
        from pygments.token import STANDARD_TYPES
    except ImportError:  # pragma: no cover (nbconvert depends on pygments)
        return set()
    return {c for c in STANDARD_TYPES.values() if c}


def _check_box_classes() -> set[str]:
    from utils.questions.feedback import STYLES

    return {"course-check"} | {f"course-check-{status.replace(' ', '-')}" for status in STYLES}


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3 has already dropped URLs with other schemes; ``data:`` only as an image's source."""
    if value.lstrip()[:5].lower() == "data:":
        return value if tag == "img" and attribute == "src" and _DATA_IMAGE.match(value.lstrip()) else None
    return value


_CLEAN = dict(
    tags=set(nh3.ALLOWED_TAGS),  # no script, style, iframe, object, embed, form, input, base, meta, link, svg
    attributes={**{t: set(a) for t, a in nh3.ALLOWED_ATTRIBUTES.items()}, "*": {"title", "style"},
                "table": nh3.ALLOWED_ATTRIBUTES.get("table", set()) | {"border"}},
    url_schemes={"http", "https", "mailto", "data"},
    attribute_filter=_keep_attribute,
    filter_style_properties=_STYLE_PROPERTIES,
    strip_comments=True,
)


@functools.lru_cache(maxsize=1)
def _cleaner_options() -> dict:
    options = dict(_CLEAN)
    # Classes only from a fixed list: code highlighting, the grader's check boxes, heading
    # anchors, pandas tables.
    options["allowed_classes"] = {"span": _pygments_classes(), "div": {"highlight"} | _check_box_classes(),
                                  "a": {"anchor-link"}, "table": {"dataframe"}}
    return options


def clean_html(markup) -> str:
    """``markup`` with everything active removed (a drop-in for nbconvert's ``clean_html`` filter)."""
    if isinstance(markup, bytes):
        markup = markup.decode("utf-8", "replace")
    return nh3.clean(str(markup), **_cleaner_options())


# --- markdown -------------------------------------------------------------------------

def _render_markdown(source: str, attachments=None, path: str = "", **options) -> str:
    """Markdown as nbconvert renders it (the renderer nbgrader's templates use)."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    renderer = IPythonRenderer(escape=False, attachments=attachments or {}, path=path, **options)
    return MarkdownWithMath(renderer=renderer).render(source)


try:
    from jinja2 import pass_context
except ImportError:  # pragma: no cover (jinja2 < 3)
    from jinja2 import contextfilter as pass_context


@pass_context
def markdown2html(context, source: str) -> str:
    """nbconvert's ``markdown2html`` filter, cleaned (for ``HTMLExporter.filters``)."""
    cell = context.get("cell", {}) or {}
    path = (context.get("resources", {}) or {}).get("metadata", {}).get("path", "")
    rendered = _render_markdown(source, attachments=cell.get("attachments", {}), path=path,
                                exclude_anchor_links=True, allow_harmful_protocols=False)
    return clean_html(rendered)


class _Tags(HTMLParser):
    """The tags of a fragment with their security-relevant attributes, in order."""

    IGNORED = {"class", "id", "rel"}  # styling and nh3's own rel="noopener noreferrer"

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple] = []
        self.comments = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, tuple(sorted((k, v or "") for k, v in attrs if k not in self.IGNORED))))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self.tags.append(("/" + tag,))

    def handle_comment(self, data):
        self.comments += 1

    def handle_decl(self, decl):
        self.comments += 1

    def handle_pi(self, data):
        self.comments += 1

    unknown_decl = handle_decl


def _tag_outline(markup: str) -> tuple:
    parser = _Tags()
    parser.feed(markup)
    parser.close()
    closing = sorted(t for t in parser.tags if len(t) == 1)  # nh3 may close or drop void end tags
    return [t for t in parser.tags if len(t) == 2], closing, parser.comments


# Script URL schemes, allowing between the letters what a browser removes inside a URL
# (tab, newline) and backslashes, and a markdown backslash escape before the colon.
_SCHEME_GAP = r"[\t\n\r\\]*"
_SCRIPT_SCHEME = re.compile(
    "(?:" + "|".join(_SCHEME_GAP.join(word) for word in ("javascript", "vbscript", "livescript")) + ")"
    + _SCHEME_GAP + ":", re.I)
_ZWSP = "\u200b"
# A character reference (with or without the ';' an HTML parser may forgive).
_CHARREF = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[A-Za-z][A-Za-z0-9]{1,31});?")
_URLISH = re.compile(r"[\x00-\x20A-Za-z0-9:/\\&#;]+")
# '<' that starts an HTML tag, comment, declaration or processing instruction.
_TAG_OPEN = re.compile(r"<(?=[A-Za-z!/?])")
_SAFE_AUTOLINK = re.compile(r"<(?:https?://|mailto:)[^\s<>\"'`\\&\x00-\x1f]+>", re.I)
_BARE_TAG = re.compile(r"</?(?:b|i|em|strong|u|s|del|ins|sub|sup|small|mark|code|kbd|br|hr|p)\s*/?>", re.I)


def _decode_urlish_references(text: str) -> str:
    """Character references that spell URL characters (letters, digits, ':', '/', '&',
    '#', ';', backslash), however deeply nested (mistune decodes a link twice), replaced
    by what they spell (blanks by a space). They look the same; a scheme hidden in them
    becomes visible to ``_SCRIPT_SCHEME``."""
    def decode(m: re.Match) -> str:
        decoded = html.unescape(m.group(0))
        if decoded == m.group(0) or not _URLISH.fullmatch(decoded):
            return m.group(0)
        return re.sub(r"[\x00-\x20]", " ", decoded)

    for _ in range(len(text)):  # each round that changes anything makes the text shorter
        decoded = _CHARREF.sub(decode, text)
        if decoded == text:
            return text
        text = decoded
    return text


def _break_schemes(text: str) -> str:
    return _SCRIPT_SCHEME.sub(lambda m: m.group(0)[:-1] + _ZWSP + ":", text)


def _has_script_scheme(text: str) -> bool:
    return bool(_SCRIPT_SCHEME.search(_decode_urlish_references(text)))


def escape_markdown(source: str) -> str:
    """The strict rewrite: no markdown renderer can make HTML or a script link of the result.

    Character references that spell URL characters are replaced by those characters
    (they look the same); every ``<`` that could open a tag, comment or declaration
    becomes ``&lt;`` (the markup shows as text), except http(s)/mailto autolinks and a
    few attribute-less formatting tags (``<b>``, ``<br>``, ``<sub>``, ...); then any
    ``javascript:``-like scheme gets a zero-width space before its colon (no longer a
    scheme: a link to it is a harmless relative link).
    """
    text = _decode_urlish_references(source)
    kept = []
    for piece in re.split(f"({_SAFE_AUTOLINK.pattern}|{_BARE_TAG.pattern})", text, flags=re.I):
        if piece and (_SAFE_AUTOLINK.fullmatch(piece) or _BARE_TAG.fullmatch(piece)):
            kept.append(piece)
        elif piece:
            kept.append(_TAG_OPEN.sub("&lt;", piece))
    return _break_schemes("".join(kept))


def _renders_clean(source: str, attachments=None) -> bool:
    """nbconvert's rendering of ``source`` holds nothing nh3 would remove."""
    if _has_script_scheme(source):
        return False
    rendered = _render_markdown(source, attachments=attachments)
    return _tag_outline(rendered) == _tag_outline(clean_html(rendered))


def sanitize_markdown(source: str, attachments=None) -> str:
    """``source`` itself if it renders to nothing active, else its strict rewrite."""
    if not _TAG_OPEN.search(source) and not _CHARREF.search(source) and not _has_script_scheme(source):
        return source  # no markup, no references, no script scheme: nothing to decide
    try:
        clean = _renders_clean(source, attachments)
    except Exception:  # e.g. a missing attachment: undecidable, so strict
        clean = False
    return source if clean else escape_markdown(source)


# --- outputs --------------------------------------------------------------------------

KEPT_MIMETYPES = frozenset({"text/plain", "text/html", "text/markdown", "text/latex",
                            "application/json", *_RASTER})
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _is_base64(value) -> bool:
    text = _text(value)
    if not _BASE64.fullmatch(text):
        return False
    try:
        base64.b64decode(re.sub(r"\s", "", text), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _svg_as_image(svg) -> str:
    data = base64.b64encode(_text(svg).encode("utf-8")).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" alt="SVG image">'


_SIZE = re.compile(r"[0-9]{1,6}(\.[0-9]{1,4})?")


def _is_size(value) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, float)) or (isinstance(value, str) and bool(_SIZE.fullmatch(value)))


def _clean_output_metadata(metadata: dict, data: dict) -> None:
    """nbconvert writes an image's width and height unquoted into its ``<img>`` tag, from
    the output's metadata (top level or per kind), and never sanitizes image outputs: keep
    them only as plain numbers. ``filenames`` (set only by nbconvert's output extraction)
    goes, and so does the metadata of a kind that was removed."""
    for key in [k for k in metadata if "/" in k and k not in data]:
        del metadata[key]  # e.g. the 'isolated' flag of a removed kind
    for scope in [metadata, *(v for k, v in metadata.items() if "/" in k and isinstance(v, dict))]:
        for key in ("width", "height"):
            if key in scope and not _is_size(scope[key]):
                del scope[key]
        scope.pop("filenames", None)


def sanitize_outputs(outputs: list) -> tuple[list, list[str]]:
    """The outputs made safe (see the module's docstring), and what was dropped."""
    dropped: list[str] = []
    for output in outputs:
        if output.get("output_type") not in ("display_data", "execute_result", "update_display_data"):
            continue  # stream and error outputs are text, escaped by every renderer
        data = output.get("data", {})
        svg = data.pop("image/svg+xml", None)
        if svg is not None and not any(k in data for k in ("text/html", *_RASTER)):
            data["text/html"] = _svg_as_image(svg)
        for mimetype in list(data):
            value = data[mimetype]
            if mimetype not in KEPT_MIMETYPES or (mimetype in _RASTER and not _is_base64(value)):
                dropped.append(mimetype)
                del data[mimetype]
            elif mimetype == "text/html":
                data[mimetype] = clean_html(_text(value))
            elif mimetype == "text/markdown":
                data[mimetype] = sanitize_markdown(_text(value))
            elif mimetype == "text/latex":
                data[mimetype] = _break_schemes(_text(value))
        if svg is not None and "text/html" not in data and not any(k in data for k in _RASTER):
            dropped.append("image/svg+xml")
        _clean_output_metadata(output.get("metadata", {}), data)
        if not data and output["output_type"] != "execute_result":
            # nbgrader reads an execute_result's text/plain as partial credit: never add one there.
            data["text/plain"] = f"[output not shown: {', '.join(sorted(set(dropped)))} cannot be shown safely]"
        output["data"] = data
    return outputs, dropped


# --- the preprocessors ----------------------------------------------------------------

class SanitizeNotebook(Preprocessor):
    """Make a notebook safe to render as HTML (autograde step and exporter preprocessor)."""

    enabled = Bool(True, help="nbconvert's preprocessors are off unless enabled").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        nb.metadata.pop("widgets", None)  # widget state: rendered by loading widget code
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int):
        where = f"cell {index}" + (f" ({cell.metadata.nbgrader['grade_id']})"
                                   if "grade_id" in cell.get("metadata", {}).get("nbgrader", {}) else "")
        if "attachments" in cell:
            cell.attachments = {name: {m: v for m, v in bundle.items() if m in _RASTER and _is_base64(v)}
                                for name, bundle in cell.attachments.items()}
            cell.attachments = {name: bundle for name, bundle in cell.attachments.items() if bundle}
        if cell.cell_type == "markdown":
            cleaned = sanitize_markdown(cell.source, cell.get("attachments"))
            if cleaned != cell.source:
                self.log.warning("%s: markup in the markdown is shown as text (it could run in a browser)", where)
                cell.source = cleaned
        elif cell.cell_type == "raw":
            cell.source = clean_html(cell.source)
        elif cell.cell_type == "code":
            # nbformat says a prompt's number is an integer: nbconvert, which writes it
            # unescaped, refuses to render a notebook where it is not (the page would fail).
            for item in [cell, *(o for o in cell.get("outputs", []) if "execution_count" in o)]:
                count = item.get("execution_count")
                if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
                    item["execution_count"] = None
            _, dropped = sanitize_outputs(cell.get("outputs", []))
            if dropped:
                self.log.warning("%s: outputs of kind %s removed (they could run in a browser)",
                                 where, ", ".join(sorted(set(dropped))))
        return cell, resources


class EscapeResources(Preprocessor):
    """nbgrader's formgrade page writes the student's id, names and notebook path into its
    HTML unescaped (nbconvert's Jinja environment does not autoescape): escape them here."""

    enabled = Bool(True, help="nbconvert's preprocessors are off unless enabled").tag(config=True)
    FIELDS = ("student", "first_name", "last_name", "notebook_path")

    def preprocess(self, nb: NotebookNode, resources: dict):
        for key in self.FIELDS:
            if isinstance(resources.get(key), str):
                resources[key] = html.escape(resources[key], quote=True)
        return nb, resources
