"""The desktop's scale library: bundled scales (read-only) plus imported ones in a folder of JSON files.

Until the local cache gets a scales table, imported scales live as files of
our JSON format in ``data_home()/scales/`` (the caller passes the folder), one
per code and version (``<code>.v<version>.json``). Bundled scales are the
read-only base: a library file never replaces a bundled version. A published
or retired version is immutable — saving different content under its code
and version is refused; a draft may be overwritten. Files that cannot be
read are listed in :attr:`ScaleLibrary.problems`, never fatal to the listing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from nurse_app.domain.errors import DomainError
from nurse_app.domain.forms.bundled import BundledScale
from nurse_app.domain.forms.definition import FormDefinition
from nurse_app.domain.forms.parse import from_dict
from nurse_app.domain.forms.problems import FormDefinitionError
from nurse_app.domain.forms.serialize import to_dict
from nurse_app.domain.model import PublicationStatus


class ScaleSource(StrEnum):
    BUNDLED = "bundled"
    LIBRARY = "library"


class ScaleLibraryError(DomainError):
    """A scale that is not in the library, or a save that would change an immutable version."""


@dataclass(frozen=True, slots=True)
class ScaleEntry:
    """One scale version the desktop can use, and where it comes from."""

    definition: FormDefinition
    source: ScaleSource
    path: Path
    copyright: str | None = None
    source_version: str | None = None  # the original FHIR version of an imported scale, if not an integer

    @property
    def key(self) -> tuple[str, int]:
        return self.definition.key


@dataclass(frozen=True, slots=True)
class SaveResult:
    entry: ScaleEntry
    created: bool  # False when an identical version was already there


def file_name(code: str, version: int) -> str:
    """``<code>.v<version>.json``; a code with characters unsafe in file names gets a hash suffix."""
    safe = re.sub(r"[^A-Za-z0-9_.\-]", "_", code).strip(".") or "scale"
    if safe != code:
        safe = f"{safe[:60]}-{hashlib.sha1(code.encode('utf-8')).hexdigest()[:8]}"
    return f"{safe}.v{version}.json"


class ScaleLibrary:
    """Bundled scales plus the JSON files of ``folder`` (created on the first save)."""

    def __init__(self, folder: Path, bundled: Mapping[str, BundledScale] | None = None) -> None:
        if bundled is None:
            from nurse_app.domain.forms.bundled import bundled_entries

            bundled = bundled_entries()
        self.folder = Path(folder)
        self.bundled = dict(bundled)
        self.problems: list[str] = []

    def entries(self) -> list[ScaleEntry]:
        """Every scale version, bundled and imported, sorted by code then version."""
        self.problems = []
        found: dict[tuple[str, int], ScaleEntry] = {}
        for item in self.bundled.values():
            entry = ScaleEntry(item.definition, ScaleSource.BUNDLED, item.path, item.copyright or None)
            found[entry.key] = entry
        for entry in self._library_files():
            if entry.key in found:
                other = found[entry.key]
                self.problems.append(
                    f"{entry.path.name}: {entry.key[0]} v{entry.key[1]} is already {other.source} "
                    f"({other.path.name}); the file is ignored"
                )
                continue
            found[entry.key] = entry
        return [found[key] for key in sorted(found)]

    def _library_files(self) -> list[ScaleEntry]:
        if not self.folder.is_dir():
            return []
        out = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                definition = from_dict(data, lang="en")
            except (OSError, ValueError, FormDefinitionError) as exc:
                self.problems.append(f"{path.name}: cannot be read: {exc}")
                continue
            copyright_, source_version = data.get("copyright"), data.get("sourceVersion")
            out.append(
                ScaleEntry(
                    definition,
                    ScaleSource.LIBRARY,
                    path,
                    copyright_ if isinstance(copyright_, str) else None,
                    source_version if isinstance(source_version, str) else None,
                )
            )
        return out

    def get(self, code: str, version: int | None = None) -> ScaleEntry:
        """Scale ``code`` at ``version``, or its highest version (raises :class:`ScaleLibraryError`)."""
        versions = [e for e in self.entries() if e.definition.code == code]
        if not versions:
            known = sorted({e.definition.code for e in self.entries()})
            raise ScaleLibraryError(f"no scale '{code}' (known: {', '.join(known)})")
        if version is None:
            return versions[-1]
        for entry in versions:
            if entry.definition.version == version:
                return entry
        have = ", ".join(str(e.definition.version) for e in versions)
        raise ScaleLibraryError(f"scale '{code}' has no version {version} (versions: {have})")

    def save(
        self, definition: FormDefinition, *, copyright: str | None = None, source_version: str | None = None
    ) -> SaveResult:
        """Store ``definition`` as a library file, refusing to change an existing immutable version."""
        key = definition.key
        for entry in self.entries():
            if entry.key != key:
                continue
            if entry.definition == definition:
                return SaveResult(entry, created=False)
            if entry.source == ScaleSource.LIBRARY and entry.definition.status == PublicationStatus.DRAFT:
                break  # a draft may be replaced, e.g. by its published self
            if dataclasses.replace(entry.definition, status=definition.status) == definition:
                raise ScaleLibraryError(
                    f"scale {key[0]} v{key[1]} already exists with the same content as "
                    f"{entry.definition.status} ({entry.source}); nothing to import as {definition.status}"
                )
            raise ScaleLibraryError(
                f"scale {key[0]} v{key[1]} already exists ({entry.source}, {entry.definition.status}) with "
                "different content; a published version never changes — give the file a new version"
            )
        data: dict[str, Any] = to_dict(definition)
        if copyright:
            data["copyright"] = copyright
        if source_version:
            data["sourceVersion"] = source_version
        path = self.folder / file_name(*key)
        _write_atomically(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return SaveResult(
            ScaleEntry(definition, ScaleSource.LIBRARY, path, copyright, source_version), created=True
        )


def _write_atomically(path: Path, text: str) -> None:
    # A crash mid-write must not leave a half file that the next listing reports as broken.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
