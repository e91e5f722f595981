"""The web app in a real browser: Debian's headless Chromium driven by Selenium.

Loads the page served by ``samplechop serve``, shows an error for a file that is not
audio, uploads the demo sample, sees N markers and N pads, changes N and sees the
markers follow, moves a marker, downloads the kit and the label file and checks their
contents. With ``SAMPLECHOP_SCREENSHOT=path`` set it also saves a screenshot of the
page (how ``docs/web-screenshot.png`` is made).
"""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path

import pytest

from samplechop.io.resources import demo_path
from samplechop.web.app import create_app
from web_support import ThreadServer, start_server, stop_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)")]


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1280,800", "--hide-scrollbars",
                     "--autoplay-policy=no-user-gesture-required",
                     f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False,
    })
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()


def wait(condition, timeout: float = 20.0, message: str = ""):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting: {message}")
        time.sleep(0.05)


def downloaded(folder: Path, suffix: str) -> Path:
    def done():
        names = [path for path in folder.iterdir() if path.suffix == suffix]
        partial = [path for path in folder.iterdir() if path.suffix == ".crdownload"]
        return names[0] if names and not partial else None

    return wait(done, message=f"a {suffix} download")


def test_from_a_file_to_a_downloaded_kit(browser, web_model_path, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    process, address = start_server(web_model_path)
    try:
        driver = browser
        driver.get(f"{address}/")
        body = driver.find_element(By.TAG_NAME, "body")
        state = lambda: body.get_attribute("data-state")  # noqa: E731
        markers = lambda: driver.find_elements(By.CSS_SELECTOR, "#markers .marker")  # noqa: E731
        times = lambda: [float(marker.get_attribute("data-time")) for marker in markers()]  # noqa: E731
        wait(lambda: "up to 200 MB" in driver.find_element(By.ID, "limits").text, message="the config")

        # a file that does not decode: an error on the page
        junk = tmp_path / "not audio.wav"
        junk.write_bytes(b"this is not audio" * 100)
        driver.find_element(By.ID, "file").send_keys(str(junk))
        wait(lambda: state() == "error", message="the error state")
        error = driver.find_element(By.ID, "error")
        assert error.is_displayed() and "not audio.wav: not a readable audio file" in error.text

        # the demo: analysed, drawn with 16 markers and 16 pads
        driver.find_element(By.ID, "file").send_keys(str(demo_path()))
        wait(lambda: state() == "ready", timeout=30, message="the analysis")
        assert not driver.find_element(By.ID, "error").is_displayed()
        assert len(markers()) == 16 and len(driver.find_elements(By.CSS_SELECTOR, ".pad")) == 16
        assert times() == sorted(times())
        if os.environ.get("SAMPLECHOP_SCREENSHOT"):
            time.sleep(0.3)
            driver.save_screenshot(os.environ["SAMPLECHOP_SCREENSHOT"])

        # N = 8 re-selects at once
        field = driver.find_element(By.ID, "n")
        field.clear()
        field.send_keys("8")
        wait(lambda: len(markers()) == 8, message="8 markers")
        wait(lambda: "8 chops" in driver.find_element(By.ID, "select-state").text, message="the selection")
        before = times()

        # drag the third marker to the right: it moves, the chops stay sorted
        ActionChains(driver).click_and_hold(markers()[2]).move_by_offset(35, 0).release().perform()
        wait(lambda: times() != before and body.get_attribute("data-pending") == "0",
             message="the marker to move and snap to its attack")
        after = times()
        assert len(after) == 8 and after == sorted(after)
        gone, new = [t for t in before if t not in after], [t for t in after if t not in before]
        assert gone == [before[2]] and len(new) == 1 and new[0] > before[2] + 0.1

        # the kit and the label file hold the chops on the page
        driver.find_element(By.ID, "download-kit").click()
        archive = zipfile.ZipFile(downloaded(driver.downloads, ".zip"))
        assert archive.filename.endswith("demo.zip")
        names = set(archive.namelist())
        assert {f"demo/demo_chop{i:02d}.wav" for i in range(1, 9)} <= names
        assert {"demo/demo.xpm", "demo/demo.sfz", "demo/demo.mid", "demo/demo.chops.json",
                "demo/demo.txt"} <= names
        labels = [float(line) for line in archive.read("demo/demo.txt").decode().split()]
        assert labels == pytest.approx(after, abs=1e-4)
        driver.find_element(By.ID, "download-labels").click()
        text = downloaded(driver.downloads, ".txt").read_text()
        assert [float(line) for line in text.split()] == pytest.approx(after, abs=1e-4)
    finally:
        stop_server(process)


# --- the page's fixes of issue 21, against an app served in this process ---------------

@pytest.fixture
def page(browser, web_model):
    """The page of an app served in this process, the demo analysed on it: (driver, app, helpers)."""
    from selenium.webdriver.common.by import By

    app = create_app(web_model)
    with ThreadServer(app) as server:
        driver = browser
        driver.get(f"{server.address}/")
        body = driver.find_element(By.TAG_NAME, "body")
        helpers = {
            "state": lambda: body.get_attribute("data-state"),
            "markers": lambda: driver.find_elements(By.CSS_SELECTOR, "#markers .marker"),
            "pads": lambda: driver.find_elements(By.CSS_SELECTOR, ".pad"),
            "pending": lambda: body.get_attribute("data-pending") in (None, "0"),
        }
        helpers["times"] = lambda: [float(marker.get_attribute("data-time")) for marker in helpers["markers"]()]
        wait(lambda: "up to 200 MB" in driver.find_element(By.ID, "limits").text, message="the config")
        driver.find_element(By.ID, "file").send_keys(str(demo_path()))
        wait(lambda: helpers["state"]() == "ready", timeout=30, message="the analysis")
        wait(lambda: len(helpers["markers"]()) == 16, message="16 markers")
        yield driver, app, helpers


def test_superseded_uploads_are_deleted_on_the_server(page, tmp_path):
    from selenium.webdriver.common.by import By

    driver, app, helpers = page
    store = app.state.store
    copies = []
    for name in ("one", "two", "three"):
        copies.append(tmp_path / f"{name}.flac")
        copies[-1].write_bytes(demo_path().read_bytes())
    field = driver.find_element(By.ID, "file")
    field.send_keys(str(copies[0]))
    field.send_keys(str(copies[1]))  # at once: the first is still uploading
    wait(lambda: helpers["state"]() in ("analysing", "ready"), timeout=30, message="the second analysis")
    field.send_keys(str(copies[2]))  # while the second is being polled (or just done)
    wait(lambda: helpers["state"]() == "ready" and "three.flac" in driver.find_element(By.ID, "file-name").text,
         timeout=30, message="the third file")
    wait(lambda: len(store) == 1, timeout=10,
         message=f"one session left on the server: {[(s.name, s.state) for s in store._sessions.values()]}")
    (session,) = store._sessions.values()
    assert session.name == "three.flac"


def test_keys_on_focused_controls_stay_with_the_controls(page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver, _, helpers = page
    scores = driver.find_element(By.ID, "show-scores")
    assert scores.is_selected()
    scores.send_keys(Keys.SPACE)  # toggles the checkbox, plays nothing
    assert not scores.is_selected()
    assert driver.find_element(By.TAG_NAME, "body").get_attribute("data-playing") in (None, "")
    helpers["markers"]()[3].click()  # selects chop 4
    wait(lambda: not driver.find_element(By.ID, "delete").get_attribute("disabled"), message="a selection")
    driver.find_element(By.ID, "lam").send_keys(Keys.BACKSPACE)  # a slider's key: no chop deleted
    time.sleep(0.2)
    assert len(helpers["markers"]()) == 16
    driver.find_element(By.ID, "delete").send_keys(Keys.SPACE)  # the button's click: deletes it
    wait(lambda: len(helpers["markers"]()) == 15, message="the chop deleted by the button")
    assert len(helpers["pads"]()) == 15


def test_hitting_pads_runs_one_playhead_loop(page):
    from selenium.webdriver.common.action_chains import ActionChains

    driver, _, _ = page
    driver.execute_script("""
        window.__appFrames = 0; window.__ticks = 0;
        const original = window.requestAnimationFrame.bind(window);
        window.requestAnimationFrame = (callback) => { window.__appFrames += 1; return original(callback); };
        const tick = () => { window.__ticks += 1; original(tick); };
        original(tick);
    """)
    actions = ActionChains(driver)
    for key in "12345678" * 2:
        actions.send_keys(key)
    actions.send_keys("8").perform()
    time.sleep(0.1)
    before = driver.execute_script("return [window.__appFrames, window.__ticks]")
    time.sleep(0.4)
    after = driver.execute_script("return [window.__appFrames, window.__ticks]")
    frames, ticks = after[0] - before[0], after[1] - before[1]
    assert ticks > 5 and frames <= ticks + 2, (frames, ticks)  # one request per frame, not one per hit
    assert driver.find_element("tag name", "body").get_attribute("data-playing") == "8"  # still playing


def test_chops_that_meet_merge_so_the_kit_matches_the_pads(page):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    driver, _, helpers = page
    wave = driver.find_element(By.ID, "wave")
    for _ in range(2):  # drag the second chop past the waveform's start, twice: both land on 0, then snap
        marker = sorted(helpers["markers"](), key=lambda element: float(element.get_attribute("data-time")))[1]
        offset = wave.location["x"] - marker.location["x"] - 8
        ActionChains(driver).click_and_hold(marker).move_by_offset(offset, 0).release().perform()
        wait(helpers["pending"], message="the snap")
        time.sleep(0.3)
        wait(helpers["pending"], message="the snap")
    times = helpers["times"]()
    assert len(times) == len(set(times)) == len(helpers["pads"]()) == 15
    driver.find_element(By.ID, "download-kit").click()
    archive = zipfile.ZipFile(downloaded(driver.downloads, ".zip"))
    chops = [name for name in archive.namelist() if "_chop" in name]
    assert len(chops) == 15


def test_the_n_slider_reaches_the_most_chops(page):
    from selenium.webdriver.common.by import By

    driver, _, helpers = page
    slider, field = driver.find_element(By.ID, "n-range"), driver.find_element(By.ID, "n")
    assert slider.get_attribute("max") == field.get_attribute("max") == "512"
    field.clear()
    field.send_keys("300")
    assert slider.get_attribute("value") == "300"


def test_a_page_back_from_the_cache_gets_its_session_again(page):
    driver, app, helpers = page
    store = app.state.store
    (token,) = store._sessions
    before = helpers["times"]()
    driver.execute_script("window.dispatchEvent(new PageTransitionEvent('pagehide', {persisted: true}))")
    time.sleep(0.3)
    assert list(store._sessions) == [token]  # kept for a page in the back/forward cache
    store.remove(token)  # expired meanwhile
    driver.execute_script("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    wait(lambda: len(store) == 1 and token not in store._sessions, timeout=10, message="a new upload")
    wait(lambda: helpers["state"]() == "ready", timeout=30, message="the analysis")
    assert helpers["times"]() == before  # the chops on the page are kept
    driver.execute_script("window.dispatchEvent(new PageTransitionEvent('pagehide', {persisted: false}))")
    wait(lambda: len(store) == 0, message="the session deleted when the page goes")


# --- issue 22: save corrected samples to the library, learn, choose the model ----------------

def test_learn_my_taste_from_saved_samples_and_chop_with_the_new_model(browser, web_model, tmp_path):
    import numpy as np
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    from conftest import click_track, random_click_times
    from samplechop.library import Library
    from samplechop.web.settings import WebSettings
    from web_support import wav_bytes

    settings = WebSettings(library=tmp_path / "library",
                           learn_options={"steps": 3, "batch_size": 2, "excerpt": 2.0})
    files = []
    for index in range(4):
        files.append(tmp_path / f"loop {index}.wav")
        times = random_click_times(np.random.default_rng(50 + index), 6.0, 5)
        files[-1].write_bytes(wav_bytes(click_track(times, seed=index)))
    with ThreadServer(create_app(web_model, settings)) as server:
        driver = browser
        driver.get(f"{server.address}/")
        body = driver.find_element(By.TAG_NAME, "body")
        find = lambda name: driver.find_element(By.ID, name)  # noqa: E731
        markers = lambda: driver.find_elements(By.CSS_SELECTOR, "#markers .marker")  # noqa: E731
        wait(lambda: body.get_attribute("data-library") == "0", message="the library's listing")
        assert "Nothing yet" in find("library-list").text and find("learn-start").get_attribute("disabled")
        assert "at least 3 samples" in find("learn-needs").text

        # three samples, each corrected (a chop added on the waveform) and saved
        for index, path in enumerate(files[:3]):
            find("file").send_keys(str(path))
            wait(lambda name=path.name: body.get_attribute("data-state") == "ready" and name in find("file-name").text,
                 timeout=30, message="the analysis")
            assert "chopped with the server's model" in find("model-used").text
            before = len(markers())
            for offset in (-230, -170, 130, 250, 330):  # a click on a marker selects it: try elsewhere
                ActionChains(driver).move_to_element_with_offset(find("wave"), offset, 40).click().perform()
                if len(markers()) > before:
                    break
            wait(lambda count=before + 1: len(markers()) == count and body.get_attribute("data-pending") == "0",
                 message="the added chop")
            find("save-library").click()
            wait(lambda count=str(index + 1): body.get_attribute("data-library") == count,
                 message="the library's count")
            assert f"{before + 1} chops" in find("library-list").text
        entries, _ = Library(tmp_path / "library").entries()
        assert sorted(entry.name for entry in entries) == ["loop 0", "loop 1", "loop 2"]
        assert "3 samples" in find("library-count").text and not find("learn-needs").text

        # learning: the progress bar moves, then the figures and the verdict
        find("learn-name").send_keys("Dusty")
        find("learn-start").click()
        wait(lambda: body.get_attribute("data-learn"), message="the learning job")
        seen = set()
        deadline = time.monotonic() + 120
        while (state := body.get_attribute("data-learn")) != "done":  # read once: it may change between reads
            assert state == "running", find("learn-result").text
            seen.add(float(find("learn-progress").get_attribute("data-fraction") or 0))
            assert time.monotonic() < deadline, seen
            time.sleep(0.05)
        assert any(0 < fraction < 1 for fraction in seen), seen
        assert find("learn-fill").get_attribute("style") == "width: 100%;"  # full
        result = find("learn-result").text
        assert "Kept as “Dusty”" in result and "too few samples (3) to hold some out" in result

        # the new model chosen for new uploads, and the next upload says it used it
        radio = wait(lambda: [item for item in driver.find_elements(By.CSS_SELECTOR, "#model-list input[type=radio]")
                              if item.get_attribute("value") != "shipped"], message="the new model")[0]
        chosen = radio.get_attribute("value")
        radio.click()  # the list is drawn again with the choice
        wait(lambda: body.get_attribute("data-model") == chosen, message="the choice")
        assert driver.find_element(By.CSS_SELECTOR, f"#model-list input[value='{chosen}']").is_selected()
        assert "Dusty" in find("model-list").text and "learnt" in find("model-list").text
        find("file").send_keys(str(files[3]))
        wait(lambda: body.get_attribute("data-state") == "ready" and "loop 3" in find("file-name").text,
             timeout=30, message="the analysis with the new model")
        assert find("model-used").text == "chopped with your model “Dusty”"
