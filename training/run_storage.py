"""What a training run keeps in the project's storage while it lives, so that whichever worker
resumes it after its trainer died starts where the dead one stopped: the engine's epoch
checkpoints, and the base's transcripts of the test split."""

import hashlib
import json
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from training.models import TrainingRun
from training.supervision import training_checkpoint_prefix


class StorageCheckpoint:
    """The engine's epoch checkpoints of one run, in the project's storage (local files, or S3 in
    the scale profile) so that whichever worker resumes the run reads them. Each epoch end writes
    a new file before the older one goes: a trainer killed mid-write leaves the previous one."""

    def __init__(self, run: TrainingRun) -> None:
        self.prefix = training_checkpoint_prefix(run)

    def _names(self) -> list[str]:
        try:
            return sorted(n for n in default_storage.listdir(self.prefix)[1] if n.endswith(".pt"))
        except FileNotFoundError:
            return []

    def read(self) -> bytes | None:
        names = self._names()
        if not names:
            return None
        with default_storage.open(self.prefix + names[-1], "rb") as handle:
            return handle.read()

    def write(self, data: bytes) -> None:
        older = self._names()
        number = int(older[-1].split("-")[1].split(".")[0]) + 1 if older else 1
        default_storage.save(f"{self.prefix}checkpoint-{number:04d}.pt", ContentFile(data))
        for name in older:
            default_storage.delete(self.prefix + name)


def base_hypotheses(
    engine, run_: TrainingRun, base_dir: Path, test_rows: list[dict], language, log
) -> list[str]:
    """The base's transcripts of the test split, kept beside the run's checkpoints: a resumed run
    whose test split is the same (same references and lengths) does not decode it again."""
    name = training_checkpoint_prefix(run_) + "base-test.json"
    key = hashlib.sha1(
        json.dumps([[r["transcript"], round(r["duration"], 2)] for r in test_rows] + [str(base_dir)]).encode()
    ).hexdigest()
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            kept = json.loads(handle.read())
        if kept.get("key") == key:
            log("base model's transcripts of the test split taken from the earlier attempt")
            return kept["hypotheses"]
        default_storage.delete(name)
    hypotheses = engine.recognise(base_dir, [r["wav"] for r in test_rows], language=language)
    default_storage.save(name, ContentFile(json.dumps({"key": key, "hypotheses": hypotheses}).encode()))
    return hypotheses
