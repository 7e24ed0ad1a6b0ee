"""Which scale definition a task's questionnaire code means, and everything the scale panel loads at once.

Definitions come from two places: the scales bundled with the application and,
later, the configuration pulled from the service (``configured_scales`` — the
one seam the sync client fills). A code without a version means the newest
*published* version; an explicit version (a draft or an old response) is
honoured even when retired, because a published version never changes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from nurse_app.desk.context import DeskContext
from nurse_app.desk.drafts import Draft, discard_draft, load_drafts
from nurse_app.domain.errors import DomainError
from nurse_app.domain.forms import FormDefinition
from nurse_app.domain.forms.bundled import bundled_scales
from nurse_app.domain.model import FollowUpTask, PublicationStatus

__all__ = [
    "ScaleSet",
    "UnknownScale",
    "clear_configured_scales",
    "configured_scales",
    "definition_for",
    "install_configured_scales",
    "scales_for_task",
    "ward_overrides",
]


class UnknownScale(DomainError):
    """No bundled or configured scale has this code (or this version of it)."""

    def __init__(self, code: str, version: int | None, known: Iterable[str]) -> None:
        self.code = code
        self.version = version
        what = f"scale '{code}'" if version is None else f"version {version} of scale '{code}'"
        super().__init__(f"no {what} on this PC (known scales: {', '.join(sorted(set(known))) or 'none'})")


_configured: dict[tuple[str, int], FormDefinition] = {}
_configured_lock = threading.Lock()  # the sync worker installs while the GUI's db worker reads


def install_configured_scales(definitions: Iterable[FormDefinition]) -> None:
    """Make scale versions pulled from the service available (hot config: no restart needed)."""
    with _configured_lock:
        for definition in definitions:
            _configured[definition.key] = definition


def clear_configured_scales() -> None:
    """Forget every configured scale (logout, tests)."""
    with _configured_lock:
        _configured.clear()


def configured_scales(ctx: DeskContext | None) -> list[FormDefinition]:
    """Scale versions from the service's configuration.

    The one place to change when configuration is kept in the cache: today the
    sync client hands pulled versions to :func:`install_configured_scales`.
    """
    with _configured_lock:
        return list(_configured.values())


def _candidates(ctx: DeskContext | None, code: str) -> tuple[list[FormDefinition], list[str]]:
    configured = configured_scales(ctx)
    bundled = bundled_scales()
    versions = [d for d in configured if d.code == code]
    # The service's configuration wins over the bundled copy of the same version.
    have = {d.version for d in versions}
    if code in bundled and bundled[code].version not in have:
        versions.append(bundled[code])
    return versions, [*bundled, *(d.code for d in configured)]


def definition_for(ctx: DeskContext | None, code: str, version: int | None = None) -> FormDefinition:
    """The definition of scale ``code``: ``version`` exactly, or the newest published one.

    Raises :class:`UnknownScale` naming the scales this PC knows.
    """
    versions, known = _candidates(ctx, code)
    if version is not None:
        for definition in versions:
            if definition.version == version:
                return definition
        raise UnknownScale(code, version, known)
    published = [d for d in versions if d.status == PublicationStatus.PUBLISHED]
    if not published:
        raise UnknownScale(code, None, known)
    return max(published, key=lambda d: d.version)


def ward_overrides(ctx: DeskContext | None, ward_code: str) -> Mapping[str, object]:
    """The ward's critical-threshold overrides (rule code → threshold, or None to switch off).

    No ward has overrides yet (they will arrive with the pulled configuration).
    """
    return {}


@dataclass(frozen=True, slots=True)
class ScaleSet:
    """What the scale panel of one task shows: each scale's definition, draft and whether it is in."""

    task: FollowUpTask
    definitions: dict[str, FormDefinition]  # in the task's order; unknown codes are in ``errors``
    drafts: dict[str, Draft]
    answered: frozenset[str]
    overrides: Mapping[str, object]
    errors: dict[str, str] = field(default_factory=dict)


def scales_for_task(ctx: DeskContext, task: FollowUpTask) -> ScaleSet:
    """Load the task's scales, its drafts (each at the version it was started on) and what is submitted.

    A draft of a scale already submitted is left over from a crash between the
    submit and the draft's deletion: it is deleted here rather than offered.
    """
    drafts = load_drafts(ctx, task.id)
    with ctx.unit_of_work() as (repo, _session):
        responses = repo.responses_of_task(task.id)
    superseded = {r.supersedes for r in responses if r.supersedes}
    answered = frozenset(r.questionnaire_code for r in responses if r.id not in superseded)
    for code in [c for c in drafts if c in answered]:
        discard_draft(ctx, task.id, code)
        del drafts[code]
    definitions: dict[str, FormDefinition] = {}
    errors: dict[str, str] = {}
    for code in task.questionnaires:
        draft = drafts.get(code)
        try:
            definitions[code] = definition_for(ctx, code, draft.questionnaire_version if draft else None)
        except UnknownScale as error:
            errors[code] = str(error)
            drafts.pop(code, None)
    return ScaleSet(task, definitions, drafts, answered, ward_overrides(ctx, task.ward_code), errors)
