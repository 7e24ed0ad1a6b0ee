"""New / Open / Save draft / Publish / New version / Copy / Retire / Import and Export FHIR.

Each operation has a form that takes its input as arguments (tests and the
command line use those) and a ``*_dialog`` form that asks the user first.
Results are reported through ``sig_message`` to the window's message bar
rather than modal boxes, so an administrator can keep working (and tests
never block). Files are small JSON documents written on the GUI thread; the
"send to the central service" step runs in the network pool because it will
talk to the server once sync is connected.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from nurse_app.domain.errors import DomainError
from nurse_app.domain.forms import (
    FormDefinition,
    check_definition,
    copy_as,
    dumps,
    loads,
    new_version,
    publish,
    retire,
)
from nurse_app.domain.forms.problems import FormDefinitionError
from ui.designer.document import DesignDocument, blank_definition
from ui.designer.publishing import PublishReceipt, publish_to_service
from ui.i18n import _, current_language
from ui.operations import Operation

log = logging.getLogger(__name__)

_JSON_FILTER = "JSON (*.json)"


def _scale_missing_words(definition: FormDefinition) -> dict[str, tuple[str, ...]] | None:
    """The desk's check (``ui.voice.service``): words the configured Mandarin model lacks, or ``None``."""
    from ui.voice.service import scale_missing_words

    return scale_missing_words(definition)


def fhir_module():
    """The FHIR interchange module, or ``None`` while it is not part of the build."""
    try:
        from nurse_app.domain.forms import fhir
    except ImportError:
        return None
    return fhir


class Lifecycle(QObject):
    """The scale-level operations of the designer on one :class:`DesignDocument`."""

    sig_message = Signal(str, bool)  # text, is_error
    sig_published = Signal(object)  # PublishReceipt
    sig_voice_words = Signal(str)  # after publishing: the scale's words the voice model cannot hear

    def __init__(self, document: DesignDocument, window: QWidget) -> None:
        super().__init__(window)
        self._document = document
        self._window = window
        self.confirm: Callable[[str], bool] = self._ask  # tests replace it to answer without a dialog
        self.publishing = False
        # Blocking, run in the model pool after a publish; tests replace it (e.g. with other settings).
        self.voice_words: Callable[[FormDefinition], dict[str, tuple[str, ...]] | None] = _scale_missing_words

    def _ask(self, text: str) -> bool:
        answer = QMessageBox.question(self._window, _("Scale designer"), text)
        return answer == QMessageBox.StandardButton.Yes

    def _say(self, text: str, error: bool = False) -> None:
        self.sig_message.emit(text, error)

    def _may_discard(self) -> bool:
        return not self._document.dirty or self.confirm(_("Discard the unsaved changes?"))

    # -- files --------------------------------------------------------------------------------
    def new_scale(self) -> None:
        if self._may_discard():
            self._document.load(blank_definition())
            self._say(_("New scale: drag item types from the palette onto the item tree."))

    def open_file(self, path: Path) -> bool:
        """Open our JSON file, even a broken draft (its problems are listed, not refused)."""
        if not self._may_discard():
            return False
        try:
            definition = loads(Path(path).read_text(encoding="utf-8"), check=False, lang=current_language())
        except (OSError, FormDefinitionError) as error:
            self._say(_("Cannot open {path}: {error}").format(path=path, error=error), True)
            return False
        self._document.load(definition, Path(path))
        self._say(_("Opened {path}").format(path=path))
        return True

    def open_dialog(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self._window, _("Open scale"), "", _JSON_FILTER)
        if path:
            self.open_file(Path(path))

    def save(self, path: Path | None = None) -> bool:
        """Save to ``path`` (default: the file it came from); drafts save offline, any time."""
        path = path or self._document.file_path
        if path is None:
            return self.save_dialog()
        try:
            _write(Path(path), dumps(self._document.definition) + "\n")
        except OSError as error:
            self._say(_("Cannot save {path}: {error}").format(path=path, error=error), True)
            return False
        self._document.mark_saved(Path(path))
        self._say(_("Saved {path}").format(path=path))
        return True

    def save_dialog(self) -> bool:
        defn = self._document.definition
        suggested = str(self._document.file_path or f"{defn.code}.v{defn.version}.json")
        path, _filter = QFileDialog.getSaveFileName(self._window, _("Save draft"), suggested, _JSON_FILTER)
        return self.save(Path(path)) if path else False

    # -- life cycle ---------------------------------------------------------------------------
    def publish(self) -> bool:
        """Check and publish the draft, then hand it to :func:`publish_to_service` (network pool)."""
        defn = self._document.definition
        problems = check_definition(defn, current_language())
        if problems:
            self._say(
                _("Cannot publish: fix the {count} problem(s) first.").format(count=len(problems)), True
            )
            return False
        try:
            published = publish(defn)
        except DomainError as error:
            self._say(str(error), True)
            return False
        self.publishing = True

        def done(receipt: PublishReceipt) -> None:
            self.publishing = False
            self._document.load(published, keep_path=True)
            if self._document.file_path is not None:
                self.save()  # the file now says "published" too, so reopening it stays read-only
            self._say(
                _("Published {code} v{version}. Saved to the local scale library: {path}").format(
                    code=published.code, version=published.version, path=receipt.path
                )
            )
            self.sig_published.emit(receipt)
            self.check_voice_words(published)

        def failed(error: Exception) -> None:
            self.publishing = False
            self._say(_("Publishing failed, the scale stays a draft: {error}").format(error=error), True)

        Operation(lambda: publish_to_service(published)).success(done).failure(failed).run_in("network")
        return True

    def check_voice_words(self, definition: FormDefinition) -> None:
        """Off the GUI thread: report (``sig_voice_words``) the words the Mandarin model lacks, if any."""
        check = self.voice_words

        def report(missing: dict[str, tuple[str, ...]] | None) -> None:
            if not missing:
                return  # no model configured, or it hears every word
            words = "、".join(dict.fromkeys(word for found in missing.values() for word in found))
            self.sig_voice_words.emit(_("The voice model lacks these words: {words}").format(words=words))

        def failed(error: Exception) -> None:
            log.warning("checking the scale's words against the voice model failed: %s", error)

        Operation(lambda: check(definition)).success(report).failure(failed).run_in("model")

    def new_version(self) -> bool:
        try:
            draft = new_version(self._document.definition)
        except DomainError as error:
            self._say(str(error), True)
            return False
        self._document.load(draft)
        self._say(_("New draft version {version}: edit it, then publish.").format(version=draft.version))
        return True

    def copy(self, code: str) -> bool:
        try:
            draft = copy_as(self._document.definition, code.strip())
        except DomainError as error:
            self._say(str(error), True)
            return False
        self._document.load(draft)
        self._say(_("Copied as new scale {code}, version 1.").format(code=draft.code))
        return True

    def copy_dialog(self) -> None:
        code, ok = QInputDialog.getText(self._window, _("Copy scale"), _("Code of the new scale:"))
        if ok and code.strip():
            self.copy(code)

    def retire(self) -> bool:
        try:
            retired = retire(self._document.definition)
        except DomainError as error:
            self._say(str(error), True)
            return False
        if not self.confirm(_("Retire this version? New follow-ups will no longer use it.")):
            return False
        self._document.load(retired, keep_path=True)
        if self._document.file_path is not None:
            self.save()
        self._say(_("Retired {code} v{version}.").format(code=retired.code, version=retired.version))
        return True

    # -- FHIR ---------------------------------------------------------------------------------
    def import_fhir(self, path: Path) -> bool:
        fhir = fhir_module()
        if fhir is None or not self._may_discard():
            return False
        try:
            result = fhir.import_questionnaire(Path(path).read_bytes(), lang=current_language())
        except (OSError, DomainError) as error:
            self._say(_("Cannot import {path}: {error}").format(path=path, error=error), True)
            return False
        self._document.load(result.definition)
        if result.issues:
            details = "; ".join(str(issue) for issue in result.issues[:3])
            self._say(
                _("Imported with {count} element(s) left out: {details}").format(
                    count=len(result.issues), details=details
                ),
                True,
            )
        else:
            self._say(_("Imported {path}").format(path=path))
        return True

    def import_dialog(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self._window, _("Import FHIR Questionnaire"), "", _JSON_FILTER
        )
        if path:
            self.import_fhir(Path(path))

    def export_fhir(self, path: Path) -> bool:
        fhir = fhir_module()
        if fhir is None:
            return False
        try:
            data = fhir.export_questionnaire(self._document.definition)
            _write(Path(path), json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        except (OSError, DomainError, ValueError) as error:
            self._say(_("Cannot export {path}: {error}").format(path=path, error=error), True)
            return False
        self._say(_("Exported FHIR Questionnaire to {path}").format(path=path))
        return True

    def export_dialog(self) -> None:
        defn = self._document.definition
        suggested = f"{defn.code}.v{defn.version}.fhir.json"
        path, _filter = QFileDialog.getSaveFileName(
            self._window, _("Export FHIR Questionnaire"), suggested, _JSON_FILTER
        )
        if path:
            self.export_fhir(Path(path))


def _write(path: Path, text: str) -> None:
    # Write next to the target and rename, so a crash never leaves half a scale file.
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
