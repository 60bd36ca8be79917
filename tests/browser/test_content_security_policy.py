"""The Content-Security-Policy in a real browser: the panel works under it, and it bites."""

import pytest
from playwright.sync_api import expect

from custom_models.services import custom_model_create

pytestmark = pytest.mark.integration


def test_the_browser_refuses_a_script_that_is_not_a_file_of_the_site(browser, live_server, owner):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto("/accounts/login/")
    # What an injected <script> (a stored XSS) would do: the policy stops it.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        " document.head.appendChild(s); }"
    )
    assert page.evaluate("window.injected") is None
    assert any("Content Security Policy" in text for text in console), console
    context.close()


def test_polls_wait_while_the_tab_is_hidden(owner, log_in):
    custom_model_create(organisation=owner.organisation, name="Cardiology EN", language="en", by=owner.user)
    page = log_in(owner)
    page.goto("/custom-models/")
    page.get_by_role("dialog", name="Getting Started with Custom Models").get_by_role(
        "button", name="Got it"
    ).click()
    polls: list[str] = []
    page.on(
        "request",
        lambda request: polls.append(request.url) if "/custom-models/rows/" in request.url else None,
    )

    def become(state: str) -> None:
        page.evaluate(
            "state => { const visibility = {value: state, configurable: true};"
            " Object.defineProperty(document, 'visibilityState', visibility);"
            "  document.dispatchEvent(new Event('visibilitychange')); }",
            state,
        )

    become("hidden")
    page.wait_for_timeout(300)
    assert polls == []
    with page.expect_response("**/custom-models/rows/"):
        become("visible")
    expect(page.get_by_role("row", name="Cardiology EN")).to_be_visible()
