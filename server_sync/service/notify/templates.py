"""Message templates (Chinese and English) with named placeholders, checked when saved."""

from __future__ import annotations

import string
from collections.abc import Mapping

from server_sync.service.core.errors import ServiceError

# Placeholders each template may use; anything else is refused when the template is saved.
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "alert_doctor": frozenset(
        {"patient", "ward", "scale", "item", "value", "threshold", "nurse", "alert_id", "severity", "message"}
    ),
    "alert_escalated": frozenset(
        {"patient", "ward", "scale", "item", "value", "threshold", "nurse", "alert_id", "level", "minutes"}
    ),
    "reminder_day_before": frozenset({"patient", "ward", "date", "phone"}),
    "reminder_callback": frozenset({"patient", "ward", "phone"}),
}

DEFAULTS: dict[str, dict[str, str]] = {
    "alert_doctor": {
        "zh_CN": "【危急值】患者{patient}（{ward}）{scale}：{item}={value}，阈值{threshold}。"
        "随访护士{nurse}。请确认告警 {alert_id}",
        "en": "[Critical value] Patient {patient} ({ward}) {scale}: {item}={value}, threshold {threshold}. "
        "Called by {nurse}. Acknowledge alert {alert_id}",
    },
    "alert_escalated": {
        "zh_CN": "【危急值升级{level}】{minutes}分钟内无人确认："
        "患者{patient}（{ward}）{scale}：{item}={value}，"
        "阈值{threshold}，随访护士{nurse}。请确认告警 {alert_id}",
        "en": "[Critical value escalated, level {level}] Not acknowledged within {minutes} min: patient "
        "{patient} ({ward}) {scale}: {item}={value}, threshold {threshold}, nurse {nurse}. "
        "Acknowledge alert {alert_id}",
    },
    "reminder_day_before": {
        "zh_CN": "{patient}您好，{ward}护士将于{date}给您电话随访，请保持电话畅通。如有疑问请致电{phone}。",
        "en": "Dear {patient}, a nurse of {ward} will phone you on {date} for your follow-up. "
        "Questions: {phone}.",
    },
    "reminder_callback": {
        "zh_CN": "{patient}您好，{ward}随访护士今天未能联系到您，请回电 {phone}。",
        "en": "Dear {patient}, the {ward} follow-up nurse could not reach you today; "
        "please call back {phone}.",
    },
}


def placeholders_of(text: str) -> set[str]:
    """The ``{name}`` placeholders of ``text`` (raises ValueError on unbalanced braces)."""
    names: set[str] = set()
    for _literal, field, _spec, _conversion in string.Formatter().parse(text):
        if field is not None:
            names.add(field)
    return names


def validate_templates(body: Mapping[str, object]) -> dict[str, dict[str, str]]:
    """The templates of ``body`` after checking names, languages and placeholders (422 otherwise)."""
    checked: dict[str, dict[str, str]] = {}
    for name, texts in body.items():
        allowed = PLACEHOLDERS.get(name)
        if allowed is None:
            raise ServiceError(422, "invalid_request", f"unknown template {name!r}")
        if not isinstance(texts, Mapping) or not texts:
            raise ServiceError(422, "invalid_request", f"template {name!r} needs zh_CN/en texts")
        checked[name] = {}
        for lang, text in texts.items():
            if lang not in ("zh_CN", "en") or not isinstance(text, str) or not text.strip():
                raise ServiceError(
                    422, "invalid_request", f"template {name!r}: bad language or text {lang!r}"
                )
            try:
                used = placeholders_of(text)
            except ValueError as error:
                raise ServiceError(422, "invalid_request", f"template {name!r} ({lang}): {error}") from None
            unknown = sorted(used - allowed)
            if unknown or any(not n.isidentifier() for n in used):
                raise ServiceError(
                    422,
                    "invalid_request",
                    f"template {name!r} ({lang}) uses unknown placeholder(s) {', '.join(unknown) or '?'}; "
                    f"allowed: {', '.join(sorted(allowed))}",
                )
            checked[name][lang] = text
    return checked


def render(
    templates: Mapping[str, Mapping[str, str]], name: str, lang: str, values: Mapping[str, object]
) -> str:
    """Template ``name`` in ``lang`` (configured, else built in) filled with ``values``."""
    texts = templates.get(name) or DEFAULTS[name]
    text = (
        texts.get(lang) or texts.get("zh_CN") or DEFAULTS[name][lang if lang in ("zh_CN", "en") else "zh_CN"]
    )
    return text.format_map({key: values.get(key, "") for key in PLACEHOLDERS[name]})
