"""A model's versions: what each was trained from (its lineage), which one serves, and taking one out.

Services, kept apart from services.py because versions are a concern of their own: every
succeeded run is a version (v1, v2, ...; training_run_succeed numbers it), the model's
`model_path` and `active_version` name the one that serves, and these functions move that pointer
(activate, which is also roll back), delete an inactive version's files, and pack a version into
one archive a user can load outside the project.
"""

import hashlib
import json
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership
from accounts.services import membership_require_admin
from config.errors import ApplicationError
from custom_models.models import CustomModel, QuotaClaim, TrainingStatus
from custom_models.quotas import claim_take
from datasets.models import DatasetFile
from training.models import TrainingRun
from training.selectors import custom_model_version_get, trained_model_path
from training.services import training_log_write

HASH_CHUNK = 1 << 20
WEIGHTS_BYTES = 1 << 20


def version_lineage(
    *,
    model: CustomModel,
    base_dir: Path,
    base_meta: dict,
    files: list[DatasetFile],
    minutes: dict,
    settings_used: dict,
) -> dict:
    """What a version was trained from: its base, its data (each file's id and sha256, minutes per
    split) and its settings. Written once, when the run prepares its data."""
    return {
        "base": {
            "language": model.language.code,
            "domain": model.base_model,
            "path": base_dir.name,
            "source": base_meta.get("source", ""),
            "sha256": base_meta.get("source_sha256", ""),
        },
        "data": {
            "files": [
                {
                    "id": f.pk,
                    "name": f.name,
                    "kind": f.kind,
                    "split": f.split,
                    "sha256": _stored_sha256(f.file.name),
                }
                for f in files
            ],
            "minutes": minutes,
        },
        "settings": settings_used,
    }


def code_version() -> str:
    """The commit the service runs, for a version's settings ("unknown" outside a git checkout)."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return found.stdout.strip() if found.returncode == 0 else "unknown"


def _stored_sha256(name: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def custom_model_version_activate(*, model: CustomModel, version: int, by: Membership) -> CustomModel:
    """Make a version the one that serves (a newer one held back, or roll back to an older one).

    Admins and sysops only. The next transcription uses it: serving loads a model by its directory,
    so nothing restarts. A disabled model is enabled, taking a hosting claim as `enable` does."""
    membership_require_admin(by=by, action="activate a version")
    run = custom_model_version_get(model=model, version=version)
    with transaction.atomic():
        locked = CustomModel.objects.select_for_update().get(pk=model.pk)
        if locked.deleted_at is not None:
            raise ApplicationError("The model was deleted.", error_code="MODEL_NOT_FOUND", status=404)
        if locked.active_version == version and locked.enabled:
            raise ApplicationError(
                f"Version {version} is active already.", error_code="VERSION_ACTIVE", status=409
            )
        if not locked.enabled:
            # Raises no-claims-available (402) with nothing changed when the plan has no hosting left.
            claim_take(organisation=locked.organisation, kind=QuotaClaim.Kind.HOSTING, custom_model=locked)
        previous = locked.active_version
        CustomModel.objects.filter(pk=locked.pk).update(
            model_path=run.model_path,
            active_version=version,
            training_metrics=run.metrics,
            enabled=True,
            disabled_reason="",
            # A failed newer run keeps its words; "version N is not active" goes.
            status_message=locked.status_message if locked.training_status == TrainingStatus.FAILED else "",
            updated_at=timezone.now(),
        )
        training_log_write(
            model=locked,
            run=run,
            stage="version",
            message=f"Version {version} made active by {by.user.get_username()}"
            + (f" (version {previous} was)" if previous and previous != version else "")
            + (f"; it had been held back: {run.held_back}" if run.held_back else ""),
        )
    model.refresh_from_db()
    return model


def custom_model_version_delete(*, model: CustomModel, version: int, by: Membership) -> None:
    """Delete an inactive version's files; its run stays in the log. The active one cannot go."""
    membership_require_admin(by=by, action="delete a version")
    run = custom_model_version_get(model=model, version=version)
    with transaction.atomic():
        locked = CustomModel.objects.select_for_update().get(pk=model.pk)
        if locked.active_version == version:
            raise ApplicationError(
                f"Version {version} is active: activate another version before deleting it.",
                error_code="VERSION_ACTIVE",
                status=409,
            )
        TrainingRun.objects.filter(pk=run.pk).update(version_deleted_at=timezone.now())
        training_log_write(
            model=locked,
            run=run,
            stage="version",
            message=f"Version {version} deleted by {by.user.get_username()}",
        )
        path = trained_model_path(run.model_path)
        transaction.on_commit(lambda: shutil.rmtree(path, ignore_errors=True))
    if default_storage.exists(version_archive_name(run)):
        default_storage.delete(version_archive_name(run))


def version_archive_name(run: TrainingRun) -> str:
    return f"versions/{run.custom_model_id}/{run.custom_model_id}-v{run.version}.zip"


def custom_model_version_archive(*, run: TrainingRun) -> str:
    """The version as one zip in storage (built on first download, then kept): its model directory
    as it serves (the CTranslate2 copy faster-whisper loads, the PyTorch copy transformers loads)
    and model.json with its lineage and metrics. Returns the name in storage."""
    name = version_archive_name(run)
    if default_storage.exists(name):
        return name
    source = trained_model_path(run.model_path)
    if not source.is_dir():
        raise ApplicationError(
            f"Version {run.version}'s files are missing.", error_code="FILE_NOT_FOUND", status=404
        )
    meta = json.loads((source / "model.json").read_text())
    meta["version"] = {
        "model": run.custom_model.stt_name,
        "version": run.version,
        "created": run.finished_at.isoformat() if run.finished_at else None,
        "lineage": run.lineage,
        "metrics": run.metrics,
    }
    top = f"custom_model_{run.custom_model_id}-v{run.version}"
    Path(settings.TRAINING_WORK_DIR).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.TRAINING_WORK_DIR, prefix="archive-") as scratch:
        archive = Path(scratch) / "version.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for path in sorted(source.rglob("*")):
                if path.is_file() and path.name != "model.json":
                    # Weights hardly compress (a few %) and deflating 300 MB takes a while: stored.
                    large = path.stat().st_size > WEIGHTS_BYTES
                    bundle.write(
                        path,
                        f"{top}/{path.relative_to(source)}",
                        compress_type=zipfile.ZIP_STORED if large else zipfile.ZIP_DEFLATED,
                    )
            bundle.writestr(f"{top}/model.json", json.dumps(meta, indent=2) + "\n")
        with archive.open("rb") as handle:
            stored = default_storage.save(name, File(handle))
    return stored
