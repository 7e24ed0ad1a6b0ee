"""The scale (量表) definition as immutable dataclasses, shaped after FHIR R4 ``Questionnaire``.

Field names are the snake_case spelling of the FHIR element names (``linkId`` →
``link_id``, ``answerOption`` → ``answer_options``, ``enableWhen`` →
``enable_when``) so the FHIR import/export is a mechanical mapping. Everything
is frozen: a definition is shared by the compiled-form cache, the UI and the
sync layer, and a published version must never change under them. Edits go
through :mod:`nurse_app.domain.forms.versioning`, which returns new objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from nurse_app.domain.model import AlertSeverity, PublicationStatus

#: The languages every text is kept in; ``zh_CN`` is the default everywhere.
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANG = "zh_CN"


def normalize_lang(lang: str | None) -> str:
    """Map "zh", "zh-CN", "zh_cn", "en-US"… to one of :data:`LANGUAGES` (unknown → ``zh_CN``)."""
    if not lang:
        return DEFAULT_LANG
    low = lang.replace("-", "_").lower()
    if low.startswith("en"):
        return "en"
    return DEFAULT_LANG


@dataclass(frozen=True, slots=True)
class LocalText:
    """A text in Chinese and English. An empty side falls back to the other one when read."""

    zh: str = ""
    en: str = ""

    def get(self, lang: str = DEFAULT_LANG) -> str:
        """The text in ``lang`` ("zh_CN" or "en"), or the other language when that side is empty."""
        if normalize_lang(lang) == "en":
            return self.en or self.zh
        return self.zh or self.en

    def __str__(self) -> str:
        return self.get()


class ItemType(StrEnum):
    """FHIR R4 ``Questionnaire.item.type`` values the engine supports."""

    GROUP = "group"
    DISPLAY = "display"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    OPEN_CHOICE = "open-choice"
    INTEGER = "integer"
    DECIMAL = "decimal"
    QUANTITY = "quantity"
    STRING = "string"
    TEXT = "text"
    DATE = "date"
    DATETIME = "dateTime"


#: Items that hold no answer of their own.
NON_QUESTION_TYPES = frozenset({ItemType.GROUP, ItemType.DISPLAY})
NUMERIC_TYPES = frozenset({ItemType.INTEGER, ItemType.DECIMAL, ItemType.QUANTITY})
TEXT_TYPES = frozenset({ItemType.STRING, ItemType.TEXT})
CHOICE_TYPES = frozenset({ItemType.CHOICE, ItemType.OPEN_CHOICE})
DATE_TYPES = frozenset({ItemType.DATE, ItemType.DATETIME})
_TYPE_VALUES = {t.value: t for t in ItemType}


def parse_item_type(raw: str) -> ItemType | str:
    """The :class:`ItemType` for ``raw``; an unknown string is kept as is so the checker can name it."""
    return _TYPE_VALUES.get(raw, raw)


class EnableOperator(StrEnum):
    EXISTS = "exists"
    EQ = "="
    NE = "!="
    GT = ">"
    LT = "<"
    GE = ">="
    LE = "<="


class EnableBehavior(StrEnum):
    ALL = "all"
    ANY = "any"


class RuleOperator(StrEnum):
    GE = ">="
    LE = "<="
    GT = ">"
    LT = "<"
    EQ = "="
    NE = "!="
    IN = "in"


ORDERING_OPERATORS = frozenset({">", "<", ">=", "<="})


@dataclass(frozen=True, slots=True)
class AnswerOption:
    """One permitted answer of a choice item. ``ordinal`` is the scored value (FHIR ``ordinalValue``)."""

    code: str
    display: LocalText
    ordinal: float | None = None


@dataclass(frozen=True, slots=True)
class EnableWhen:
    """Show the owning item only when ``question`` compares to ``answer`` with ``operator``.

    For choice questions ``answer`` is an option code (``=``/``!=``) or a number
    compared to the chosen option's ordinal (ordering operators); for quantity
    questions a number compared to the quantity's value; for ``exists`` a bool.
    """

    question: str
    operator: EnableOperator
    answer: object


@dataclass(frozen=True, slots=True)
class Item:
    """One node of the items tree: a group, a display text or a question."""

    link_id: str
    type: ItemType | str
    text: LocalText = field(default_factory=LocalText)
    required: bool = False
    repeats: bool = False
    read_only: bool = False
    answer_options: tuple[AnswerOption, ...] = ()
    initial: tuple[object, ...] = ()
    enable_when: tuple[EnableWhen, ...] = ()
    enable_behavior: EnableBehavior = EnableBehavior.ALL
    min_value: float | str | None = None  # numbers, or ISO strings for date/dateTime items
    max_value: float | str | None = None
    min_length: int | None = None
    max_length: int | None = None
    regex: str | None = None
    unit: str | None = None  # quantity items: the expected unit, e.g. "mmHg"
    satisfaction: bool = False  # a 5-point item of the satisfaction survey (ordinals 1..5)
    items: tuple[Item, ...] = ()

    @property
    def is_question(self) -> bool:
        return self.type not in NON_QUESTION_TYPES

    def option(self, code: str) -> AnswerOption | None:
        for opt in self.answer_options:
            if opt.code == code:
                return opt
        return None


@dataclass(frozen=True, slots=True)
class ScoreItem:
    """An item counted in a score, with its weight (1 unless stated)."""

    link_id: str
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class ScoreBand:
    """An interpretation band: ``min <= score <= max`` reads as ``label``."""

    min: float
    max: float
    label: LocalText

    def contains(self, value: float) -> bool:
        return self.min <= value <= self.max


@dataclass(frozen=True, slots=True)
class ScoreDefinition:
    """A named score: the (weighted) sum of the ordinals of ``items``."""

    name: str
    items: tuple[ScoreItem, ...]
    bands: tuple[ScoreBand, ...] = ()
    title: LocalText = field(default_factory=LocalText)

    def band_for(self, value: float) -> ScoreBand | None:
        for band in self.bands:
            if band.contains(value):
                return band
        return None


@dataclass(frozen=True, slots=True)
class CriticalRule:
    """A critical-value rule on an item (by linkId) or a score (by name).

    ``threshold`` is a number for ordering operators, a code/bool/number for
    ``=``/``!=`` and a tuple of option codes for ``in``. The message may use the
    placeholders ``{value}`` and ``{threshold}``.
    """

    code: str
    target: str
    operator: RuleOperator
    threshold: object
    severity: AlertSeverity
    message: LocalText = field(default_factory=LocalText)


# Not slotted on purpose: the compiled-form cache holds a weak reference to the definition.
@dataclass(frozen=True)
class FormDefinition:
    """A versioned scale. ``status`` follows draft → published → retired; published is immutable."""

    code: str
    version: int
    status: PublicationStatus
    title: LocalText
    items: tuple[Item, ...]
    scores: tuple[ScoreDefinition, ...] = ()
    critical_rules: tuple[CriticalRule, ...] = ()

    def walk(self) -> Iterator[tuple[Item, Item | None]]:
        """Every item in document (pre-)order with its parent (``None`` at top level)."""
        return walk_items(self.items)

    def find(self, link_id: str) -> Item | None:
        """The item with ``link_id`` anywhere in the tree, or ``None``."""
        for item, _parent in self.walk():
            if item.link_id == link_id:
                return item
        return None

    def score(self, name: str) -> ScoreDefinition | None:
        for score in self.scores:
            if score.name == name:
                return score
        return None

    @property
    def key(self) -> tuple[str, int]:
        return (self.code, self.version)


def walk_items(items: tuple[Item, ...], parent: Item | None = None) -> Iterator[tuple[Item, Item | None]]:
    """Pre-order traversal of an items tree, yielding ``(item, parent)``."""
    for item in items:
        yield item, parent
        yield from walk_items(item.items, item)
