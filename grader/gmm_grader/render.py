"""What a student's notebook may put in front of the instructor's browser.

A graded notebook is rendered to HTML twice on the trusted side: by ``nbgrader
generate_feedback`` (a page the instructor opens and sends on) and by the live
formgrader (a page served from the instructor's own Jupyter origin, where a script
could read the ``_xsrf`` cookie and write through ``/api/contents``). nbconvert's
templates trust the notebook: image ``width``/``height`` metadata is written into an
unquoted attribute, markdown links keep ``javascript:`` URLs, raw cells are pasted in.
So everything a student chose is reduced here, on the notebook, before any template
sees it:

* **outputs** (:func:`sanitize_output`): only ``stream``, ``error``, ``display_data``
  and ``execute_result``, with fields of the types nbformat promises; rich data only of
  the allow-listed MIME types, ``text/plain`` as text and images that decode as real
  base64 PNG or JPEG (checked by Pillow, re-encoded canonically); output metadata only
  positive integer ``width``/``height`` of those images; and one HTML: a figure as
  ``gmm_lesson.figures.show`` sends it, ``<img src="data:image/png;base64,..." alt="...">``
  and nothing else (:func:`figure_html`: its PNG checked as above, its alt decoded to
  plain text and escaped again), so every figure keeps its text alternative;
* **markdown** that is not the instructor's (:func:`sanitize_markdown`): its HTML is
  escaped, and it is rendered with nbconvert's own markdown filter to check every link
  and image URL the browser would see (only ``http``, ``https``, ``mailto`` and relative
  URLs pass) and every tag and attribute; a cell that fails, or uses a MathJax command
  that can link or style, is shown inert, as its source in a code block;
* **attachments**, **raw cells** and **cell metadata** a template reads (``tags``, ``alt``).

:class:`FeedbackExporter` is the HTML exporter of ``nbgrader generate_feedback``
(``course/nbgrader_config.py``): it sanitises the outputs again (a notebook autograded
before this module existed) and puts a Content-Security-Policy ``<meta>`` first in the
page's head, so even a vector missed here cannot run script or send data anywhere.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import io
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any

from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbformat import NotebookNode

#: output MIME types a rendered graded notebook may show
IMAGE_MIMETYPES = {"image/png": "PNG", "image/jpeg": "JPEG"}
SAFE_MIMETYPES = ("text/plain", *IMAGE_MIMETYPES)
#: largest width/height (CSS pixels) kept from an image's metadata
MAX_IMAGE_SIZE = 10_000
#: URL schemes a student's markdown link or image may use (relative URLs have none)
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
#: MathJax commands that make links, styles, classes or load code: a cell using one is inert
MATHJAX_ACTIVE = re.compile(r"\\(href|url|style|class|cssId|unicode|require|html|data|bbox)(?![a-zA-Z])")

#: longest text alternative kept from a figure's <img> (characters)
MAX_ALT = 20_000
#: a figure's HTML as gmm_lesson.figures.bundle writes it: an <img> with a PNG and an alt
_FIGURE_HTML = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=\s]+)" alt="([^"<>]*)">')
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_.\-]")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
#: tags nbconvert's markdown renderer makes from markdown that holds no HTML
_MARKDOWN_TAGS = frozenset(
    "p a em strong code pre h1 h2 h3 h4 h5 h6 ul ol li blockquote hr br img table thead tbody "
    "tr th td del s span div sup sub".split()
)
_SAFE_ATTRIBUTES = frozenset({"href", "src", "alt", "title", "id", "class", "start", "align"})
_SAFE_STYLE = re.compile(r"^text-align:\s*(left|right|center)$")
_URL_ATTRIBUTES = frozenset({"href", "src"})


def url_is_safe(url: str) -> bool:
    """Whether a browser would treat ``url`` (an attribute value, entities decoded) as inert.

    Parameters
    ----------
    url : str
        The URL as the browser sees it, after HTML entities are decoded.

    Returns
    -------
    bool
        True for ``http``, ``https`` and ``mailto`` URLs and relative ones; False for any
        other scheme (``javascript:``, ``vbscript:``, ``data:``, ``attachment:`` ...) in
        any casing, with any leading control characters, spaces, tabs or newlines inside
        (browsers drop those before reading the scheme), and for a URL holding any other
        control character.
    """
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, got {type(url).__name__}")
    stripped = url.strip("".join(map(chr, range(0x21))))
    stripped = re.sub(r"[\t\n\r]", "", stripped)
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in stripped):
        return False
    match = _SCHEME.match(stripped)
    return match is None or match.group(1).lower() in SAFE_SCHEMES


class _Audit(HTMLParser):
    """Collects every reason a fragment of rendered HTML is not inert."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _MARKDOWN_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            value = value or ""
            if name == "style" and _SAFE_STYLE.match(value.strip()):
                continue
            if name not in _SAFE_ATTRIBUTES:
                self.problems.append(f"<{tag} {name}=...>")
            elif name in _URL_ATTRIBUTES and not url_is_safe(value):
                self.problems.append(f"<{tag} {name}={value[:40]!r}>")

    handle_startendtag = handle_starttag


def markdown_problems(source: str, mathjax: bool = True) -> list[str]:
    """What in this markdown would not be inert once nbconvert renders it (empty: safe).

    Parameters
    ----------
    source : str
        Markdown, as it will reach nbconvert (a cell's source with no attachments).
    mathjax : bool
        Whether MathJax will read its text: then a MathJax command that links, styles or
        loads code is a problem too (MathJax skips ``<pre>`` and ``<code>``).

    Returns
    -------
    list of str
        One short description per offending tag, attribute, URL or MathJax command.
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be a str, got {type(source).__name__}")
    problems = [f"MathJax \\{m.group(1)}" for m in MATHJAX_ACTIVE.finditer(source)] if mathjax else []
    try:
        rendered = markdown2html_mistune(source)
    except Exception as exc:  # e.g. an attachment: image with no attachment
        return [*problems, f"does not render ({type(exc).__name__})"]
    audit = _Audit()
    audit.feed(rendered)
    audit.close()
    return problems + audit.problems


def _inert(source: str) -> str:
    """Markdown that renders ``source`` verbatim, as a code block."""
    longest = max((len(run) for run in re.findall(r"`+", source)), default=0)
    fence = "`" * max(3, longest + 1)
    return (
        "*[this markdown cell is shown as its source: it held links, HTML or MathJax commands "
        "that a graded notebook does not render]*\n\n"
        f"{fence}\n{source}\n{fence}"
    )


def sanitize_markdown(source: str) -> str:
    """A student's markdown, made inert: HTML escaped, and only safe links kept.

    Parameters
    ----------
    source : str
        The markdown cell's source, written by the student.

    Returns
    -------
    str
        ``source`` with its HTML escaped when that renders with only safe URLs, tags and
        attributes; otherwise the original ``source`` in a code block under a note.
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be a str, got {type(source).__name__}")
    escaped = html.escape(source, quote=False)
    if not markdown_problems(escaped):
        return escaped
    inert = _inert(source)
    if markdown_problems(inert, mathjax=False):  # not with nbconvert's renderer; never render it anyway
        return html.escape(
            "[this markdown cell is not shown: it could not be rendered inert]", quote=False
        )
    return inert


def _text(value: Any) -> str:
    """nbformat's multiline string (a str or a list of str) as one str; anything else as its repr."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return "".join(value)
    return repr(value)


def image_data(data: Any, mimetype: str) -> str | None:
    """``data`` re-encoded as canonical base64 if it is a real image of ``mimetype``, else None.

    Parameters
    ----------
    data : Any
        An output's value for ``mimetype`` (base64 text, possibly split into lines).
    mimetype : {'image/png', 'image/jpeg'}
        The MIME type the output claims.

    Returns
    -------
    str or None
        The base64 of the decoded bytes when they are a whole image of that format (the
        magic bytes and Pillow's decoder agree), otherwise None.
    """
    if mimetype not in IMAGE_MIMETYPES:
        raise ValueError(f"mimetype must be one of {sorted(IMAGE_MIMETYPES)}, got {mimetype!r}")
    text = _text(data)
    try:
        raw = base64.b64decode(re.sub(r"\s", "", text), validate=True)
    except (binascii.Error, ValueError):
        return None
    magic = b"\x89PNG\r\n\x1a\n" if mimetype == "image/png" else b"\xff\xd8\xff"
    if not raw.startswith(magic):
        return None
    from PIL import Image  # Pillow is a dependency of matplotlib, which the lesson needs

    try:
        with Image.open(io.BytesIO(raw)) as image:
            if image.format != IMAGE_MIMETYPES[mimetype]:
                return None
            image.load()  # decodes every pixel: a truncated or forged file raises
    except Exception:  # Pillow raises many types for a bad file: any of them means "not an image"
        return None
    return base64.b64encode(raw).decode("ascii")


def figure_html(value: Any) -> str | None:
    """A figure's ``<img>`` rebuilt from checked parts, or None if ``value`` is not exactly one.

    Parameters
    ----------
    value : Any
        An output's ``text/html`` (a str, or a list of str as nbformat stores it).

    Returns
    -------
    str or None
        ``<img src="data:image/png;base64,..." alt="...">`` when ``value`` is that and
        nothing else (as ``gmm_lesson.figures.bundle`` writes it): the PNG passes
        :func:`image_data` and the alt is decoded to plain text (control characters
        dropped, at most :data:`MAX_ALT` characters) and escaped again, so no tag,
        attribute or URL of the student's reaches the page. Any other HTML: None.
    """
    match = _FIGURE_HTML.fullmatch(_text(value).strip())
    if match is None:
        return None
    png = image_data(match.group(1), "image/png")
    if png is None:
        return None
    alt = " ".join(_CONTROL.sub(" ", html.unescape(match.group(2))).split())[:MAX_ALT]
    if not alt:
        return None
    return f'<img src="data:image/png;base64,{png}" alt="{html.escape(alt, quote=True)}">'


def _size(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_IMAGE_SIZE:
        return value
    return None


def _image_metadata(metadata: Any, mimetypes: Iterable[str]) -> dict:
    """Only positive integer width/height, per image type and at the top level."""
    if not isinstance(metadata, dict):
        return {}
    kept: dict[str, Any] = {}
    for key in ("width", "height"):
        if _size(metadata.get(key)) is not None:
            kept[key] = metadata[key]
    for mimetype in mimetypes:
        inner = metadata.get(mimetype)
        if isinstance(inner, dict):
            sizes = {k: inner[k] for k in ("width", "height") if _size(inner.get(k)) is not None}
            if sizes:
                kept[mimetype] = sizes
    return kept


def sanitize_output(output: Any, extra_mimetypes: Iterable[str] = ()) -> NotebookNode:
    """One kernel output as it may be rendered for the instructor.

    Parameters
    ----------
    output : dict
        An output of a code cell, as the kernel (the student) made it.
    extra_mimetypes : iterable of str
        MIME types kept as they are besides :data:`SAFE_MIMETYPES` (types no nbconvert
        template renders, such as the grader's report type).

    Returns
    -------
    NotebookNode
        A new output of the same kind with only allow-listed fields, types and metadata;
        an output of an unknown kind, or rich output with nothing that can be kept,
        becomes a line of text saying what was left out.
    """
    extra = tuple(extra_mimetypes)
    kind = output.get("output_type") if isinstance(output, dict) else None
    if kind == "stream":
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return NotebookNode(output_type="stream", name=name, text=_text(output.get("text", "")))
    if kind == "error":
        traceback = output.get("traceback", [])
        return NotebookNode(
            output_type="error",
            ename=_text(output.get("ename", "")),
            evalue=_text(output.get("evalue", "")),
            traceback=[_text(line) for line in traceback] if isinstance(traceback, list) else [],
        )
    if kind not in ("display_data", "execute_result"):
        return _note(f"[an output of type {str(kind)[:40]!r} is not kept in a graded notebook]")
    raw = output.get("data", {})
    raw = raw if isinstance(raw, dict) else {}
    data: dict[str, Any] = {}
    dropped = []
    for mimetype, value in raw.items():
        if mimetype == "text/plain":
            data[mimetype] = _text(value)
        elif mimetype in IMAGE_MIMETYPES:
            image = image_data(value, mimetype)
            if image is None:
                dropped.append(f"{mimetype} that is not a valid image")
            else:
                data[mimetype] = image
        elif mimetype == "text/html" and (figure := figure_html(value)) is not None:
            data[mimetype] = figure
        elif mimetype in extra:
            data[mimetype] = value
        else:
            dropped.append(str(mimetype)[:60])
    if dropped and not any(m in data for m in SAFE_MIMETYPES):
        data["text/plain"] = f"[{', '.join(dropped)} output is not kept in a graded notebook]"
    if not data:
        data["text/plain"] = ""
    clean = NotebookNode(output_type=kind, data=data, metadata=_image_metadata(output.get("metadata"), data))
    if kind == "execute_result":
        count = output.get("execution_count")
        clean.execution_count = count if isinstance(count, int) and not isinstance(count, bool) else None
    return clean


def _note(text: str) -> NotebookNode:
    return NotebookNode(output_type="display_data", data={"text/plain": text}, metadata={})


def sanitize_cell(
    cell: NotebookNode, trusted_sources: set[str] = frozenset(), extra_mimetypes: Iterable[str] = ()
) -> None:
    """Make one cell of a graded notebook safe to render, in place.

    Parameters
    ----------
    cell : NotebookNode
        A cell of the student's notebook, after grading.
    trusted_sources : set of str
        Sources of the instructor's markdown and raw cells (the assignment's source
        notebook): those are rendered as written.
    extra_mimetypes : iterable of str
        Passed to :func:`sanitize_output`.
    """
    if not isinstance(cell, dict) or "cell_type" not in cell:
        raise TypeError("cell must be a notebook cell (a dict with a cell_type)")
    metadata = cell.get("metadata")
    if isinstance(metadata, dict):
        for key in ("tags", "alt", "attachments"):
            metadata.pop(key, None)
        nbgrader = metadata.get("nbgrader")
        if isinstance(nbgrader, dict) and "grade_id" in nbgrader:
            # nbgrader's templates write grade_id unescaped into href="#..." and name="..."; the
            # gradebook's own ids are plain names, so anything else is a student's invention
            nbgrader["grade_id"] = _UNSAFE_ID.sub("_", str(nbgrader["grade_id"]))
    trusted = cell.get("source") in trusted_sources
    if cell.cell_type == "markdown":
        if not trusted:
            cell.pop("attachments", None)
            cell.source = sanitize_markdown(_text(cell.get("source", "")))
    elif cell.cell_type == "raw":
        if not trusted:
            cell.source = html.escape(_text(cell.get("source", "")))
            if isinstance(metadata, dict):
                metadata.pop("raw_mimetype", None)
                metadata.pop("format", None)
    else:
        cell.pop("attachments", None)
    if "outputs" in cell:
        outputs = cell.outputs if isinstance(cell.outputs, list) else []
        cell.outputs = [sanitize_output(out, extra_mimetypes) for out in outputs]


# ------------------------------------------------------------------ the feedback page

#: the feedback page may load styles and images from itself and data: URLs, and run
#: only its own template's scripts (their hashes are added per page) and MathJax from
#: nbconvert's CDN; nothing else: no inline event handlers, no javascript: URLs, no
#: fetch, no forms, no frames
FEEDBACK_CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline' https://cdnjs.cloudflare.com; "
    "img-src 'self' data:; font-src 'self' data: https://cdnjs.cloudflare.com; "
    "script-src https://cdnjs.cloudflare.com{hashes}; connect-src 'none'; form-action 'none'; "
    "frame-src 'none'; object-src 'none'; base-uri 'none'"
)


class _HeadScripts(HTMLParser):
    """The text of every inline ``<script>`` in the ``<head>``: the template's own."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._in_head = self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag == "head":
            self._in_head = True
        elif tag == "body":
            self._in_head = False
        elif tag == "script" and self._in_head and not dict(attrs).get("src"):
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "head":
            self._in_head = False
        elif tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def content_security_policy(page: str) -> str:
    """:data:`FEEDBACK_CSP` for ``page``, allowing the inline scripts of its ``<head>`` by hash.

    Parameters
    ----------
    page : str
        The HTML page, as the template wrote it.

    Returns
    -------
    str
        The policy. Student content is only ever in the ``<body>``; none of it can be a
        ``<head>`` script, and a body script matches no hash.
    """
    parser = _HeadScripts()
    parser.feed(page)
    parser.close()
    hashes = "".join(
        " 'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() + "'"
        for s in parser.scripts
    )
    return FEEDBACK_CSP.format(hashes=hashes)


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback exporter (HTMLExporter with its ``feedback`` template), made safe.

    Before rendering, every output is passed through :func:`sanitize_output` again; after,
    a ``<meta http-equiv="Content-Security-Policy">`` is put first in the ``<head>``, so
    it governs every script and URL of the page. Set by ``GenerateFeedback.exporter_class``.
    """

    def from_notebook_node(self, nb: NotebookNode, resources: dict | None = None, **kw: Any):
        """Render ``nb`` with its outputs sanitised, and the page with its policy."""
        for cell in nb.cells:
            if "outputs" in cell:
                cell.outputs = [sanitize_output(out) for out in cell.outputs]
        output, resources = super().from_notebook_node(nb, resources, **kw)
        match = re.search(r"<head[^>]*>", output, flags=re.IGNORECASE)
        if match is None:  # the template changed: refuse to write a page without its policy
            raise RuntimeError("the feedback template wrote no <head>: no place for its security policy")
        policy = html.escape(content_security_policy(output), quote=False).replace('"', "&quot;")
        meta = f'\n<meta http-equiv="Content-Security-Policy" content="{policy}">'
        return output[: match.end()] + meta + output[match.end() :], resources
