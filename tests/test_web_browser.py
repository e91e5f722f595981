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
from web_support import start_server, stop_server

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
