"""Dictating a whole form: a pure state machine over the enabled questions.

The current item is answered by what the nurse says; a good answer moves the
focus to the next *enabled* item (enableWhen is re-evaluated after every
answer, so a "yes" that opens a follow-up question leads straight to it).
Voice commands move and correct: 下一项/next, 上一项/previous, 撤销/undo,
完成/done. Nothing here listens or waits: the widget feeds recognised text
(or a :class:`FieldFill`) and shows the returned :class:`WalkStep`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nurse_app.domain.forms.definition import NUMERIC_TYPES, FormDefinition, Item
from nurse_app.domain.forms.enable_when import enabled_items
from nurse_app.voice.fill import DEFAULT_THRESHOLD, FieldFill, fill_field, number_value
from nurse_app.voice.numbers import SpokenNumber
from nurse_app.voice.phrases import Command
from nurse_app.voice.recognizer import Word

_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class WalkStep:
    """What one utterance did. ``action``: filled | rejected | moved | undone | done | nothing."""

    action: str
    link_id: str | None  # the item the utterance was about
    fill: FieldFill | None
    current: str | None  # the focused item afterwards (None when the form is finished)
    filled: tuple[str, ...] = ()  # every item that got a value (two for a blood-pressure pair)


class FormWalker:
    def __init__(
        self,
        definition: FormDefinition,
        answers: Mapping[str, object] | None = None,
        *,
        lang: str = "zh_CN",
        threshold: float = DEFAULT_THRESHOLD,
        extras: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
        start_at: str | None = None,
    ) -> None:
        self.definition = definition
        self.lang = lang
        self.threshold = threshold
        self.answers: dict[str, object] = dict(answers or {})
        self.done = False
        self._extras = extras or {}
        self._order = [item for item, _p in definition.walk() if item.is_question and not item.read_only]
        self._history: list[tuple[str | None, dict[str, object]]] = []
        enabled = self.enabled_ids()
        first = next(
            (i.link_id for i in self._order if i.link_id in enabled and i.link_id not in self.answers), None
        )
        self.current_id: str | None = start_at or first

    # -- navigation -------------------------------------------------------------------------------------
    def enabled_ids(self) -> frozenset[str]:
        return enabled_items(self.definition, self.answers)

    @property
    def current(self) -> Item | None:
        return self.definition.find(self.current_id) if self.current_id else None

    def _neighbour(self, link_id: str | None, step: int) -> str | None:
        enabled = self.enabled_ids()
        ids = [i.link_id for i in self._order]
        at = ids.index(link_id) if link_id in ids else (-1 if step > 0 else len(ids))
        at += step
        while 0 <= at < len(ids):
            if ids[at] in enabled:
                return ids[at]
            at += step
        return None

    def next(self) -> WalkStep:
        following = self._neighbour(self.current_id, 1)
        if following is None:
            return WalkStep("nothing", self.current_id, None, self.current_id)
        self.current_id = following
        return WalkStep("moved", following, None, following)

    def previous(self) -> WalkStep:
        before = self._neighbour(self.current_id, -1)
        if before is None:
            return WalkStep("nothing", self.current_id, None, self.current_id)
        self.current_id = before
        return WalkStep("moved", before, None, before)

    def undo(self) -> WalkStep:
        """Take back the last answer (both values of a pair) and return to its item."""
        if not self._history:
            return WalkStep("nothing", None, None, self.current_id)
        focus, previous = self._history.pop()
        for link_id, value in previous.items():
            if value is _MISSING:
                self.answers.pop(link_id, None)
            else:
                self.answers[link_id] = value
        self.current_id = focus
        self.done = False
        return WalkStep("undone", focus, None, focus, tuple(previous))

    def finish(self) -> WalkStep:
        self.done = True
        return WalkStep("done", self.current_id, None, None)

    # -- answers ----------------------------------------------------------------------------------------
    def handle_text(self, text: str, words: Sequence[Word] = (), *, unknown: bool = False) -> WalkStep:
        """Apply one utterance to the current item: a command, or its answer."""
        item = self.current
        if item is None:
            return self.finish() if not self.done else WalkStep("done", None, None, None)
        fill = fill_field(
            item,
            text,
            self.lang,
            words=words,
            unknown=unknown,
            threshold=self.threshold,
            extra=self._extras.get(item.link_id),
            commands=True,
        )
        return self.apply(fill)

    def apply(self, fill: FieldFill) -> WalkStep:
        """Apply a fill computed elsewhere (e.g. by :class:`~nurse_app.voice.session.Dictation`)."""
        if fill.command is not None:
            return {
                Command.NEXT: self.next,
                Command.PREVIOUS: self.previous,
                Command.UNDO: self.undo,
                Command.DONE: self.finish,
            }[fill.command]()
        item = self.current
        if item is None or not fill.ok:
            return WalkStep("rejected", self.current_id, fill, self.current_id)
        changes = {item.link_id: fill.value}
        spill_target = self._neighbour(item.link_id, 1)
        if fill.spill and spill_target is not None:
            target = self.definition.find(spill_target)
            if target is not None and target.type in NUMERIC_TYPES:
                value, problem = number_value(target, SpokenNumber(fill.spill[0]))  # type: ignore[arg-type]
                if problem or value is None:
                    return WalkStep(
                        "rejected",
                        item.link_id,
                        FieldFill(
                            fill.value,
                            fill.text,
                            fill.confidence,
                            fill.low_confidence_words,
                            False,
                            f"{target.link_id}: {problem}",
                        ),
                        self.current_id,
                    )
                changes[target.link_id] = value
        self._history.append((item.link_id, {k: self.answers.get(k, _MISSING) for k in changes}))
        self.answers.update(changes)
        last = list(changes)[-1]
        self.current_id = self._neighbour(last, 1)
        if self.current_id is None:
            self.done = True
        return WalkStep("filled", item.link_id, fill, self.current_id, tuple(changes))
