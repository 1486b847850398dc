"""The explorer as a standalone Voila app: ``python3 run.py explorer``.

A real Voila server is started through the README's own command (``run.py explorer``)
on 127.0.0.1 and opened in Debian's headless chromium (helpers shared with
``test_browser.py`` in ``browser_helpers.py``). The tests check that the page shows
the explorer's controls and no code, that a key press on the EM step slider redraws
the picture, that axe-core finds no serious or critical violation on the whole page,
and that a kernel nobody is connected to is culled.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_helpers import (
    IMAGE,
    ITERATION_LABEL,
    K_LABEL,
    WAIT_MS,
    Explorer,
    launch_chromium,
    move_with_keyboard,
    require_chromium,
)
from lab_server import end_process_group, free_port
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[1]
VOILA_CONFIG = ROOT / "apps" / "voila.json"


class VoilaServer:
    """``python3 run.py explorer`` in its own process group, its Jupyter dirs in ``base``."""

    def __init__(self, base: Path, *extra: str) -> None:
        self.base = base
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = base / "voila.log"
        self.extra = extra
        self.proc: subprocess.Popen | None = None

    def start(self) -> VoilaServer:
        self.base.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        for var, sub in {
            "JUPYTER_RUNTIME_DIR": "runtime",
            "JUPYTER_DATA_DIR": "data",
            "JUPYTER_CONFIG_DIR": "config",
            "IPYTHONDIR": "ipython",
        }.items():
            (self.base / sub).mkdir(exist_ok=True)
            env[var] = str(self.base / sub)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "run.py"),
                    "explorer",
                    "--no-browser",
                    "--Voila.ip=127.0.0.1",
                    f"--port={self.port}",
                    *self.extra,
                ],
                cwd=self.base,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"run.py explorer exited:\n{self.log_tail()}"
            # Ready when it listens (a GET of the page would already start a kernel).
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.5)
        raise TimeoutError(f"voila not listening after 240 s:\n{self.log_tail()}")

    def kernels(self) -> list[psutil.Process]:
        """The kernel processes this server started (children of its process group's leader)."""
        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        out = []
        for child in children:
            try:
                if "ipykernel_launcher" in " ".join(child.cmdline()):
                    out.append(child)
            except psutil.NoSuchProcess:
                pass
        return out

    def stop(self) -> None:
        if self.proc is None:
            return
        kernels = self.kernels()
        proc, self.proc = self.proc, None
        # SIGTERM to run.py and voila; voila shuts its kernels down on SIGTERM.
        end_process_group(proc, timeout=20)
        # Kernels run in sessions of their own: end any that voila left behind.
        _, alive = psutil.wait_procs(kernels, timeout=10)
        for kernel in alive:
            kernel.kill()

    def log_tail(self, n_chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n_chars:]
        except OSError:
            return "(no log)"


@pytest.fixture(scope="module")
def voila_page(tmp_path_factory, request) -> Explorer:
    require_chromium()
    tmp = tmp_path_factory.mktemp("voila")
    server = VoilaServer(tmp / "server")
    request.addfinalizer(server.stop)
    server.start()

    playwright = sync_playwright().start()
    request.addfinalizer(playwright.stop)
    context = launch_chromium(playwright, tmp)
    request.addfinalizer(context.close)
    page = context.pages[0] if context.pages else context.new_page()
    page.set_default_timeout(WAIT_MS)
    ex = Explorer(page, server, tmp)
    started = time.monotonic()
    try:
        page.goto(server.url, timeout=WAIT_MS)
        ex.image.wait_for(state="visible", timeout=WAIT_MS)
    except PlaywrightError as exc:
        pytest.fail(f"the Voila app never showed the explorer: {exc}\n{ex.diagnose('voila')}", pytrace=False)
    seconds = time.monotonic() - started
    (tmp / "first-render-seconds.txt").write_text(f"{seconds:.2f}\n")
    print(f"\nVoila: explorer figure visible {seconds:.2f} s after opening the page")
    return ex


def test_voila_shows_the_explorer_controls_and_no_code(voila_page: Explorer):
    page = voila_page.page
    for label in ("Data set", "Seed (initialisation)"):
        assert page.get_by_label(label).count() >= 1, f"no control labelled {label!r}"
    voila_page.expect_number_box(K_LABEL, 3)
    voila_page.expect_number_box(ITERATION_LABEL, 0)
    assert voila_page.handle(K_LABEL).count() == 1 and voila_page.handle(ITERATION_LABEL).count() == 1
    # Voila strips the sources: neither code cells nor their text reach the page.
    assert page.locator(".jp-CodeCell .jp-InputArea, .jp-InputArea-editor, .cm-editor").count() == 0
    assert "import" not in page.locator("body").inner_text()
    assert "gmm_lesson" not in page.content().split("</head>", 1)[1].replace("gmm-em-explorer", "")
    # The notebook's markdown is shown as the page's heading and title.
    assert page.get_by_role("heading", level=1).first.inner_text().startswith("EM explorer")
    assert page.title().startswith("EM explorer")


def test_voila_keyboard_moves_step_and_redraws_figure(voila_page: Explorer):
    ex = voila_page
    before_src = ex.image.get_attribute("src")
    old, new = move_with_keyboard(ex, ITERATION_LABEL)
    try:
        ex.page.wait_for_function(
            "([sel, src]) => { const i = document.querySelector(sel); return i && i.src !== src; }",
            arg=[IMAGE, before_src],
            timeout=WAIT_MS,
        )
    except PlaywrightError as exc:
        pytest.fail(f"figure not redrawn after the key press: {exc}\n{ex.diagnose('voila-step')}")
    assert f"step {new} of" in ex.image.get_attribute("alt"), (old, new)
    assert round(float(ex.handle(ITERATION_LABEL).get_attribute("aria-valuenow"))) == new
    ex.expect_number_box(ITERATION_LABEL, new)


def test_voila_page_has_no_serious_axe_violations(voila_page: Explorer):
    # Unlike JupyterLab, the Voila page is all ours: axe checks the whole page.
    result = Axe().run(voila_page.page)
    (voila_page.tmp / "axe-voila.json").write_text(json.dumps(result.response, indent=1))
    examined = {rule["id"] for kind in ("passes", "violations") for rule in result.response[kind]}
    missing = {"image-alt", "label", "aria-input-field-name", "button-name", "document-title"} - examined
    assert not missing, f"axe found nothing to check for {sorted(missing)}: is the explorer on the page?"
    bad = [v for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, result.generate_report()


def test_voila_config_culls_idle_kernels(tmp_path):
    config = json.loads(VOILA_CONFIG.read_text())
    culling = config["MappingKernelManager"]
    assert 0 < culling["cull_idle_timeout"] <= 3600 and 0 < culling["cull_interval"] <= 600
    assert config["VoilaConfiguration"]["strip_sources"] is True
    # The same settings, only shorter, on a real server: a page fetched without a
    # browser starts a kernel that nobody connects to; it must be culled.
    server = VoilaServer(
        tmp_path, "--MappingKernelManager.cull_idle_timeout=3", "--MappingKernelManager.cull_interval=1"
    )
    try:
        server.start()
        with urllib.request.urlopen(server.url, timeout=180) as reply:
            assert reply.status == 200
        assert len(server.kernels()) == 1, server.log_tail()
        deadline = time.monotonic() + 60
        while server.kernels() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert server.kernels() == [], f"idle kernel not culled in 60 s:\n{server.log_tail()}"
        assert "culling kernel" in server.log_tail(20000).lower(), server.log_tail()
    finally:
        server.stop()
