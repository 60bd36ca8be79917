"""`manage.py train_new_versions <language> [--domain general] [--all]`: rebase a language's models.

After an operator installs a new base for a language (`install_base_model`, say a larger Whisper),
each of that language's custom models trains again on it as a new version, with the data it has
now. Every version records the sha256 of its base, so by default only models whose active version
was trained on another base start; `--all` starts them all. A new version becomes active only if
it passes the regression gate and is not worse than the active one (training.pipeline); until
then the active version keeps serving. Each start takes a training claim like Train does; a model
that cannot start now (training already, no claim left, its data no longer valid) is listed with
the reason and left as it is.
"""

from django.core.management.base import BaseCommand, CommandError

from config.errors import ApplicationError
from custom_models.models import BaseModel, Domain, Language
from training import engine
from training.selectors import base_model_dir, custom_models_with_versions
from training.services import training_run_start


class Command(BaseCommand):
    help = "Train a new version of every custom model of a language on the language's current base."

    def add_arguments(self, parser) -> None:
        parser.add_argument("language", help="language code, e.g. nl")
        parser.add_argument("--domain", choices=Domain.values, default=Domain.GENERAL)
        parser.add_argument(
            "--all", action="store_true", help="also models whose active version was trained on this base"
        )

    def handle(self, *args, language: str, domain: str, all: bool, **options) -> None:
        found = Language.objects.filter(code=language).first()
        if found is None or not BaseModel.objects.filter(language=found, domain=domain).exists():
            raise CommandError(f"No {domain} base is installed for {language!r}.")
        current = engine.read_meta(base_model_dir(language=found, domain=domain)).get("source_sha256", "")
        started = refused = unchanged = 0
        for model, on in custom_models_with_versions(language=found, domain=domain):
            if not all and on and on == current:
                unchanged += 1
                continue
            try:
                run = training_run_start(model=model, skip_unmatched=True)
            except ApplicationError as exc:
                refused += 1
                self.stdout.write(
                    f"{model.stt_name} ({model.name}): not started: {exc.message} ({exc.error_code})"
                )
                continue
            started += 1
            self.stdout.write(f"{model.stt_name} ({model.name}): run {run.pk} queued")
        self.stdout.write(
            f"{started} started, {refused} could not start, {unchanged} already on this base "
            f"({current[:12] or 'no sha256'})"
        )
