"""HTML page or saved mail -> text that keeps every visible block.

Main-text extractors (trafilatura's precision mode) drop short lines, lists
and mail headers, which is where a team's facts often are. This loader keeps
every block of visible text instead, and drops only what a reader never sees
as content: ``<script>``, ``<style>``, ``<noscript>``, ``<template>``,
``<nav>`` menus, and elements marked ``hidden``. Headings become ``#`` lines
(so chunks get section paths), list items ``- `` lines, table rows one line
with cells joined by ``|``.

>>> html_text("<html><body><nav>Home</nav><h2>Memo</h2><ul><li>HS code 2805</li></ul></body></html>")
'## Memo\\n\\n- HS code 2805'
"""

from __future__ import annotations

import re

DROPPED_TAGS = ("script", "style", "noscript", "template", "nav", "head")
BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote", "pre", "address",
    "li", "dt", "dd", "tr", "caption", "figcaption", "form", "fieldset", "table", "ul", "ol", "dl", "body",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "br", "title",
}  # fmt: skip
CELL_TAGS = {"td", "th"}


def html_text(markup: str) -> str:
    """Visible text of an HTML document, one block a paragraph."""
    import lxml.html

    if not markup.strip():
        return ""
    root = lxml.html.document_fromstring(markup)
    for element in root.xpath("//*[@hidden]") + [e for tag in DROPPED_TAGS for e in root.iter(tag)]:
        element.drop_tree()
    for element in root.iter():
        if not isinstance(element.tag, str):  # comments, processing instructions
            continue
        _mark(element)
    lines = (" ".join(line.split()).strip("| ") for line in root.text_content().split("\n"))
    return "\n\n".join(line for line in lines if line)


def _mark(element) -> None:
    """Put line breaks and Markdown marks around an element so text_content() keeps the layout."""
    tag = element.tag.lower()
    heading = re.fullmatch(r"h([1-6])", tag)
    if heading:
        element.text = f"\n{'#' * int(heading.group(1))} {element.text or ''}"
    elif tag == "li":
        element.text = f"\n- {element.text or ''}"
    elif tag in CELL_TAGS:
        element.tail = f" | {element.tail or ''}"
    elif tag in BLOCK_TAGS:
        element.text = f"\n{element.text or ''}"
    if tag in BLOCK_TAGS or heading:
        element.tail = f"\n{element.tail or ''}"
