"""Browser journeys: Playwright for Python driving Debian's chromium against a live server.

Written as given/when/then steps; every page visited is checked with axe-core (vendored from the
npm registry in tests/browser/vendor/) and saved as a screenshot in test-artifacts/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
CHROMIUM = os.environ.get("FOLLICLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    # Playwright's sync API runs an event loop; Django's async-safety check must not trip on it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    # bypass_csp only lets the test inject axe-core; the application's own policy is tested elsewhere.
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.js_errors = errors
    yield page
    context.close()


class Journey:
    """Helpers shared by the journeys."""

    def __init__(self, page, name: str):
        self.page = page
        self.name = name
        self.shot = 0
        ARTIFACTS.mkdir(exist_ok=True)

    def screenshot(self, label: str) -> Path:
        self.shot += 1
        path = ARTIFACTS / f"{self.name}-{self.shot:02d}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def check_accessibility(self) -> None:
        """No serious or critical axe-core violations on the current page."""
        self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        serious = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])}× e.g. {v['nodes'][0]['target']})"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], f"accessibility violations on {self.page.url}: {serious}"

    def assert_no_js_errors(self) -> None:
        assert self.page.js_errors == [], self.page.js_errors

    def sign_in(self, username: str, password: str = "follicle-demo") -> None:
        self.page.goto("/accounts/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.locator("main").get_by_role("button", name="Sign in").click()
        self.page.wait_for_url("**/")


@pytest.fixture
def journey(page, request):
    return Journey(page, request.node.name.removeprefix("test_"))
