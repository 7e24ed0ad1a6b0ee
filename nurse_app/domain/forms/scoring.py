"""Named scores computed live from (possibly partial) answers, with interpretation bands.

A score is the weighted sum over its items of: the ordinal of each chosen
option (choice / open-choice; free text counts nothing), 1 for "yes" and 0 for
"no" (boolean), or the number itself (integer / decimal / quantity value).
Only enabled items with a valid answer count. ``answered`` tells how many of
the score's items contributed, so the UI can show "PHQ-9: 12 (7/9 answered)".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from nurse_app.domain.forms.compiled import CompiledItem
from nurse_app.domain.forms.definition import FormDefinition, ItemType, LocalText, ScoreBand
from nurse_app.domain.forms.enable_when import FormState, build_state
from nurse_app.domain.forms.values import INVALID


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """One score's current value and reading."""

    name: str
    value: float
    answered: int  # scored items that currently contribute an answer
    enabled: int  # scored items currently shown
    total: int  # scored items in the definition
    band: ScoreBand | None
    label: str  # the band's label in the requested language, "" outside every band
    title: LocalText = field(default_factory=LocalText)

    @property
    def complete(self) -> bool:
        """Every shown scored item is answered."""
        return self.answered == self.enabled


def item_points(ci: CompiledItem, keys: list[object]) -> float | None:
    """The unweighted points of one item's answer keys, or None when nothing counts."""
    kind = ci.type
    points = 0.0
    counted = False
    for key in keys:
        if key is INVALID:
            continue
        if kind == ItemType.CHOICE or kind == ItemType.OPEN_CHOICE:
            ordinal = ci.ordinals.get(key)  # type: ignore[arg-type]
            if ordinal is None:
                continue
            points += ordinal
        elif kind == ItemType.BOOLEAN:
            points += 1.0 if key else 0.0
        else:
            points += key  # type: ignore[operator]
        counted = True
    return points if counted else None


def scores_of(state: FormState, lang: str = "zh_CN") -> dict[str, ScoreResult]:
    """Every score of an evaluated :class:`FormState`, by name, in definition order."""
    items, enabled, keys = state.form.items, state.enabled, state.keys
    results: dict[str, ScoreResult] = {}
    for compiled in state.form.scores:
        value = 0.0
        answered = shown = 0
        for index, weight in compiled.entries:
            if not enabled[index]:
                continue
            shown += 1
            item_keys = keys[index]
            if not item_keys:
                continue
            points = item_points(items[index], item_keys)
            if points is not None:
                value += points * weight
                answered += 1
        score = compiled.score
        band = score.band_for(value)
        results[score.name] = ScoreResult(
            name=score.name,
            value=value,
            answered=answered,
            enabled=shown,
            total=len(compiled.entries),
            band=band,
            label=band.label.get(lang) if band is not None else "",
            title=score.title,
        )
    return results


def compute_scores(
    definition: FormDefinition, answers: Mapping[str, object], lang: str = "zh_CN"
) -> dict[str, ScoreResult]:
    """Every score of ``definition`` for ``answers`` (partial answers welcome), by name."""
    return scores_of(build_state(definition, answers), lang)
