"""Datasets and training in a real browser: Uppy over tus, the table, downloads, Train."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from custom_models.models import CustomModel, TrainingStatus
from custom_models.services import custom_model_create
from datasets.services import dataset_file_ingest, staging_path
from tests import audio

pytestmark = pytest.mark.integration

# Two cues of about a second each: longer than the 0.5 s floor, inside the generated speech.
VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:01.200\n{first}\n\n00:00:01.200 --> 00:00:02.400\n{second}\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """Two audio + transcript pairs of generated speech, an orphan tone and a corrupt mp3."""
    folder = tmp_path_factory.mktemp("upload")
    sentences = {
        "talk1": ("the patient has atrial fibrillation", "and takes a blood thinner every day"),
        "talk2": ("the scan shows no sign of bleeding", "so we can continue the treatment"),
    }
    for stem, (first, second) in sentences.items():
        audio.speech(folder / f"{stem}.wav", f"{first}. {second}.")
        (folder / f"{stem}.vtt").write_text(VTT.format(first=first, second=second))
    audio.tone(folder / "orphan.wav", 2.0)
    (folder / "corrupt.mp3").write_bytes(b"ID3\x03\x00" + bytes(range(256)) * 40)
    return folder


def open_model(page, model: CustomModel):
    page.goto(f"/custom-models/{model.pk}/")
    expect(page.get_by_role("heading", name=model.name)).to_be_visible()


def pick(dialog, *paths: Path) -> None:
    """Files chosen in Uppy's Dashboard, as its Browse button would."""
    dialog.locator("input.uppy-Dashboard-input").first.set_input_files([str(p) for p in paths])


def hold_patches(route, held: list) -> None:
    """Keep tus chunks (PATCH) waiting until release(); `None` in the list means released."""
    if route.request.method == "PATCH" and None not in held:
        held.append(route)
    else:
        route.continue_()


def release(held: list) -> None:
    routes = list(held)
    held.append(None)
    for route in routes:
        route.continue_()


def test_upload_pairs_then_train(owner, log_in, files, settings, screenshot):
    model = custom_model_create(organisation=owner.organisation, name="Cardiology EN", language="en")
    page = log_in(owner)
    open_model(page, model)
    expect(page.get_by_test_id("datasets-empty")).to_be_visible()

    page.get_by_role("button", name="New dataset").click()
    dialog = page.get_by_role("dialog", name="New dataset")
    actions = dialog.locator(".dialog-actions")
    create, cancel = actions.get_by_role("button").last, actions.get_by_role("button", name="Cancel")
    expect(create).to_have_text("Create")
    expect(create).to_be_disabled()
    pick(dialog, files / "talk1.wav", files / "talk1.vtt", files / "talk2.wav", files / "talk2.vtt")
    expect(dialog.locator(".uppy-Dashboard-Item")).to_have_count(4)
    expect(create).to_be_enabled()
    screenshot(page, "dataset-dialog.png")

    # The chunks wait until the dialog has been seen locked while uploading.
    held: list = []
    page.route("**/uploads/*", lambda route: hold_patches(route, held))
    create.click()
    expect(create).to_have_text("Uploading…")
    expect(create).to_be_disabled()
    expect(cancel).to_be_disabled()
    expect(dialog.get_by_label("Type")).to_be_disabled()
    page.keyboard.press("Escape")
    expect(dialog).to_be_visible()
    release(held)
    page.unroute("**/uploads/*")
    expect(page.locator(".toast")).to_have_text("4 files uploaded successfully")
    expect(dialog).to_be_hidden()

    table = page.get_by_test_id("datasets-table")
    expect(table.get_by_role("row")).to_have_count(5)  # header and four files
    for stem in ["talk1", "talk2"]:
        audio_row = table.get_by_role("row", name=re.compile(rf"{stem}\.wav"))
        expect(audio_row).to_contain_text("Audio")
        expect(audio_row.get_by_role("cell").nth(2)).to_have_text(re.compile(r"^0:0[2-9]$"))
        expect(table.get_by_role("row", name=re.compile(rf"{stem}\.vtt"))).to_contain_text("Transcript")

    # One more batch, on the AUDIO type: the corrupt file fails with the server's message.
    page.get_by_role("button", name="New dataset").click()
    dialog.get_by_label("Type").select_option(label="AUDIO")
    pick(dialog, files / "orphan.wav", files / "corrupt.mp3")
    create.click()
    expect(page.locator(".toast").last).to_have_text("1 uploaded, 1 failed")
    expect(dialog).to_be_visible()
    failed = dialog.locator(".uppy-Dashboard-Item", has_text="corrupt.mp3")
    server_message = re.compile(r"^'corrupt\.mp3': not a readable audio or video file")
    expect(failed.get_by_role("button", name=server_message)).to_be_visible()  # Uppy's "?" tooltip
    expect(dialog.get_by_role("alert", name="Upload errors")).to_have_text(server_message)
    expect(create).to_have_text("Create")
    cancel.click()
    expect(dialog).to_be_hidden()
    expect(table.get_by_role("row")).to_have_count(6)

    # Too little audio for the default minimum: the server's first error, nothing starts.
    page.get_by_role("button", name="Train the language").click()
    page.get_by_role("dialog", name="Train the language").get_by_role("button", name="Train").click()
    expect(page.locator(".toast").last).to_have_text(re.compile(r"^Need minimum 10 minutes total duration"))
    expect(page.locator("#status-card")).to_contain_text("Not running")

    settings.DATASET_MIN_MINUTES = 0.05
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Train the language").click()
    page.get_by_role("dialog", name="Train the language").get_by_role("button", name="Train").click()
    anyway = page.get_by_role("dialog", name="Train anyway?")
    expect(anyway.get_by_test_id("unmatched-audio")).to_have_text("orphan.wav")
    anyway.get_by_role("button", name="Train anyway").click()
    expect(page.locator(".toast").last).to_have_text("Training started successfully")
    expect(page.locator("#status-card")).to_contain_text("Provisioning resources")
    expect(page.locator("#status-panel")).to_have_attribute("hx-get", f"/custom-models/{model.pk}/status/")
    expect(page.get_by_role("button", name="Train the language")).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True
    model.refresh_from_db()
    assert model.training_status == TrainingStatus.PROVISIONING
    page.locator(".toast").evaluate_all("toasts => toasts.forEach(t => t.remove())")
    screenshot(page, "details.png")


def ingest(model, source: Path, name: str) -> None:
    staged = staging_path()
    staged.write_bytes(source.read_bytes())
    dataset_file_ingest(model=model, source=staged, filename=name)


def test_download_and_delete(member, log_in, files):
    model = custom_model_create(organisation=member.organisation, name="Support calls", language="en")
    ingest(model, files / "talk1.vtt", "talk1.vtt")
    ingest(model, files / "talk1.wav", "talk1.wav")
    page = log_in(member)
    open_model(page, model)
    row = page.get_by_role("row", name=re.compile(r"talk1\.vtt"))

    with page.expect_download() as download:
        row.get_by_role("link", name="Download talk1.vtt").click()
    assert download.value.suggested_filename == "talk1.vtt"
    assert Path(download.value.path()).read_bytes() == (files / "talk1.vtt").read_bytes()

    # Gone since the page was drawn (another tab deleted it): the page says so and stays.
    model.dataset_files.filter(name="talk1.wav").update(deleted_at=model.updated_at)
    page.get_by_role("link", name="Download talk1.wav").click()
    expect(page.locator(".toast")).to_have_text("Download failed")

    row.get_by_role("button", name="Delete talk1.vtt").click()
    confirm = page.get_by_role("dialog", name="Delete dataset file")
    expect(confirm).to_contain_text("talk1.vtt")
    confirm.get_by_role("button", name="Delete").click()
    expect(page.locator(".toast").last).to_have_text("Dataset file deleted successfully")
    expect(row).to_have_count(0)
    assert not model.dataset_files.filter(name="talk1.vtt").exists()
