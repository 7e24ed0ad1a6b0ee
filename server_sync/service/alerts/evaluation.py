"""The service's own evaluation of a pushed response: the scale's critical rules with the ward's
current thresholds (read per evaluation, so a published change applies to the next response)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nurse_app.domain.forms.bundled import BundledScalesError, bundled_scales
from nurse_app.domain.forms.critical_rules import RaisedAlert, evaluate_critical
from nurse_app.domain.forms.definition import FormDefinition
from nurse_app.domain.forms.parse import from_dict
from server_sync.service.config.models import ConfigDocumentRow


@lru_cache(maxsize=256)
def _parse(kind_key_version: tuple[str, int], body_json: str) -> FormDefinition:
    import json

    return from_dict(json.loads(body_json), check=False)


def scale_definition(db_session: Session, code: str, version: int) -> FormDefinition | None:
    """The published scale (code, version), else the bundled one of that code; None when unknown."""
    row = db_session.get(ConfigDocumentRow, ("scale", code, version))
    if row is not None:
        import json

        try:
            return _parse((code, version), json.dumps(row.body, sort_keys=True))
        except Exception:
            pass
    try:
        return bundled_scales().get(code)
    except BundledScalesError:
        return None


def ward_overrides(db_session: Session, ward_code: str) -> dict[str, object]:
    """rule code → threshold (or None: switched off) from the ward's newest thresholds document.

    The document's rules look like ``{"code": "SBP_HIGH", "threshold": 170}`` or
    ``{"code": "HR_LOW", "enabled": false}``.
    """
    latest = db_session.execute(
        select(func.max(ConfigDocumentRow.version)).where(
            ConfigDocumentRow.kind == "thresholds", ConfigDocumentRow.key == ward_code
        )
    ).scalar_one()
    if latest is None:
        return {}
    row = db_session.get(ConfigDocumentRow, ("thresholds", ward_code, latest))
    overrides: dict[str, object] = {}
    for rule in (row.body or {}).get("rules", []) if row else []:
        if isinstance(rule, dict) and isinstance(rule.get("code"), str):
            overrides[rule["code"]] = None if rule.get("enabled") is False else rule.get("threshold")
    return overrides


def item_label(definition: FormDefinition, link_id: str) -> str:
    item = definition.find(link_id)
    text: Any = getattr(item, "text", None) if item is not None else None
    if isinstance(text, str):
        return text or link_id
    zh = getattr(text, "zh", None) if text is not None else None
    return zh or link_id


def evaluate_response(
    db_session: Session, payload: dict[str, Any], ward_code: str
) -> tuple[FormDefinition | None, list[RaisedAlert]]:
    """The alerts a response raises under the service's current configuration."""
    definition = scale_definition(
        db_session, payload["questionnaire_code"], int(payload["questionnaire_version"])
    )
    if definition is None:
        return None, []
    answers: dict[str, object] = {}
    for answer in payload.get("answers", []):
        answers.setdefault(answer["link_id"], answer["value"])
    try:
        return definition, evaluate_critical(definition, answers, ward_overrides(db_session, ward_code))
    except Exception:
        return definition, []
