"""`manage.py transcribe FILE --language en | --model custom_model_<id>`: the STT JSON, printed.

`--language auto` detects the language among those published to the organisation that has a
multilingual base (the first, when several do)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from config.errors import ApplicationError
from custom_models.models import CustomModel, Language
from custom_models.vocabulary import MAX_REQUEST_PHRASES, phrases_clean
from training.inference import language_resolve, transcribe_file
from training.selectors import AUTO_LANGUAGE, stt_model_resolve


class Command(BaseCommand):
    help = "Transcribe a file with a base language or a custom model and print the result as JSON."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--language", help="a base language code, e.g. en or nl, or auto")
        group.add_argument("--model", help="custom_model_<id>")
        parser.add_argument(
            "--phrase", action="append", default=[], help="a phrase to favour (repeat for more; at most 100)"
        )

    def handle(
        self, *args, file: Path, language: str | None, model: str | None, phrase: list[str], **options
    ) -> None:
        if not file.is_file():
            raise CommandError(f"{file} is not a file")
        try:
            organisation = self._organisation(language=language, model=model)
            resolved = stt_model_resolve(organisation=organisation, language=language, model=model)
            resolved, detected = language_resolve(organisation=organisation, resolved=resolved, path=file)
            phrases = phrases_clean(phrase, limit=MAX_REQUEST_PHRASES)
            result = transcribe_file(path=file, resolved=resolved, organisation=organisation, phrases=phrases)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        payload = {
            "id": None,
            "status": "done",
            "text": result["text"],
            "words": result["words"],
            "duration": result["duration"],
            "model": resolved.label,
            "language": resolved.language.code,
            "language_probability": detected.get("language_probability"),
            "error": None,
        }
        self.stdout.write(json.dumps(payload))

    @staticmethod
    def _organisation(*, language, model):
        # The operator acts for the organisation that owns the model or has the language.
        if model:
            custom = CustomModel.objects.filter(pk=model.removeprefix("custom_model_") or 0).first()
            if custom is None or not model.removeprefix("custom_model_").isdigit():
                raise ApplicationError(f"Custom model {model!r} not found.", error_code="MODEL_NOT_FOUND")
            return custom.organisation
        if language == AUTO_LANGUAGE:
            return (
                Organisation.objects.filter(publications__language__base_models__isnull=False)
                .distinct()
                .first()
            )
        lang = Language.objects.filter(code=language).first()
        publication = lang.publications.select_related("organisation").first() if lang else None
        if publication is None:
            raise ApplicationError(
                f"Language {language!r} is not installed or published.", error_code="invalid-language"
            )
        return publication.organisation
