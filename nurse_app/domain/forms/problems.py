"""Problems found in answers or in a scale definition, and the error that carries the latter."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nurse_app.domain.errors import DomainError


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem: the item (or score / rule) it is about, a stable code, and a readable message.

    ``code`` is stable and language-neutral (tests and the UI key on it);
    ``message`` is already in the language that was asked for.
    """

    link_id: str
    code: str
    message: str


class FormDefinitionError(DomainError):
    """A scale definition that cannot be used; ``problems`` lists every problem found, not just the first."""

    def __init__(self, form: str, problems: Iterable[Problem]) -> None:
        self.form = form
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = "; ".join(f"[{p.link_id}] {p.message}" for p in self.problems)
        super().__init__(f"invalid scale {form}: {len(self.problems)} problem(s): {lines}")

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]


class ImmutableDefinitionError(DomainError):
    """An attempt to edit a scale version that is no longer a draft."""
