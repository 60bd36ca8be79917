"""`manage.py install_base_model <language> <domain> <source>`: register another base model.

The source is a local directory in SpeechBrain's pretrained layout, or a Hugging
Face repo id, fetched only here and only when the operator has internet. The
files are copied under MODELS_DIR, and a directory that does not load is refused.
"""

import re
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from custom_models.models import BaseModel, Domain, Language
from training import engine

REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class Command(BaseCommand):
    help = "Install a base model for a language and domain from a local directory or a Hugging Face repo id."

    def add_arguments(self, parser) -> None:
        parser.add_argument("language", help="language code, e.g. en")
        parser.add_argument("domain", choices=Domain.values)
        parser.add_argument("source", help="a local directory, or a Hugging Face repo id (needs internet)")
        parser.add_argument("--name", help="display name when the language is new, e.g. 'English (UK)'")
        parser.add_argument("--trainable", action="store_true", help="mark a new language as trainable")

    def handle(self, *args, language: str, domain: str, source: str, name, trainable, **options) -> None:
        with tempfile.TemporaryDirectory(prefix="base-model-") as scratch:
            folder = self._fetch(source, Path(scratch))
            try:
                engine.validate_model_dir(folder)
            except engine.ModelLoadError as exc:
                raise CommandError(f"{source} is not a loadable model directory: {exc}") from exc
            target_name = f"{language}-{domain}-{re.sub(r'[^A-Za-z0-9._-]+', '-', Path(source).name)}".lower()
            target = Path(settings.MODELS_DIR) / target_name
            if target.resolve() != folder.resolve():
                if target.exists():
                    shutil.rmtree(target)
                shutil.copytree(folder, target)

        lang, created = Language.objects.get_or_create(
            code=language, defaults={"name": name or language, "trainable": trainable}
        )
        BaseModel.objects.update_or_create(
            language=lang, domain=domain, defaults={"path": target_name, "source": source}
        )
        self.stdout.write(
            f"Installed {source} as the {domain} base of {lang.name} ({lang.code})"
            + (" (new language)" if created else "")
            + f" in {target}"
        )

    @staticmethod
    def _fetch(source: str, scratch: Path) -> Path:
        local = Path(source)
        if local.is_dir():
            return local
        if not REPO_ID.match(source):
            raise CommandError(f"{source} is neither a directory nor a Hugging Face repo id")
        try:
            from huggingface_hub import snapshot_download

            return Path(snapshot_download(repo_id=source, local_dir=scratch / "download"))
        except Exception as exc:  # no internet, unknown repo, ...
            raise CommandError(f"could not fetch {source} from the Hugging Face hub: {exc}") from exc
