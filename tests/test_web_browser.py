"""The subscriber pages in a real browser: headless Chromium (Debian's), driven by
Playwright. Sign up, confirm from the mail, change the send time from a digest's link, and
unsubscribe with the button; the store is checked after each step.

Skipped, with the reason, only where no Chromium is installed (`.ci/run` installs it).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from digest.models import Subscriber
from digest.pipeline import run_once

from .test_render_browser import FLAGS
from .test_web import Site, deliver_digest, link_in, site, status  # noqa: F401 (fixture)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed here")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    with sync_playwright() as playwright:
        # The pages are on 127.0.0.1; Chromium resolves no name and reaches nothing else.
        args = [flag for flag in FLAGS if flag != "--headless" and "resolver" not in flag]
        args.append("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(timezone_id="Europe/Berlin", locale="en-GB")
    try:
        yield context.new_page()
    finally:
        context.close()


def test_sign_up_and_confirm_from_the_mail(site: Site, page: Page) -> None:  # noqa: F811
    page.goto(f"{site.url}/subscribe")
    assert page.locator("#timezone").input_value() == "Europe/Berlin"  # the browser's zone
    page.fill("#email", "new.reader@example.org")
    page.fill("#name", "New Reader")
    page.fill("#at", "06:30")
    page.check("input[value=Notes]")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-subscribe.png"), full_page=True)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Check your inbox")
    assert status(site, "new.reader@example.org") == "pending"
    mail = site.mail("new.reader@example.org")
    assert str(mail["Subject"]) == "Confirm your subscription to Demo digest"
    page.goto(link_in(mail, "confirm"))
    assert status(site, "new.reader@example.org") == "pending"  # opening the link is not enough
    page.click("button:has-text('Confirm')")
    page.wait_for_selector("text=You are subscribed")
    page.screenshot(path=str(ARTIFACTS / "web-confirmed.png"))
    with site.store() as store:
        stored = store.subscriber("new.reader@example.org")
    assert stored is not None
    reader = stored.subscriber
    assert (reader.status, reader.timezone) == ("active", "Europe/Berlin")
    assert reader.send_at == time(6, 30)
    assert reader.sources == ("Notes",)
    assert stored.origin == "web"


def test_change_the_send_time_from_a_digests_link(site: Site, page: Page) -> None:  # noqa: F811
    with site.store() as store:
        pat = Subscriber("pat@example.org", timezone="Europe/Berlin")
        store.save_subscriber(pat, origin="cli", when=datetime.now(UTC))
        run_once(site.config, store, now=datetime.now(UTC))
    digest = site.mail("pat@example.org")
    page.goto(link_in(digest, "preferences"))
    assert page.locator("#at").input_value() == "07:00"
    page.fill("#at", "18:45")
    page.click("input[value=weekly]")
    page.select_option("#weekday", "friday")
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=Saved")
    with site.store() as store:
        stored = store.subscriber("pat@example.org")
    assert stored is not None
    assert (stored.subscriber.send_at, stored.subscriber.weekly_on) == (time(18, 45), 4)


def test_unsubscribe_with_the_button(site: Site, page: Page) -> None:  # noqa: F811
    digest = deliver_digest(site)
    page.goto(link_in(digest, "unsubscribe"))
    assert status(site, "reader@example.org") == "active"
    page.click("button:has-text('Unsubscribe')")
    page.wait_for_selector("text=You are unsubscribed")
    assert status(site, "reader@example.org") == "unsubscribed"
