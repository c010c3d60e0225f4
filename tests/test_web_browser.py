"""The main flows of `gongkai serve` in a real headless Chromium (Debian's chromium and
chromedriver): search → report → versions → diff → chart, the hostile report, phone width and
the keyboard. Screenshots go to ``artifacts/screenshots/`` (outside git)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web_archive import Served, served_archive

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SHOTS = Path(os.environ.get("GONGKAI_ARTIFACTS", Path(__file__).parent.parent / "artifacts")
             ) / "screenshots"


def _browser_or_fail() -> None:
    if Path(CHROMIUM).exists() and Path(DRIVER).exists():
        return
    message = "chromium and chromium-driver are not installed (.ci/run installs them with apt)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    _browser_or_fail()
    tmp = tmp_path_factory.mktemp("browser")
    with served_archive(tmp, f"sqlite:///{tmp}/archive.db") as served:
        yield served


@pytest.fixture(scope="module")
def driver(web: Served) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--window-size=1280,1000", "--lang=zh-CN"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    browser.set_page_load_timeout(30)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield browser
    finally:
        browser.quit()


def _shot(driver, name: str) -> None:
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def _wait(driver, condition) -> None:
    """Navigation after a click or a submit is asynchronous: wait for it, up to 10 s."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(condition)


def _pwned(driver) -> object:
    return driver.execute_script("return window.__pwned === undefined ? null : window.__pwned")


def test_search_report_versions_diff_chart(driver, web: Served):
    from selenium.webdriver.common.by import By

    driver.get(web.base + "/")
    _shot(driver, "01-home")
    box = driver.find_element(By.ID, "quick-q")
    box.send_keys("复议")
    box.submit()
    _wait(driver, lambda d: "/search?q=" in d.current_url)
    marks = driver.find_elements(By.CSS_SELECTOR, "#hits mark")
    assert marks and marks[0].text == "复议"
    _shot(driver, "02-search")

    # the revised report: open it from a search for its changed figure
    driver.get(web.base + "/search?q=215")
    driver.find_element(By.CSS_SELECTOR, "#hits a.hit-title").click()
    _wait(driver, lambda d: "/reports/" in d.current_url)
    assert driver.find_element(By.ID, "report-title").text
    versions = driver.find_elements(By.CSS_SELECTOR, "#versions tbody tr")
    assert len(versions) == 2
    _shot(driver, "03-report")
    driver.find_element(By.PARTIAL_LINK_TEXT, "与第 1 版比较").click()
    _wait(driver, lambda d: "/diff?" in d.current_url)
    changed = driver.find_elements(By.CSS_SELECTOR, "#side-by-side .row.changed")
    assert len(changed) == 1
    assert [d.text for d in changed[0].find_elements(By.TAG_NAME, "del")] == ["213"]
    assert [i.text for i in changed[0].find_elements(By.TAG_NAME, "ins")] == ["215"]
    background = changed[0].find_element(By.TAG_NAME, "ins").value_of_css_property(
        "background-color")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")  # it stands out
    _shot(driver, "04-diff")

    driver.get(web.base + "/chart?key=applications.received")
    loaded = driver.execute_script(
        "const i = document.getElementById('chart'); return i.complete && i.naturalWidth")
    assert loaded and loaded > 100
    assert driver.find_elements(By.CSS_SELECTOR, "#chart-data tbody tr a")
    _shot(driver, "05-chart")


def test_hostile_report_runs_no_script(driver, web: Served):
    from selenium.webdriver.common.by import By

    driver.get(web.base + f"/report?url={web.hostile}")
    title = driver.find_element(By.ID, "report-title").text
    assert "<img src=x onerror=" in title  # shown, as text
    text = driver.find_element(By.ID, "report-text").text
    assert "<script>window.__pwned=2</script>" in text
    assert _pwned(driver) is None
    assert not driver.find_elements(By.CSS_SELECTOR, "#report-text img, #report-text script, "
                                                     "#report-text a, #report-text div")
    for link in driver.find_elements(By.TAG_NAME, "a"):
        assert not (link.get_attribute("href") or "").startswith("javascript:")
    driver.get(web.base + "/search?q=恶意脚本")
    assert _pwned(driver) is None
    _shot(driver, "06-hostile")


def test_phone_width_and_keyboard(driver, web: Served):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.set_window_size(390, 844)
    try:
        driver.get(web.base + f"/report?url={web.revised}")
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"page scrolls sideways by {overflow}px at phone width"
        _shot(driver, "07-phone-report")
        driver.get(web.base + "/")
        body = driver.find_element(By.TAG_NAME, "body")
        body.send_keys(Keys.TAB)
        first = driver.switch_to.active_element
        assert first.text == "跳到正文"
        first.send_keys(Keys.ENTER)
        _wait(driver, lambda d: d.switch_to.active_element.get_attribute("id") == "main")
    finally:
        driver.set_window_size(1280, 1000)
