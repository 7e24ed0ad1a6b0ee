"""FHIR R4 interchange for scales: ``Questionnaire`` in and out, ``QuestionnaireResponse`` out.

Mapping (ours ↔ FHIR R4):

* ``code`` ↔ ``identifier`` (system ``…/scale-code``); on import without it, the
  ``name``, ``id`` or ``url`` tail (reported). ``url``/``id``/``name`` are derived on export.
* ``version`` (int) ↔ ``version`` (string). A non-integer FHIR version is
  imported as its leading number (else 1) and the original kept as
  ``ImportResult.source_version`` (and written back in our ``source-version`` extension).
* ``status`` draft/published/retired ↔ draft/active/retired (anything else → draft, reported).
* :class:`LocalText` ↔ the string in the resource ``language`` (zh-CN on export)
  plus ``translation`` extensions on ``_text``/``_title``/``_display``; files
  without ``language`` are read as Chinese when their texts hold Han characters.
* ``answerOption`` ↔ ``valueCoding`` with the ``ordinalValue`` extension; on
  import also ``itemWeight`` / ``iso21090-CO-value``, the extension on the
  answerOption itself, ``valueString``/``valueInteger`` options and contained
  ValueSets (``answerValueSet: "#id"``, compose or expansion, designations).
* ``initial`` ↔ ``initial.value[x]`` (choices: ``answerOption.initialSelected``).
* ``enableWhen``/``enableBehavior``/``required``/``repeats``/``readOnly``/
  ``maxLength`` ↔ the same elements; ``minValue``/``maxValue``/``minLength``/
  ``regex`` ↔ the core extensions (quantities: SDC min/maxQuantity); ``unit`` ↔
  ``questionnaire-unitOption`` (``questionnaire-unit`` also read).
* scores ↔ read-only ``decimal`` items with an SDC ``calculatedExpression``
  (a FHIRPath sum, see :mod:`fhir_score_expr`) and our ``score`` extension
  (name, bands); satisfaction items ↔ our ``satisfaction-item`` extension;
  critical rules ↔ our ``critical-rule`` extensions on the Questionnaire.

Import is all or nothing: it returns a checked definition plus an
:class:`ImportIssue` (linkId, what, why) for every element that could not be
kept, or raises :class:`FormImportError`. ``import → export → import`` gives
back an equal definition for everything the engine supports.
"""

from __future__ import annotations

from nurse_app.domain.forms.fhir_common import (
    URL_CRITICAL_RULE,
    URL_SATISFACTION,
    URL_SCORE,
    FormImportError,
    ImportIssue,
)
from nurse_app.domain.forms.fhir_export import export_questionnaire, questionnaire_url
from nurse_app.domain.forms.fhir_import import ImportResult, import_questionnaire
from nurse_app.domain.forms.fhir_response import export_response

__all__ = [
    "URL_CRITICAL_RULE",
    "URL_SATISFACTION",
    "URL_SCORE",
    "FormImportError",
    "ImportIssue",
    "ImportResult",
    "export_questionnaire",
    "export_response",
    "import_questionnaire",
    "questionnaire_url",
]
