"""The scales shipped with the application (``resources/scales/*.json``), loaded read-only.

The files are our JSON format (:mod:`nurse_app.domain.forms.parse`) plus a
``"copyright"`` note each. They are found in :func:`nurse_app.resources.resource_dir`
(the repository's ``resources/`` or the frozen bundle's); an install without that
folder fails with a message saying so instead of silently offering no scales.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nurse_app.domain.errors import DomainError
from nurse_app.domain.forms.definition import FormDefinition
from nurse_app.domain.forms.parse import from_dict
from nurse_app.domain.forms.problems import FormDefinitionError
from nurse_app.resources import resource_dir


class BundledScalesError(DomainError):
    """The bundled scales folder is missing, or one of its files is broken."""


@dataclass(frozen=True, slots=True)
class BundledScale:
    """One bundled scale with its copyright note and the file it came from."""

    definition: FormDefinition
    copyright: str
    path: Path


def resources_dir() -> Path:
    """The repository's ``resources/`` folder (raises :class:`BundledScalesError` when it is missing)."""
    folder = resource_dir(Path(__file__).resolve().parents[3])
    if not folder.is_dir():
        raise BundledScalesError(
            f"resources folder not found at {folder}: the application was installed without its "
            "resources/ (install from the repository with `pip install -e .`, or ship resources/ beside "
            "the nurse_app package)"
        )
    return folder


def scales_dir() -> Path:
    """``resources/scales``, where the bundled scale files live."""
    folder = resources_dir() / "scales"
    if not folder.is_dir():
        raise BundledScalesError(f"bundled scales folder not found: {folder}")
    return folder


def _load_file(path: Path) -> BundledScale:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        definition = from_dict(data, lang="en")
    except (OSError, ValueError, FormDefinitionError) as exc:
        # A broken bundled file is a packaging bug: name the file rather than drop the scale.
        raise BundledScalesError(f"bundled scale {path.name} cannot be loaded: {exc}") from exc
    return BundledScale(definition, str(data.get("copyright", "") or ""), path)


@lru_cache(maxsize=1)
def _load_all() -> tuple[BundledScale, ...]:
    entries: dict[str, BundledScale] = {}
    for path in sorted(scales_dir().glob("*.json")):
        entry = _load_file(path)
        code = entry.definition.code
        if code in entries:
            raise BundledScalesError(
                f"bundled scale code '{code}' appears twice: {entries[code].path.name}, {path.name}"
            )
        entries[code] = entry
    return tuple(entries.values())


def bundled_entries() -> dict[str, BundledScale]:
    """Every bundled scale by code, with its copyright note and file (loaded once per process)."""
    return {entry.definition.code: entry for entry in _load_all()}


def bundled_scales() -> dict[str, FormDefinition]:
    """Every bundled scale by code (a fresh dict; the definitions themselves are frozen)."""
    return {entry.definition.code: entry.definition for entry in _load_all()}


def bundled_scale(code: str) -> FormDefinition:
    """The bundled scale ``code`` (raises :class:`BundledScalesError` naming the known codes)."""
    scales = bundled_scales()
    try:
        return scales[code]
    except KeyError:
        raise BundledScalesError(
            f"no bundled scale '{code}' (bundled: {', '.join(sorted(scales))})"
        ) from None
