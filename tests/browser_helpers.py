"""What the browser tests share: Debian's chromium, and the EM explorer inside a page.

``tests/test_browser.py`` (the explorer in JupyterLab) and ``tests/test_voila.py`` (the
explorer as a Voila app) both find the explorer's parts the way a user would, by their
visible labels, and move its sliders with the keyboard.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, Playwright, expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Generous: two cores shared with other jobs, first kernel start imports matplotlib.
WAIT_MS = 180_000
# The explorer's notebook output: the one output area that holds a slider.
OUTPUT = ".jp-OutputArea-output:has(.widget-slider)"
IMAGE = f"{OUTPUT} img[src^='data:image/png;base64,']"
# Each slider sits in a row with a labelled number box, and is found by that visible
# label, as a user would find it.
ITERATION_LABEL = re.compile(r"^\s*EM step\s*$", re.IGNORECASE)
K_LABEL = re.compile(r"^\s*Components K\s*$", re.IGNORECASE)


class Server(Protocol):
    """What :class:`Explorer` needs of the server behind the page, for diagnostics."""

    log_path: Path

    def log_tail(self, n_chars: int = 4000) -> str: ...


def require_chromium() -> None:
    """Fail (never skip) when Debian's chromium is missing."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's chromium. Install it with "
            "`sudo apt-get install chromium` (`python3 run.py test` does this when run as root).",
            pytrace=False,
        )


def launch_chromium(playwright: Playwright, tmp: Path):
    """Headless Debian chromium with a fresh profile in ``tmp``; returns the browser context."""
    return playwright.chromium.launch_persistent_context(
        user_data_dir=str(tmp / "chromium-profile"),  # fresh profile every run
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 1200},
        timeout=WAIT_MS,
    )


class Explorer:
    """The page, and handles on the explorer's parts inside it."""

    def __init__(self, page: Page, server: Server, tmp: Path) -> None:
        self.page = page
        self.server = server
        self.tmp = tmp

    @property
    def output(self) -> Locator:
        return self.page.locator(OUTPUT)

    @property
    def image(self) -> Locator:
        return self.page.locator(IMAGE)

    def _labelled_number(self, label: re.Pattern) -> Locator:
        return self.page.get_by_label(label).and_(self.page.locator("input[type=number]"))

    def number_input(self, label: re.Pattern) -> Locator:
        """The labelled number box (BoundedIntText) whose label matches ``label``."""
        return self.output.locator(self._labelled_number(label))

    def row(self, label: re.Pattern) -> Locator:
        """The explorer's row (HBox) holding that number box and its paired slider."""
        return self.output.locator(".widget-hbox").filter(has=self._labelled_number(label))

    def handle(self, label: re.Pattern) -> Locator:
        """The slider handle (ipywidgets 8: noUiSlider's ``.noUi-handle``) paired with ``label``."""
        return self.row(label).locator(".widget-slider .noUi-handle[role=slider]")

    def expect_number_box(self, label: re.Pattern, value: int) -> None:
        """The labelled number box paired with a slider (its accessible twin) shows ``value``."""
        box = self.number_input(label)
        assert box.count() == 1, f"expected one number box labelled {label.pattern!r}, found {box.count()}"
        expect(box).to_have_value(str(value), timeout=WAIT_MS)

    def wait_idle(self) -> None:
        # The kernel status text in the status bar, not the toolbar's execution
        # indicator: the indicator reads idle before the kernel even exists.
        self.page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\|\s*Idle")).wait_for(
            timeout=WAIT_MS
        )

    def diagnose(self, name: str) -> str:
        """Save a full-page screenshot and the server log; return where they are."""
        shot = self.tmp / f"{name}-failure.png"
        try:
            self.page.screenshot(path=shot, full_page=True)
        except PlaywrightError as exc:
            return f"(no screenshot: {exc})"
        return f"page screenshot: {shot}; server log: {self.server.log_path}\n{self.server.log_tail(2000)}"


def move_with_keyboard(ex: Explorer, label: re.Pattern) -> tuple[int, int]:
    """Focus the slider paired with ``label``, press one arrow key; return (old, expected new)."""
    handle = ex.handle(label)
    assert handle.count() == 1, f"expected one slider labelled {label.pattern!r}, found {handle.count()}"
    old = round(float(handle.get_attribute("aria-valuenow")))
    top = round(float(handle.get_attribute("aria-valuemax")))
    key, new = ("ArrowRight", old + 1) if old < top else ("ArrowLeft", old - 1)
    handle.focus()
    ex.page.keyboard.press(key)
    return old, new
