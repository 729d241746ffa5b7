"""The site in a real headless Chromium, served by our server over loopback: one browser
for the module, pages checked at a phone's width (390 px) and a desktop's (1280 px) through
element rectangles and screenshots."""

from __future__ import annotations

import io

import pytest
from browser_support import browser_fixture  # noqa: F401 (the browser fixture)
from browser_support import errors as _errors
from browser_support import wait as _wait
from PIL import Image
from publish_support import Server, make_episode, make_show
from starlette.staticfiles import StaticFiles

from audio.publish.build import publish_site
from audio.publish.serve import make_app
from audio.show import load_show


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


# --- the site as listeners see it, at a phone's width and a desktop's ----------------------------

WIDTHS = {390: 844, 1280: 800}  # viewport width -> height, CSS pixels
LISTED = ('[publish.listen_on]\napple = "https://podcasts.apple.com/us/podcast/x/id1"\n'
          'spotify = "https://open.spotify.com/show/2x3y"\npocket_casts = "https://pca.st/abcd"\n')
LONG_SECONDS = 80  # one sentence a second
LONG_TEXTS = tuple(
    f"Sentence {i} of the long post goes on about sticky players, deep links and transcripts that follow the "
    f"voice, long enough to wrap on a phone." for i in range(LONG_SECONDS)
)
# An element's box, whether it is shown, and whether it is on top at the middle of its first
# line box (an inline sentence spread over lines may not be at the middle of its whole box).
RECT = """const r = arguments[0].getBoundingClientRect(), s = getComputedStyle(arguments[0]);
const first = arguments[0].getClientRects()[0] || r;
const hit = document.elementFromPoint(first.left + first.width / 2, first.top + first.height / 2);
return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,
        shown: s.visibility === 'visible' && s.display !== 'none' && r.width > 0 && r.height > 0,
        on_top: hit !== null && (arguments[0] === hit || arguments[0].contains(hit))};"""
# The transcript's sentences (its timestamp links are not), and the index of the one marked
# as being spoken (-1: none), as an expression.
SENTENCES = ".transcript [data-start]:not(a)"
CURRENT = (f"[...document.querySelectorAll('{SENTENCES}')]"
           ".indexOf(document.querySelector('.transcript .is-current'))")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The sample show with every "Listen on" link and an 80-sentence episode, served."""
    folder = make_show(tmp_path_factory.mktemp("site") / "show", extra=LISTED)
    make_episode(folder / "rendered", "long-post", "A long post", "2025-08-01T09:00:00+00:00",
                 seconds=float(LONG_SECONDS), texts=LONG_TEXTS)
    show = load_show(folder)
    publish_site(show)
    with Server(make_app(show.site_dir)) as server:
        yield server.url


@pytest.fixture
def viewport(browser):
    def resize(width: int) -> None:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": WIDTHS[width], "deviceScaleFactor": 1, "mobile": width < 600})
    yield resize
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _rect(driver, element) -> dict:
    return driver.execute_script(RECT, element)


def _in_viewport(driver, rect: dict) -> bool:
    width, height = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    return rect["left"] >= 0 and rect["top"] >= 0 and rect["right"] <= width and rect["bottom"] <= height


def _overlap(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def _assert_laid_out(driver, elements: dict) -> dict[str, dict]:
    """Each element shown, inside the viewport, on top at its centre and clear of the others."""
    rects = {name: _rect(driver, element) for name, element in elements.items()}
    for name, rect in rects.items():
        assert rect["shown"] and rect["on_top"] and _in_viewport(driver, rect), (name, rect)
    names = list(rects)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not _overlap(rects[a], rects[b]), (a, rects[a], b, rects[b])
    return rects


def _colours(png: bytes, rect: dict) -> int:
    """How many colours the screenshot has inside ``rect`` (a blank region has one)."""
    with Image.open(io.BytesIO(png)) as image:
        region = image.convert("RGB").crop((int(rect["left"]) + 1, int(rect["top"]) + 1,
                                            int(rect["right"]) - 1, int(rect["bottom"]) - 1))
        return len(region.getcolors(maxcolors=1 << 20) or [])


def _screenshot(driver, path) -> bytes:
    png = driver.get_screenshot_as_png()
    path.write_bytes(png)
    return png


def _no_horizontal_scroll(driver) -> bool:
    return driver.execute_script("const d = document.documentElement; return d.scrollWidth <= d.clientWidth")


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_artwork_listen_on_links_and_a_sticky_player_at_phone_and_desktop_widths(browser, site, viewport,
                                                                                tmp_path, width):
    from selenium.webdriver.common.by import By

    viewport(width)
    browser.get(f"{site}/")
    _wait(browser, "const i = document.querySelector('img.artwork'); return i.complete && i.naturalWidth")
    assert browser.execute_script("return window.innerWidth") == width
    find = browser.find_element
    rects = _assert_laid_out(browser, {"artwork": find(By.CSS_SELECTOR, "img.artwork"), "title": find(By.TAG_NAME, "h1"),
                                       "listen on": find(By.CSS_SELECTOR, "nav.listen-on")})
    links = browser.find_elements(By.CSS_SELECTOR, "nav.listen-on a")
    assert [a.text for a in links] == ["Apple Podcasts", "Spotify", "Pocket Casts", "RSS"]
    assert all(_rect(browser, a)["shown"] and _in_viewport(browser, _rect(browser, a)) for a in links)
    assert _no_horizontal_scroll(browser)
    png = _screenshot(browser, tmp_path / f"index-{width}.png")
    assert _colours(png, rects["artwork"]) > 50  # the artwork drawn, not an empty box

    browser.get(f"{site}/episodes/long-post.html")
    _wait(browser, "const i = document.querySelector('img.artwork'); return i.complete && i.naturalWidth")
    _wait(browser, "return document.getElementById('player').readyState >= 1")
    bar = find(By.CSS_SELECTOR, ".player-bar")
    rects = _assert_laid_out(browser, {
        "artwork": find(By.CSS_SELECTOR, "img.artwork"), "title": find(By.TAG_NAME, "h1"), "player": bar,
        "listen on": find(By.CSS_SELECTOR, "nav.listen-on"),
    })
    assert _no_horizontal_scroll(browser)
    png = _screenshot(browser, tmp_path / f"episode-{width}.png")
    assert _colours(png, rects["artwork"]) > 50

    # Down at the end of a long transcript, the player is still there, on top, and drawn.
    browser.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")
    _wait(browser, "return window.scrollY > 2 * window.innerHeight")
    last = browser.find_elements(By.CSS_SELECTOR, SENTENCES)[-1]
    rects = _assert_laid_out(browser, {"player": bar, "last sentence": last})
    assert not _in_viewport(browser, _rect(browser, find(By.CSS_SELECTOR, "img.artwork")))
    png = _screenshot(browser, tmp_path / f"episode-{width}-scrolled.png")
    assert _colours(png, rects["player"]) > 5  # the player's controls, not an empty bar
    assert _no_horizontal_scroll(browser)
    assert _errors(browser) == []


def test_deep_links_seek_and_the_transcript_follows_the_voice(browser, site, viewport, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    viewport(1280)
    player = "document.getElementById('player')"
    in_band = ("const c = document.querySelector('.transcript .is-current'); if (!c) return false;"
               "const r = c.getBoundingClientRect(), bar = document.querySelector('.player-bar').getBoundingClientRect();"
               "return r.top >= bar.bottom && r.bottom <= window.innerHeight")
    # Opened at 0:30: the player is there, and so is the sentence being spoken.
    browser.get(f"{site}/episodes/long-post.html#t=0:30")
    assert _wait(browser, f"return {player}.readyState >= 1 && {player}.currentTime") == pytest.approx(30)
    assert _wait(browser, f"return {CURRENT} === 30")
    assert _wait(browser, in_band)
    # Another time in the address (seconds, then h:mm:ss) seeks again.
    for fragment, seconds in (("#t=41", 41), ("#t=0:00:52.5", 52.5), ("#t=1:05", 65)):
        browser.execute_script("window.location.hash = arguments[0]", fragment)
        assert _wait(browser, f"return {player}.currentTime === {seconds}"), fragment
        assert _wait(browser, f"return {CURRENT} === {int(seconds)}"), fragment
        assert _wait(browser, in_band), fragment
    _screenshot(browser, tmp_path / "deep-link.png")

    # A listener reading along: playing from a sentence near the bottom, the page follows.
    sentences = browser.find_elements(By.CSS_SELECTOR, SENTENCES)
    browser.execute_script("arguments[0].scrollIntoView({block: 'end'}); window.scrollBy(0, 60)", sentences[10])
    before = browser.execute_script("return window.scrollY")
    sentences[10].click()
    assert _wait(browser, f"return !{player}.paused && {CURRENT} >= 16")
    assert _wait(browser, in_band)
    assert _wait(browser, f"return window.scrollY > {before}")  # scrolling is asynchronous: a busy machine lags
    _screenshot(browser, tmp_path / "following.png")

    # Once the listener scrolls away, the page stays where they put it while the voice goes on.
    settled = "const y = window.scrollY; return new Promise(done => setTimeout(() => done(window.scrollY === y), 300))"
    _wait(browser, settled)  # the page's own smooth scroll has ended (a busy machine lags), then the listener's
    ActionChains(browser).scroll_by_amount(0, -1500).perform()
    _wait(browser, settled)
    away, spoken = browser.execute_script("return window.scrollY"), browser.execute_script(f"return {CURRENT}")
    assert _wait(browser, f"return {CURRENT} >= {spoken + 3}")
    assert browser.execute_script("return window.scrollY") == away
    assert not browser.execute_script(in_band)
    browser.execute_script(f"{player}.pause()")
    assert browser.execute_script("return document.querySelectorAll('.transcript .is-current').length") == 1
    assert _errors(browser) == []


def test_the_embeddable_player_plays_inside_another_site(browser, site, viewport, tmp_path):
    from selenium.webdriver.common.by import By

    viewport(1280)
    host = tmp_path / "host"
    host.mkdir()
    (host / "index.html").write_text(
        f'<!DOCTYPE html><title>Elsewhere</title>'
        f'<iframe id="embed" src="{site}/embed/second-post.html" width="480" height="160"></iframe>'
        f'<iframe id="page" src="{site}/episodes/second-post.html" width="480" height="160"></iframe>',
        encoding="utf-8")
    with Server(StaticFiles(directory=host, html=True)) as elsewhere:
        browser.get(f"{elsewhere.url}/")
        browser.switch_to.frame(browser.find_element(By.ID, "embed"))
        try:
            _wait(browser, "return document.getElementById('player').readyState >= 1")
            _wait(browser, "const i = document.querySelector('img.artwork'); return i.complete && i.naturalWidth")
            rects = _assert_laid_out(browser, {"artwork": browser.find_element(By.CSS_SELECTOR, "img.artwork"),
                                               "title": browser.find_element(By.CSS_SELECTOR, ".title"),
                                               "player": browser.find_element(By.ID, "player")})
            assert rects["artwork"]["bottom"] <= 160 and rects["player"]["right"] <= 480
            assert _no_horizontal_scroll(browser)
        finally:
            browser.switch_to.default_content()
        _screenshot(browser, tmp_path / "embedded.png")
        # The episode page itself may not be framed: only the embeddable player may.
        refused = [m for m in _errors(browser) if "frame-ancestors" in m]
        assert len(refused) == 1 and "'none'" in refused[0]
