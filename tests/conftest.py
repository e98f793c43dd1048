"""The browser for every browser test in this folder."""

import pytest

from tests.browser import CHROMIUM_FLAGS, chromium_path


@pytest.fixture
def browser():
    """Debian's chromium, headless, for one test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS, headless=True)
        yield launched
        launched.close()
