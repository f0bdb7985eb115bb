"""The demo page at / in a real browser (Debian's chromium, driven by Playwright).

The real service runs on a temporary SQLite with the shipped signature model and dlib's
face model; the page enrols real CEDAR scans and LFW photos, verifies a genuine probe and
an impostor, identifies, shows a problem, deletes a subject, and is checked at 360 px and
by keyboard. Screenshots of every step are kept under ``runs/test-artifacts/demo-page``
(or ``TWINVERIFY_TEST_ARTIFACTS``).
"""

import base64
import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from app.core.config import Settings
from models.dlib_checkpoint import import_dlib_checkpoint, installed_dlib_weights
from tests.app.live_server import live_server
from tests.helpers import dataset_path

CHROMIUM = Path("/usr/bin/chromium")
CEDAR = dataset_path("cedar")
LFW = dataset_path("lfw") / "images"
ARTIFACTS = Path(os.environ.get("TWINVERIFY_TEST_ARTIFACTS", "runs/test-artifacts")) / "demo-page"
SETTLE_MS = 60_000  # a forward pass on a busy CI machine, not a bound on speed

playwright = pytest.importorskip("playwright.sync_api")


def _browser_or_skip() -> None:
    if CHROMIUM.is_file():
        return
    reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the browser tests")
    pytest.skip(reason)


pytestmark = [
    pytest.mark.dataset,
    pytest.mark.skipif(not CEDAR.is_dir(), reason="../shared/datasets/cedar is not present"),
    pytest.mark.skipif(not LFW.is_dir(), reason="../shared/datasets/lfw is not present"),
]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The service on its embedded defaults (a temporary data directory), with dlib's face
    model (a quicker import than the default fusion; the page does not care which)."""
    _browser_or_skip()
    data = tmp_path_factory.mktemp("demo")
    face = import_dlib_checkpoint(installed_dlib_weights(), data / "face.safetensors")
    settings = Settings(data_dir=data / "data", face_checkpoint=face, device="cpu")
    with live_server(settings) as url:
        yield url, data


@pytest.fixture(scope="module")
def browser() -> Iterator["playwright.Browser"]:
    _browser_or_skip()
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: "playwright.Browser", service: tuple[str, Path]) -> Iterator["playwright.Page"]:
    opened = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.set_default_timeout(SETTLE_MS)
    opened.goto(service[0] + "/")
    opened.wait_for_selector("body[data-ready=true]")
    yield opened
    opened.close()
    assert errors == [], f"the page's script failed: {errors}"


def shot(page: "playwright.Page", name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def cedar(writer: int, kind: str, number: int) -> str:
    return str(CEDAR / str(writer) / f"{kind}_{writer}_{number}.png")


def lfw(name: str, number: int) -> str:
    return str(LFW / name / f"{name}_{number:04d}.jpg")


def blank(tmp_path: Path) -> str:
    path = tmp_path / "blank.png"
    Image.new("L", (300, 200), 255).save(path)
    return str(path)


def verify_against_subject(page: "playwright.Page", probe: str, subject: str) -> str:
    page.click("#tab-verify")
    page.check('input[name="against"][value="subject"]')
    page.select_option("#verify-subject", label=subject)
    page.set_input_files("#verify-probe", probe)
    page.click("#verify-form button[type=submit]")
    decision = page.wait_for_selector("#verify-result [data-decision]")
    page.wait_for_selector("#verify-result img[data-role=model-input]")
    return str(decision.get_attribute("data-decision"))


def test_signatures_enrol_verify_identify_and_delete_through_the_page(
    page: "playwright.Page", tmp_path: Path
) -> None:
    # the default gallery's key is filled in: the server runs on its embedded defaults
    assert page.input_value("#api-key").startswith("tv_")
    page.select_option("#modality", "signature")
    page.fill("#enrol-external-id", "writer-3")
    genuine = [cedar(3, "original", n) for n in (1, 2, 3)]
    page.set_input_files("#enrol-images", [*genuine, blank(tmp_path)])
    page.click("#enrol-form button[type=submit]")
    page.wait_for_selector("#enrol-result table")
    shot(page, "1-signature-enrolled")
    assert "3 of 4 images enrolled for writer-3" in page.inner_text("#enrol-result")
    rejected = page.inner_text('#enrol-result tr[data-accepted="false"]')
    assert "rejected: no-signature-found" in rejected

    assert verify_against_subject(page, cedar(3, "original", 10), "writer-3") == "match"
    shot(page, "2-signature-genuine")
    result = page.inner_text("#verify-result")
    assert "Match" in result
    assert "far_5e-02" in result
    assert re.search(r"FRR \(calibration\)\s+\d+(\.\d+)? %", result), result
    score = float(page.get_attribute("#verify-result [role=meter]", "aria-valuenow") or "nan")
    legend = page.inner_text("#verify-result .bar-legend")
    assert score >= float(legend.split("threshold ")[1].split()[0])
    # another writer's genuine signature is a random forgery of writer 3's
    assert verify_against_subject(page, cedar(20, "original", 1), "writer-3") == "no-match"
    shot(page, "3-signature-impostor")

    page.click("#tab-identify")
    page.set_input_files("#identify-probe", cedar(3, "original", 11))
    page.click("#identify-form button[type=submit]")
    page.wait_for_selector("#identify-result [data-decision]")
    shot(page, "4-signature-identified")
    assert "Best: writer-3" in page.inner_text("#identify-result")

    page.click("#tab-subjects")
    page.wait_for_selector('#subjects-list li[data-subject="writer-3"]')
    page.once("dialog", lambda dialog: dialog.accept())
    page.click('#subjects-list li[data-subject="writer-3"] button')
    page.wait_for_selector("#subjects-list li:not([data-subject])")
    shot(page, "5-subject-deleted")
    assert "Nobody is enrolled yet." in page.inner_text("#subjects-list")


def test_a_face_is_shown_with_the_box_and_landmarks_the_model_used(
    page: "playwright.Page",
) -> None:
    page.select_option("#modality", "face")
    page.click("#tab-enrol")
    page.fill("#enrol-external-id", "abel")
    page.set_input_files("#enrol-images", [lfw("Abel_Pacheco", 1)])
    page.click("#enrol-form button[type=submit]")
    page.wait_for_selector("#enrol-result table canvas")
    assert verify_against_subject(page, lfw("Abel_Pacheco", 4), "abel") == "match"
    # the probe drawn with its face box, and the aligned chip the model embedded
    assert page.locator("#verify-result canvas").count() == 1
    chip = page.locator("#verify-result img[data-role=model-input]")
    assert (chip.get_attribute("src") or "").startswith("data:image/png;base64,")
    shot(page, "6-face-genuine")
    assert verify_against_subject(page, lfw("Dean_Barker", 1), "abel") == "no-match"
    shot(page, "7-face-impostor")


def drop(page: "playwright.Page", zone: str, path: str) -> None:
    """Drag ``path`` onto the drop zone ``zone`` as a user's file manager would."""
    data = base64.b64encode(Path(path).read_bytes()).decode()
    transfer = page.evaluate_handle(
        """([data, name]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: "image/png" }));
            return transfer;
        }""",
        [data, Path(path).name],
    )
    page.dispatch_event(zone, "drop", {"dataTransfer": transfer})


def test_two_dropped_images_are_verified_against_each_other(page: "playwright.Page") -> None:
    page.select_option("#modality", "signature")
    page.click("#tab-verify")
    page.check('input[name="against"][value="image"]')
    assert page.is_visible("#verify-second-row")
    assert not page.is_visible("#verify-subject-row")
    drop(page, "label[for=verify-probe]", cedar(7, "original", 1))
    drop(page, "#verify-second-row", cedar(7, "original", 2))
    assert page.locator("#verify-probe-chosen img").count() == 1
    page.click("#verify-form button[type=submit]")
    page.wait_for_selector("#verify-result [data-decision]")
    # (a locator, not wait_for_function: the page's CSP forbids evaluating strings)
    page.locator("#verify-result img[data-role=model-input]").nth(1).wait_for()
    shot(page, "10-pair-dropped")
    result = page.inner_text("#verify-result")
    assert "the second image" in result
    # both images' model inputs are shown
    assert page.locator("#verify-result img[data-role=model-input]").count() == 2


def test_a_problem_shows_its_title_and_detail(page: "playwright.Page") -> None:
    page.fill("#api-key", "tv_not-a-real-key")
    page.dispatch_event("#api-key", "change")
    problem = page.wait_for_selector("#problem:not([hidden])")
    shot(page, "8-problem")
    text = problem.inner_text()
    assert "API key not accepted (401)" in text
    assert "/problems/invalid-api-key" in text


def test_the_page_fits_360_px_and_works_with_the_keyboard(
    browser: "playwright.Browser", service: tuple[str, Path]
) -> None:
    narrow = browser.new_page(viewport={"width": 360, "height": 740})
    narrow.goto(service[0] + "/")
    narrow.wait_for_selector("body[data-ready=true]")
    shot(narrow, "9-narrow")
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 360
    narrow.focus("#tab-enrol")
    narrow.keyboard.press("ArrowRight")
    assert narrow.get_attribute("#tab-verify", "aria-selected") == "true"
    assert narrow.is_visible("#panel-verify")
    assert not narrow.is_visible("#panel-enrol")
    narrow.keyboard.press("ArrowLeft")
    narrow.keyboard.press("ArrowLeft")
    assert narrow.get_attribute("#tab-subjects", "aria-selected") == "true"
    narrow.close()


def test_the_page_loads_nothing_from_elsewhere_and_forbids_it(service: tuple[str, Path]) -> None:
    response = httpx.get(service[0] + "/")
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert sources
    assert all(source.startswith(("/", "data:")) for source in sources), sources
