"""A real browser against the live server: Debian's chromium driven by Playwright.

Playwright never downloads a browser here: it launches /usr/bin/chromium (apt package
`chromium`). Set PANEL_SCREENSHOTS to a folder to save the docs' screenshots there.
"""

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright import sync_api

CHROMIUM = os.environ.get("PANEL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator["sync_api.Browser"]:
    # `make test` installs chromium; a missing browser is a broken setup, not a reason to skip.
    assert shutil.which(CHROMIUM), f"no chromium at {CHROMIUM} (apt-get install chromium)"
    # Playwright's sync API runs an event loop in this thread; while it runs Django refuses
    # the tests' own ORM calls (fixtures, assertions). There is no real async code here.
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if saved is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


@pytest.fixture
def page(browser, live_server) -> Iterator["sync_api.Page"]:
    """A fresh browser profile per test: no cookies, empty localStorage. Script errors fail the
    test, and so does anything the Content-Security-Policy refused (Chromium says so on the console)."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(5000)
    page = context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    csp_violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            csp_violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert not script_errors, script_errors
    assert not csp_violations, csp_violations


@pytest.fixture
def log_in(page) -> Callable[[object], "sync_api.Page"]:
    def log_in(persona) -> "sync_api.Page":
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(persona.user.username)
        page.get_by_label("Password").fill(persona.user.username)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/")
        return page

    return log_in


@pytest.fixture
def screenshot() -> Callable[["sync_api.Page", str], None]:
    folder = os.environ.get("PANEL_SCREENSHOTS")

    def screenshot(page, name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / name))

    return screenshot
