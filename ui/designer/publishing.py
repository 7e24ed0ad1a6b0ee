"""The one place a published scale leaves the designer ("send to the central service").

Today there is no sync of configuration yet, so a published version is
written to the desktop's local scale library (``data_home()/scales``, see
:class:`nurse_app.domain.forms.library.ScaleLibrary`) and the result says so.
The sync issue replaces the body of :func:`publish_to_service` with the real
upload; the designer calls it off the GUI thread already (network pool) and
shows the returned message, so nothing else has to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nurse_app.domain.forms import FormDefinition
from nurse_app.domain.forms.library import ScaleLibrary
from nurse_app.domain.model import PublicationStatus
from nurse_app.paths import data_home


@dataclass(frozen=True, slots=True)
class PublishReceipt:
    """Where the published version went; ``sent_to_service`` stays False until sync is connected."""

    path: Path
    created: bool
    sent_to_service: bool = False


def library_folder() -> Path:
    return data_home() / "scales"


def publish_to_service(definition: FormDefinition) -> PublishReceipt:
    """Deliver a *published* version (stub: store it in the local scale library).

    Raises :class:`ValueError` for a draft (only published versions travel) and
    :class:`~nurse_app.domain.forms.library.ScaleLibraryError` when the library
    already holds different content under the same code and version.
    """
    if definition.status != PublicationStatus.PUBLISHED:
        raise ValueError(f"only a published version can be sent, not a {definition.status} one")
    result = ScaleLibrary(library_folder()).save(definition)
    return PublishReceipt(result.entry.path, result.created)
