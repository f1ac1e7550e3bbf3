"""HTML → Markdown for the part of a page a tracked document follows (pure functions, no Django query).

``html_to_markdown(html, select=[…], remove=[…], base_url=…)``:

1. the page is parsed by ``tinyhtml5`` (an HTML5 parser: the tree a browser builds, whatever the tag soup);
2. the ``select`` selectors (CSS, ``cssselect2``)
   pick the parts kept, in the order of the selectors (an element inside an already kept one is not
   repeated); no ``select`` keeps the ``<body>``. A selector that matches nothing, or that is not valid CSS,
   is a ``FetchError`` of kind ``selector_missing``: the page changed its layout, an operator must look;
   then the elements matching a ``remove`` selector are taken out of the kept parts (matched with their
   whole ancestry, as on the page);
3. ``script``, ``style``, ``nav`` (and ``noscript``, ``template``, ``svg``, ``iframe``, ``head``) are dropped;
4. headings (``#``), paragraphs, lists (``-``, and ``1.`` numbered from ``start``), simple pipe tables,
   links ``[text](absolute href)``, ``**strong**``, ``*em*``, ``br`` (a line break), ``pre``, ``blockquote``
   and ``hr`` are converted; whitespace is collapsed as a browser would;
5. no text left is a ``FetchError`` of kind ``empty``.
"""

import re
from urllib.parse import urljoin

import cssselect2
import tinyhtml5

from .fetching import FetchError
from .models import FailureKind

DROPPED = frozenset({"script", "style", "nav", "noscript", "template", "svg", "iframe", "head", "object", "canvas"})
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "li",
        "main",
        "menu",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "caption",
    }
)
STRONG = frozenset({"strong", "b"})
EMPHASIS = frozenset({"em", "i"})
_SPACE = re.compile(r"[ \t\n\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


def parse(html: bytes | str, encoding: str | None = None):
    """The ElementTree root (``<html>``) of a page, tags without namespace. Bytes are decoded as a browser
    does: BOM, then the HTTP charset (``encoding``), then ``<meta charset>``, then UTF-8."""
    if isinstance(html, str):
        return tinyhtml5.parse(html, namespace_html_elements=False)
    return tinyhtml5.parse(
        html, namespace_html_elements=False, transport_encoding=encoding or None, default_encoding="utf-8"
    )


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header, if any."""
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


def html_to_markdown(
    html: bytes | str, *, select=(), remove=(), base_url: str = "", encoding: str | None = None
) -> str:
    """The Markdown of the selected part of ``html`` (see the module docstring); raises ``FetchError``."""
    root = parse(html, encoding)
    wrapper = cssselect2.ElementWrapper.from_html_root(root)
    if select:
        kept, seen = [], set()
        for selector in select:
            matches = _query(wrapper, selector)
            if not matches:
                raise FetchError(
                    FailureKind.SELECTOR_MISSING, f"Le sélecteur « {selector} » ne trouve rien dans la page."
                )
            for element in matches:
                ancestors = {id(item.etree_element) for item in element.ancestors}
                if id(element.etree_element) not in seen and not ancestors & seen:
                    kept.append(element)
                    seen.add(id(element.etree_element))
    else:
        body = wrapper.etree_element.find("body")
        kept = [
            next(item for item in wrapper.iter_subtree() if item.etree_element is body) if body is not None else wrapper
        ]
    # ``remove`` is applied inside the kept parts only (their wrappers still know their ancestors, so a rule
    # like "main .cookie" matches as on the whole page): one query per rule over less of the tree.
    dropped = set()
    for selector in remove or ():
        for part in kept:
            for element in _query(part, selector):
                if element is part or element.etree_element is part.etree_element:
                    dropped.add(id(part.etree_element))
                elif (parent := element.parent) is not None and element.etree_element in parent.etree_element:
                    parent.etree_element.remove(element.etree_element)
    kept = [part.etree_element for part in kept if id(part.etree_element) not in dropped]
    markdown = "\n\n".join(block for element in kept for block in _Renderer(base_url).blocks_of(element))
    markdown = _BLANK_LINES.sub("\n\n", markdown).strip()
    if not markdown:
        raise FetchError(FailureKind.EMPTY, "La page (ou la partie suivie) ne contient aucun texte.")
    return markdown + "\n"


def _query(wrapper, selector) -> list:
    if not isinstance(selector, str):
        raise FetchError(
            FailureKind.SELECTOR_MISSING,
            f"Sélecteur non pris en charge (seuls les sélecteurs CSS simples le sont) : {selector!r}.",
        )
    try:
        return list(wrapper.query_all(selector))
    except Exception as exc:  # cssselect2's SelectorError and its parser's errors: an unusable rule
        raise FetchError(FailureKind.SELECTOR_MISSING, f"Sélecteur CSS invalide « {selector} » : {exc}.") from exc


def _tag(element) -> str:
    tag = element.tag
    return tag.lower() if isinstance(tag, str) else ""  # comments and processing instructions: no tag name


class _Renderer:
    def __init__(self, base_url: str):
        self.base_url = base_url

    # Blocks ------------------------------------------------------------------------------------------------

    def blocks_of(self, element) -> list[str]:
        """The Markdown blocks of ``element`` (itself a block or not)."""
        tag = _tag(element)
        if tag in DROPPED or not tag:
            return []
        if tag in HEADINGS:
            text = self.inline_of(element).replace("\n", " ").strip()
            return [f"{'#' * HEADINGS[tag]} {text}"] if text else []
        if tag == "p":
            text = self.inline_of(element).strip()
            return [text] if text else []
        if tag in ("ul", "ol", "menu", "dir"):
            text = self.list_of(element, indent="")
            return [text] if text else []
        if tag == "table":
            text = self.table_of(element)
            return [text] if text else []
        if tag == "pre":
            text = "".join(element.itertext()).strip("\n")
            return [f"```\n{text}\n```"] if text.strip() else []
        if tag == "hr":
            return ["---"]
        if tag == "blockquote":
            inner = self.container_blocks(element)
            return ["\n".join(f"> {line}" if line else ">" for line in block.split("\n")) for block in inner]
        if tag in BLOCKS:
            return self.container_blocks(element)
        text = self.inline_of(element).strip()  # an inline element given as a block (a selected <span>)
        return [text] if text else []

    def container_blocks(self, element) -> list[str]:
        """Mixed content: runs of text and inline elements become paragraphs between the block children."""
        blocks, run = [], []

        def flush():
            text = _clean_lines("".join(run))
            if text:
                blocks.append(text)
            run.clear()

        run.append(_collapse(element.text))
        for child in element:
            tag = _tag(child)
            if tag in BLOCKS or tag in DROPPED:
                flush()
                blocks.extend(self.blocks_of(child))
            elif tag:
                run.append(self.inline_of(child, own=True))
            run.append(_collapse(child.tail))
        flush()
        return blocks

    def list_of(self, element, indent: str) -> str:
        ordered = _tag(element) == "ol"
        try:
            number = int(element.get("start", "1"))
        except ValueError:
            number = 1
        lines = []
        for item in element:
            if _tag(item) != "li":
                if _tag(item) in ("ul", "ol"):  # a list directly inside a list (invalid but common)
                    nested = self.list_of(item, indent + "  ")
                    if nested:
                        lines.append(nested)
                continue
            marker = f"{number}. " if ordered else "- "
            number += 1
            inner = indent + " " * len(marker)
            parts, run = [], []
            run.append(_collapse(item.text))
            for child in item:
                tag = _tag(child)
                if tag in ("ul", "ol"):
                    parts.append(_clean_lines("".join(run)))
                    run.clear()
                    parts.append(self.list_of(child, inner))
                elif tag in BLOCKS or tag in DROPPED:
                    parts.append(_clean_lines("".join(run)))
                    run.clear()
                    parts.extend(block.replace("\n", "\n" + inner) for block in self.blocks_of(child))
                elif tag:
                    run.append(self.inline_of(child, own=True))
                run.append(_collapse(child.tail))
            parts.append(_clean_lines("".join(run)))
            parts = [part for part in parts if part.strip()]
            if not parts:
                continue
            first, *rest = parts
            text = indent + marker + first.replace("\n", "\n" + inner)
            for part in rest:
                text += "\n" + (part if part.startswith(inner) else inner + part)
            lines.append(text)
        return "\n".join(lines)

    def table_of(self, table) -> str:
        rows = []
        for row in _rows(table):
            cells = [
                self.inline_of(cell).replace("\n", " ").replace("|", "\\|").strip()
                for cell in row
                if _tag(cell) in ("td", "th")
            ]
            if any(cells):
                rows.append(cells)
        if not rows:
            return ""
        width = max(len(row) for row in rows)
        rows = [row + [""] * (width - len(row)) for row in rows]
        lines = ["| " + " | ".join(rows[0]) + " |", "| " + " | ".join(["---"] * width) + " |"]
        lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
        caption = table.find("caption")
        if caption is not None and (title := self.inline_of(caption).strip()):
            lines.insert(0, title + "\n")
        return "\n".join(lines)

    # Inline ------------------------------------------------------------------------------------------------

    def inline_of(self, element, own: bool = False) -> str:
        """The inline Markdown of ``element``'s content (and of its own markup when ``own``)."""
        tag = _tag(element)
        if tag in DROPPED or not tag:
            return ""
        if tag == "br":
            return "\n"
        if tag == "img":
            return ""
        pieces = [_collapse(element.text)]
        for child in element:
            pieces.append(self.inline_of(child, own=True))
            pieces.append(_collapse(child.tail))
        content = "".join(pieces)
        if not own:
            return _clean_lines(content)
        if tag in ("ul", "ol", "table") or tag in BLOCKS:  # a block inside inline markup: keep its text apart
            return " " + content.strip() + " "
        stripped = content.strip()
        if not stripped:
            return content if content else ""
        lead = " " if content[:1].isspace() else ""
        tail = " " if content[-1:].isspace() else ""
        if tag in STRONG:
            return f"{lead}**{stripped}**{tail}"
        if tag in EMPHASIS:
            return f"{lead}*{stripped}*{tail}"
        if tag == "code":
            return f"{lead}`{stripped}`{tail}"
        if tag == "a":
            href = (element.get("href") or "").strip()
            if href and not href.startswith(("#", "javascript:", "mailto:", "tel:")):
                return f"{lead}[{stripped}]({urljoin(self.base_url, href)}){tail}"
            if href.startswith("mailto:"):
                return f"{lead}[{stripped}]({href}){tail}"
        return content


def _rows(table):
    """The rows of ``table`` (in thead, tbody, tfoot or directly inside), not those of nested tables."""
    for child in table:
        tag = _tag(child)
        if tag == "tr":
            yield child
        elif tag in ("thead", "tbody", "tfoot"):
            yield from (row for row in child if _tag(row) == "tr")


def _collapse(text: str | None) -> str:
    return _SPACE.sub(" ", text) if text else ""


def _clean_lines(text: str) -> str:
    """Each line stripped (a ``<br>`` makes a line), empty lines at the ends removed."""
    return "\n".join(line.strip() for line in text.split("\n")).strip()
