"""The form engine: scale (量表) definitions shaped after FHIR Questionnaire, and everything done with them.

Pure Python (no Qt, SQL or HTTP), shared by the desktop and the service.

* :mod:`definition` — the frozen dataclasses (``FormDefinition``, ``Item``, ``LocalText``…);
* :mod:`parse` / :mod:`serialize` — our JSON format (FHIR names, camelCase);
* :mod:`checks` — validation of a definition (``FormDefinitionError`` with all problems);
* :mod:`enable_when`, :mod:`validation`, :mod:`scoring`, :mod:`critical_rules` — per-answer work;
* :mod:`engine` — ``evaluate`` (all of it in one pass, per keystroke) and ``to_answers``;
* :mod:`versioning` — draft → published → retired, new versions, copies, draft edits.
"""

from __future__ import annotations

from nurse_app.domain.forms.checks import check_definition, ensure_valid
from nurse_app.domain.forms.compiled import CompiledForm, compile_form
from nurse_app.domain.forms.critical_rules import (
    DISABLED,
    RaisedAlert,
    check_overrides,
    evaluate_critical,
    unknown_override_codes,
)
from nurse_app.domain.forms.definition import (
    AnswerOption,
    CriticalRule,
    EnableBehavior,
    EnableOperator,
    EnableWhen,
    FormDefinition,
    Item,
    ItemType,
    LocalText,
    RuleOperator,
    ScoreBand,
    ScoreDefinition,
    ScoreItem,
)
from nurse_app.domain.forms.enable_when import enabled_items, is_enabled
from nurse_app.domain.forms.engine import Evaluation, evaluate, to_answers
from nurse_app.domain.forms.parse import dumps, from_dict, loads, to_dict
from nurse_app.domain.forms.problems import FormDefinitionError, ImmutableDefinitionError, Problem
from nurse_app.domain.forms.scoring import ScoreResult, compute_scores
from nurse_app.domain.forms.validation import prune_hidden, validate_answers
from nurse_app.domain.forms.versioning import (
    add_item,
    copy_as,
    edit,
    new_version,
    publish,
    remove_item,
    replace_item,
    retire,
    set_critical_rules,
    set_scores,
    set_title,
)

__all__ = [
    "DISABLED",
    "AnswerOption",
    "CompiledForm",
    "CriticalRule",
    "EnableBehavior",
    "EnableOperator",
    "EnableWhen",
    "Evaluation",
    "FormDefinition",
    "FormDefinitionError",
    "ImmutableDefinitionError",
    "Item",
    "ItemType",
    "LocalText",
    "Problem",
    "RaisedAlert",
    "RuleOperator",
    "ScoreBand",
    "ScoreDefinition",
    "ScoreItem",
    "ScoreResult",
    "add_item",
    "check_definition",
    "check_overrides",
    "compile_form",
    "compute_scores",
    "copy_as",
    "dumps",
    "edit",
    "enabled_items",
    "ensure_valid",
    "evaluate",
    "evaluate_critical",
    "from_dict",
    "is_enabled",
    "loads",
    "new_version",
    "prune_hidden",
    "publish",
    "remove_item",
    "replace_item",
    "retire",
    "set_critical_rules",
    "set_scores",
    "set_title",
    "to_answers",
    "to_dict",
    "unknown_override_codes",
    "validate_answers",
]
