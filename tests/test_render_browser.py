"""The default HTML digest in a real browser: headless Chromium at 600 px and at 360 px.

Skipped, with the reason, only where no Chromium is installed (`.ci/run` installs Debian's
`chromium` package). Screenshots are kept in tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.render.samples import sample_digest
from digest.render.templates import render_digest

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    # The pages are local files: Chromium must not look up or reach any host at all.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--no-proxy-server",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-default-browser-check",
    "--metrics-recording-only",
]
# Reports whether anything is wider than the window, once the page has laid out.
PROBE = """<script>
window.addEventListener("load", function () {
  var wide = document.documentElement.scrollWidth > window.innerWidth;
  document.body.setAttribute("data-overflow", wide ? "yes" : "no");
  document.body.setAttribute("data-width", String(document.documentElement.scrollWidth));
});
</script>"""

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed here")


def chromium(tmp_path: Path, width: int, *args: str) -> str:
    assert CHROMIUM is not None
    command = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
               f"--window-size={width},1600", *args]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=True)
    return done.stdout


@pytest.mark.parametrize("width", [600, 360])
def test_default_digest_does_not_overflow(tmp_path: Path, width: int) -> None:
    html = render_digest(sample_digest(datetime(2026, 11, 26, 7, 0, tzinfo=UTC))).html
    page = tmp_path / "digest.html"
    page.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = chromium(tmp_path, width, "--dump-dom", page.as_uri())
    found = re.search(r'data-overflow="(yes|no)" data-width="(\d+)"', dom)
    assert found is not None, "the probe did not run"
    assert found.group(1) == "no", f"{found.group(2)} px wide in a {width} px window"
    ARTIFACTS.mkdir(exist_ok=True)
    plain = tmp_path / "plain.html"
    plain.write_text(html, encoding="utf-8")
    shot = ARTIFACTS / f"digest-{width}px.png"
    chromium(tmp_path, width, f"--screenshot={shot}", plain.as_uri())
    assert shot.stat().st_size > 10_000
