"""The site in a real headless Chromium, served by our server over loopback."""

from __future__ import annotations

import shutil
import time

import pytest
from conftest import require
from publish_support import Server, make_show

from audio.publish.build import publish_site
from audio.publish.serve import make_app
from audio.show import load_show

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture
def browser(tmp_path):
    require(CHROMIUM is not None and CHROMEDRIVER is not None,
            "Chromium is not installed (apt-get install chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        require(False, "selenium is not installed (pip install -e .[test])")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--mute-audio", "--autoplay-policy=no-user-gesture-required",
                 f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _wait(driver, script: str, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {script}")


def _errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def test_pages_load_cleanly_and_chapters_seek_the_player(browser, tmp_path):
    from selenium.webdriver.common.by import By

    show = load_show(make_show(tmp_path / "show"))
    publish_site(show)
    with Server(make_app(show.site_dir)) as server:
        browser.get(f"{server.url}/")
        assert browser.title == "Interconnects Audio Essays"
        links = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "ol.episodes a")]
        assert links == ["The third post", "Second: “quotes” & ampersands", "The first post"]
        assert _wait(browser, "const i = document.querySelector('header img'); return i.complete && i.naturalWidth")
        assert _errors(browser) == []

        browser.find_element(By.LINK_TEXT, "Second: “quotes” & ampersands").click()
        _wait(browser, "return document.getElementById('player').readyState >= 1")
        assert browser.execute_script("return document.getElementById('player').duration") == pytest.approx(5, abs=0.2)
        chapters = browser.find_elements(By.CSS_SELECTOR, "ol.chapters a")
        assert [c.text for c in chapters] == ["0:00 Introduction", "0:02 The argument"]
        # A real click, then the player's time read at once (it starts playing from there).
        chapters[1].click()
        assert _wait(browser, "const t = document.getElementById('player').currentTime; return t >= 2.5 && t") < 3.0
        click = "arguments[0].click(); return document.getElementById('player').currentTime"
        assert browser.execute_script(click, chapters[0]) == 0
        assert browser.execute_script(click, chapters[1]) == pytest.approx(2.5)
        # Transcript sentences seek too; the VTT is loaded as the player's track.
        sentence = browser.find_elements(By.CSS_SELECTOR, ".transcript span[data-start]")[1]
        assert browser.execute_script(click, sentence) == pytest.approx(2.5)
        cues = _wait(browser, "const t = document.getElementById('player').textTracks[0];"
                              "t.mode = 'hidden'; return t.cues && t.cues.length")
        assert cues == 2
        assert _errors(browser) == []
