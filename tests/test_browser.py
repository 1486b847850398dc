"""The EM explorer in a real JupyterLab, driven by a real headless chromium.

The chromium set-up, the explorer's locators and the keyboard helper live in
``browser_helpers.py`` (shared with ``test_voila.py``). One JupyterLab server
(started here, see ``lab_server.py``) and one browser page are
shared by the tests of this module: the page opens a temporary notebook that shows
``gmm_lesson.widgets.EMExplorer`` on the Iris sepal data, runs it through
JupyterLab's own "Run All Cells" menu, and then

* moves the iteration slider with the keyboard and checks that the figure was
  redrawn (new ``<img>`` source, alt text naming the new step);
* moves the K slider with the keyboard and checks the refit figure names the new K;
* runs axe-core on the explorer's output and fails on any serious or critical
  accessibility violation.

The explorer's screenshot is saved in the test's temporary directory; set
``GMM_LESSON_SCREENSHOT=docs/explorer-screenshot.png`` to refresh the docs image.
Debian's chromium at /usr/bin/chromium is required: without it these tests FAIL.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import nbgrader_helpers as h
import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_helpers import (
    IMAGE,
    ITERATION_LABEL,
    K_LABEL,
    OUTPUT,
    WAIT_MS,
    Explorer,
    launch_chromium,
    move_with_keyboard,
    require_chromium,
)
from lab_server import LabServer
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

NOTEBOOK = "explorer.ipynb"

EXPLORER_CELLS = [
    "from gmm_lesson import data\nfrom gmm_lesson.widgets import EMExplorer",
    "X = data.load_iris_sepal()\nexplorer = EMExplorer(X, max_components=8, max_iter=50, seed=0)",
    "explorer",
]


def write_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(src) for src in EXPLORER_CELLS]
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def explorer(tmp_path_factory, request) -> Explorer:
    require_chromium()
    tmp = tmp_path_factory.mktemp("browser")
    server = LabServer(tmp / "lab")
    request.addfinalizer(server.stop)
    server.root_dir.mkdir(parents=True)
    # A fresh notebook in the server's temporary root: outputs never reach lesson files.
    write_notebook(server.root_dir / NOTEBOOK)
    server.start()

    playwright = sync_playwright().start()
    request.addfinalizer(playwright.stop)
    context = launch_chromium(playwright, tmp)
    request.addfinalizer(context.close)
    page = context.pages[0] if context.pages else context.new_page()
    page.set_default_timeout(WAIT_MS)
    ex = Explorer(page, server, tmp)

    try:
        # ?reset: start from an empty layout, whatever a workspace remembered.
        page.goto(server.lab_url(NOTEBOOK), timeout=WAIT_MS)
        ex.wait_idle()
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        ex.image.wait_for(state="visible", timeout=WAIT_MS)
        ex.wait_idle()
    except PlaywrightError as exc:
        pytest.fail(f"the explorer never rendered: {exc}\n{ex.diagnose('setup')}", pytrace=False)
    # Warnings on stderr are allowed; a traceback is not.
    tracebacks = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
    assert tracebacks.count() == 0, "the notebook raised:\n" + "\n".join(tracebacks.all_inner_texts())
    return ex


def test_keyboard_moves_iteration_and_redraws_figure(explorer: Explorer):
    ex = explorer
    before_src = ex.image.get_attribute("src")
    before_alt = ex.image.get_attribute("alt")
    old, new = move_with_keyboard(ex, ITERATION_LABEL)

    handle = ex.handle(ITERATION_LABEL)
    try:
        ex.page.wait_for_function(
            "([sel, src]) => { const i = document.querySelector(sel); return i && i.src !== src; }",
            arg=[IMAGE, before_src],
            timeout=WAIT_MS,
        )
    except PlaywrightError as exc:
        pytest.fail(f"figure not redrawn after the key press: {exc}\n{ex.diagnose('iteration')}")
    after_alt = ex.image.get_attribute("alt")

    assert round(float(handle.get_attribute("aria-valuenow"))) == new
    assert ex.image.get_attribute("src") != before_src
    assert after_alt != before_alt
    assert re.search(rf"\bstep {new}\b", after_alt), (old, new, before_alt, after_alt)
    # The paired, labelled number box follows the slider.
    ex.expect_number_box(ITERATION_LABEL, new)

    shot = ex.tmp / "explorer.png"
    ex.output.screenshot(path=shot)
    assert shot.stat().st_size > 10_000
    if target := os.environ.get("GMM_LESSON_SCREENSHOT"):
        shutil.copyfile(shot, target)


def test_keyboard_changes_k_and_refits(explorer: Explorer):
    ex = explorer
    before_src = ex.image.get_attribute("src")
    old, new = move_with_keyboard(ex, K_LABEL)
    try:
        ex.page.wait_for_function(
            "([sel, k]) => { const i = document.querySelector(sel); return i && i.alt.includes(k); }",
            arg=[IMAGE, f"K={new},"],
            timeout=WAIT_MS,
        )
    except PlaywrightError as exc:
        pytest.fail(f"figure never showed K={new} (was {old}): {exc}\n{ex.diagnose('k')}")
    assert ex.image.get_attribute("src") != before_src
    assert round(float(ex.handle(K_LABEL).get_attribute("aria-valuenow"))) == new
    ex.expect_number_box(K_LABEL, new)


def test_end_reaches_the_last_step_after_a_refit_grows_the_run(explorer: Explorer):
    """Iris at K=3 (the slider's first range) runs 32 steps, at K=6 44: after that refit
    End on the step slider must reach 44, where noUiSlider alone stopped at 32."""
    ex = explorer
    box = ex.number_input(K_LABEL)
    box.fill("6")
    box.press("Enter")
    handle = ex.handle(ITERATION_LABEL)
    try:
        expect(handle).to_have_attribute("aria-valuemax", re.compile(r"^44(\.0+)?$"), timeout=WAIT_MS)
        ex.wait_idle()
        handle = ex.handle(ITERATION_LABEL)
        handle.focus()
        ex.page.keyboard.press("End")
        ex.expect_number_box(ITERATION_LABEL, 44)
    except (PlaywrightError, AssertionError) as exc:
        pytest.fail(f"End did not reach step 44 after the refit: {exc}\n{ex.diagnose('end')}")
    assert round(float(ex.handle(ITERATION_LABEL).get_attribute("aria-valuenow"))) == 44
    ex.page.wait_for_function(
        "([sel, s]) => { const i = document.querySelector(sel); return i && i.alt.includes(s); }",
        arg=[IMAGE, "step 44 of 44"], timeout=WAIT_MS)


def test_axe_finds_no_serious_violations_in_explorer(explorer: Explorer):
    ex = explorer
    axe = Axe()
    # The whole page is recorded for the report but not asserted on: JupyterLab 4.6's
    # own chrome (and the nbgrader toolbar button) fails axe-core 4.12 rules we do not
    # control: aria-allowed-attr (critical: toolbar jp-buttons "Upload Files", the file
    # filter toggle, nbgrader's .validate-button, .jp-DebuggerBugButton),
    # aria-required-children (critical: .jp-WindowedPanel-viewport),
    # aria-input-field-name (serious: CodeMirror's .cm-content) and region (moderate:
    # .jp-skiplink-wrapper). So the assertion is scoped to the explorer's output.
    whole = axe.run(ex.page)
    (ex.tmp / "axe-whole-page.json").write_text(json.dumps(whole.response["violations"], indent=1))

    scoped = axe.run(ex.page, context={"include": [[OUTPUT]]})
    (ex.tmp / "axe-explorer.json").write_text(json.dumps(scoped.response, indent=1))
    examined = {rule["id"] for kind in ("passes", "violations") for rule in scoped.response[kind]}
    # The rules that matter for the explorer's parts must have found something to check:
    # the figure's <img>, the labelled number boxes, the slider handles, the Play buttons.
    missing = {"image-alt", "label", "aria-input-field-name", "button-name"} - examined
    assert not missing, f"axe found nothing to check for {sorted(missing)}: is the explorer on the page?"
    # ipywidgets 8.1 gives slider handles (.noUi-handle) and the Play widget's icon
    # buttons no accessible name and has no trait for one (jupyter-widgets/ipywidgets#2650):
    # the explorer has to name them itself, or this fails on aria-input-field-name and
    # button-name.
    bad = [v for v in scoped.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, scoped.generate_report()


def test_lesson_figures_reach_a_screen_reader_in_jupyterlab(explorer: Explorer, tmp_path):
    """gmm_basics executed outside the browser (so JupyterLab opens it untrusted and sanitises
    its HTML), then rendered: every figure is an <img> whose alt is the description the
    kernel computed, and axe-core's image-alt rule passes on each."""
    course = h.copy_course(tmp_path / "course")
    nb = h.execute(course / "source" / "gmm_basics" / "gmm_basics.ipynb")
    expected = [out.data["text/plain"] for cell in nb.cells for out in cell.get("outputs", [])
                if "data:image/png" in out.get("data", {}).get("text/html", "")]
    assert len(expected) == 3
    nbformat.write(nb, explorer.server.root_dir / "gmm_basics.ipynb")
    page = explorer.page.context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(explorer.server.lab_url("gmm_basics.ipynb"), timeout=WAIT_MS)
        images = page.locator(".jp-OutputArea-output img[src^='data:image/png;base64,']")
        expect(images).to_have_count(3, timeout=WAIT_MS)
        alts = [images.nth(i).get_attribute("alt") for i in range(3)]
        assert alts == expected
        assert not any(a.startswith("<Figure") or a == "Image" for a in alts)
        axe = Axe()
        scoped = axe.run(page, context={"include": [[".jp-OutputArea-output:has(img)"]]},
                         options={"runOnly": ["image-alt"]})
        (explorer.tmp / "axe-lesson-figures.json").write_text(json.dumps(scoped.response, indent=1))
        passed = [rule for rule in scoped.response["passes"] if rule["id"] == "image-alt"]
        assert passed and len(passed[0]["nodes"]) == 3, scoped.response["passes"]
        assert scoped.response["violations"] == [], scoped.generate_report()
    finally:
        page.close()


def test_check_my_work_cell_grades_the_saved_exercise_in_jupyterlab(explorer: Explorer, tmp_path):
    """The in-Lab route of ``gmm-check`` (issue 16): an exercise notebook made as ``run.py
    lab`` makes it (nbgrader's student version plus the "Check my work" last cell), with
    every answer right but question 1's letter wrong, opened in JupyterLab and run by its
    own Run menu; the last cell's output is the checker's table for the saved file: q1 is
    "not yet" with its hint, every other item right, the total one point short."""
    import importlib.util
    import tomllib

    spec = importlib.util.spec_from_file_location("gmm_run_for_browser", h.ROOT / "run.py")
    run_py = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_py)
    em = "em_step_by_step"
    course = h.copy_course(tmp_path / "course")
    release = tmp_path / "release"
    h.nbgrader(["generate_assignment", em, "--no-db", f"--CourseDirectory.release_directory={release}"],
               cwd=course, env=h.nbgrader_env(tmp_path))
    source = h.read(h.source_notebook_path(em))
    student = h.fill_solutions(h.read(release / em / f"{em}.ipynb"), source,
                               {"answer_q1": 'answer_q1 = "A"'})
    folder = explorer.server.root_dir / em
    folder.mkdir()
    nbformat.write(student, folder / f"{em}.ipynb")  # the learner's saved file
    run_py.add_check_cell(folder / f"{em}.ipynb")
    points = h.autograded_points(source)
    hint = tomllib.loads((h.COURSE / "quiz" / f"{em}.toml").read_text())["test_q1"]["hint"]
    page = explorer.page.context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(explorer.server.lab_url(f"{em}/{em}.ipynb"), timeout=WAIT_MS)
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=WAIT_MS)
        page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\|\s*Idle")).wait_for(timeout=WAIT_MS)
        page.locator(".jp-Notebook .jp-Cell").first.click()  # the notebook is the current widget
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        cells = page.locator(".jp-Notebook .jp-Cell")
        check_cell = cells.filter(has_text="# Check my work (not graded)")
        output = check_cell.locator(".jp-OutputArea-output").filter(has_text="(graded: the saved files")
        try:
            expect(output).to_have_count(1, timeout=int(os.environ.get("GMM_CHECK_WAIT_MS", 300_000)))
        except AssertionError:
            tail = [cells.nth(i).text_content() for i in range(max(cells.count() - 3, 0), cells.count())]
            raise AssertionError("no checker output; the last cells read:\n" + "\n---\n".join(tail)) from None
        assert cells.last.text_content() == check_cell.text_content()  # the notebook's last cell
        shown = output.text_content()
        total = sum(points.values())
        assert "total" in shown and f"{total - points['test_q1']:g}/{total:g}" in shown, shown
        q1 = next(line for line in shown.splitlines() if line.strip().startswith("test_q1 "))
        assert "not yet: " in q1 and hint in q1, q1
        for gid in points:
            if gid != "test_q1":
                row = next(line for line in shown.splitlines() if line.strip().startswith(f"{gid} "))
                assert row.rstrip().endswith("right"), row
        assert "Traceback" not in shown
    finally:
        page.close()


SIDE_BY_SIDE_CELLS = [
    "import numpy as np\nfrom gmm_lesson import data, em\nfrom gmm_lesson.widgets import show_explorer\n"
    "X = data.standardize(data.load_old_faithful())[0]\n"
    "start = em.GMMParams([0.5, 0.5], [[-0.5, 0.5], [0.5, -0.5]], [np.eye(2), np.eye(2)])",
    "def e_step(X, params):\n    raise NotImplementedError()\n\n\n"
    "def m_step(X, resp, reg_covar=1e-6):\n    raise NotImplementedError()",
    "show_explorer(X, e_step=e_step, m_step=m_step, init=start)",
    # the library's E-step, and an M-step that gives each point to its likeliest component
    "def e_step(X, params):\n    return em.e_step(X, params)\n\n\n"
    "def m_step(X, resp, reg_covar=1e-6):\n"
    "    return em.m_step(X, np.eye(resp.shape[1])[resp.argmax(axis=1)])",
    "show_explorer(X, e_step=e_step, m_step=m_step, init=start)",
]
SIDE_BY_SIDE = ".jp-OutputArea-output:has(.gmm-side-by-side)"
SIDE_ITERATION_LABEL = re.compile(r"^\s*Iteration shown\s*$", re.IGNORECASE)


def test_your_em_beside_the_library_in_jupyterlab(explorer: Explorer):
    """Unwritten functions give a sentence and the library's curve, not a traceback; a hard-argmax
    M-step is named at its first M-step and its falling log-likelihood told; the iteration box
    redraws the picture, whose alt names the iteration; axe finds nothing serious."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"
    }
    nb.cells = [nbformat.v4.new_code_cell(src) for src in SIDE_BY_SIDE_CELLS]
    nbformat.write(nb, explorer.server.root_dir / "side_by_side.ipynb")
    page = explorer.page.context.new_page()
    page.set_default_timeout(WAIT_MS)
    ex = Explorer(page, explorer.server, explorer.tmp)
    try:
        page.goto(explorer.server.lab_url("side_by_side.ipynb"), timeout=WAIT_MS)
        ex.wait_idle()
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        outputs = page.locator(SIDE_BY_SIDE)
        expect(outputs).to_have_count(2, timeout=WAIT_MS)
        ex.wait_idle()
        tracebacks = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
        assert tracebacks.count() == 0, "\n".join(tracebacks.all_inner_texts())
        stub, hard = outputs.nth(0), outputs.nth(1)
        expect(stub).to_contain_text("Your e_step is not written yet (it raises NotImplementedError)")
        stub_alt = stub.locator("img").get_attribute("alt")
        assert "library through 31 points" in stub_alt and "yours through" not in stub_alt
        expect(hard).to_contain_text("First difference: iteration 1, M-step.")
        expect(hard).to_contain_text("Your log-likelihood went down at iterations 2, 3")
        image = hard.locator("img")
        before = image.get_attribute("src")
        assert "after iteration 30" in image.get_attribute("alt")
        box = hard.locator(page.get_by_label(SIDE_ITERATION_LABEL).and_(page.locator("input[type=number]")))
        box.fill("3")
        box.press("Enter")
        # the widget writes a new <img>: the locator finds it afresh
        expect(image).to_have_attribute("alt", re.compile(r"after iteration 3\b"), timeout=WAIT_MS)
        assert image.get_attribute("src") != before
        alt = image.get_attribute("alt")
        handle = hard.locator(".widget-slider .noUi-handle[role=slider]")
        expect(handle).to_have_attribute("aria-label", "iteration shown", timeout=WAIT_MS)
        assert "after iteration 3" in alt and "iteration shown: a vertical line at 3" in alt, alt
        hard.screenshot(path=explorer.tmp / "side-by-side.png")
        scoped = Axe().run(page, context={"include": [[SIDE_BY_SIDE]]})
        (explorer.tmp / "axe-side-by-side.json").write_text(json.dumps(scoped.response, indent=1))
        bad = [v for v in scoped.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, scoped.generate_report()
    except PlaywrightError as exc:
        pytest.fail(f"the side-by-side explorer failed in the page: {exc}\n{ex.diagnose('side-by-side')}")
    finally:
        page.close()
