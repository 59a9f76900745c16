"""What in a piece of HTML a browser could run: the probe the sanitizing tests share.

Deliberately over-cautious: it reads the markup twice, with Python's HTML parser and as
every literal tag wherever it stands, and reports anything either reading finds.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "base", "form", "frame", "frameset", "applet", "style",
                  "link", "svg", "math", "input", "button", "textarea", "select"}
URL_ATTRS = {"href", "src", "action", "formaction", "data", "xlink:href", "background", "poster", "srcdoc"}
SCRIPT_SCHEME = re.compile(r"^\s*(javascript|vbscript|livescript)\s*:", re.I)


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        tag = tag.lower()
        if tag == "script":
            self._in_script = True
        if tag in DANGEROUS_TAGS:
            self.found.append(f"<{tag}>")
        if tag == "meta" and any(k == "http-equiv" for k, _ in attrs):
            self.found.append("<meta http-equiv>")
        for key, value in attrs:
            key = key.lower()
            if key.startswith("on"):
                self.found.append(f"{tag}[{key}]")
            if key in URL_ATTRS and value and SCRIPT_SCHEME.match(re.sub(r"[\t\n\r]", "", value)):
                self.found.append(f"{tag}[{key}=javascript:]")
            if key in URL_ATTRS and value and value.strip().lower().startswith("data:text/html"):
                self.found.append(f"{tag}[{key}=data:text/html]")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag.lower() == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


_RAW_TAG = re.compile(r"<([a-zA-Z][^\s/>]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_RAW_ATTR = re.compile(r"""([^\s"'>/=]+)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")


def active_parts(markup: str) -> list[str]:
    """Every tag, attribute or URL in ``markup`` that a browser could treat as active.

    Two readings, both kept: Python's HTML parser, and every literal tag wherever it stands
    (a browser ends ``<!-->`` as an empty comment, which Python's parser does not)."""
    parser = _Collect()
    parser.feed(markup)
    parser.close()
    found = list(parser.found)
    for tag, rest in _RAW_TAG.findall(markup):
        attrs = [(k, html.unescape(v.strip("\"'"))) for k, v in _RAW_ATTR.findall(rest)]
        probe = _Collect()
        probe.handle_starttag(tag, attrs)
        found += [p for p in probe.found if p not in found]
    return found


def scripts_of(markup: str) -> list[str]:
    parser = _Collect()
    parser.feed(markup)
    parser.close()
    return parser.scripts
