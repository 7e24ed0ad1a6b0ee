"""Vosk grammars for fields, built from :mod:`phrases` and checked against the model's vocabulary.

Vosk silently drops grammar words its model does not know (a warning in a
log nobody reads), so a Chinese phrase must be split into the model's *own*
words: "胸痛" may be one word in one model and "胸 痛" in another. Phrases are
segmented greedily, longest known word first, against
:meth:`LoadedModel.has_word` (Vosk's ``vosk_model_find_word``). A phrase with
an unknown piece is left out of the grammar and reported — a half phrase
could match the wrong option — and :func:`missing_words` lists them per item
so a scale can be checked when it is published. The JSON is written with
``ensure_ascii=False``: ``\\u`` escapes are not decoded by Vosk and every Han
phrase would otherwise be dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from nurse_app.domain.forms.definition import CHOICE_TYPES, FormDefinition, Item, ItemType
from nurse_app.voice.models import UNK, is_chinese, voice_lang
from nurse_app.voice.phrases import Phrase, field_phrases

#: A Chinese model word is rarely longer than this many characters.
_MAX_ZH_WORD = 8


class Vocabulary(Protocol):
    lang: str
    has_unk: bool

    def has_word(self, word: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class GrammarPhrase:
    words: tuple[str, ...]  # the model's words, in order
    value: object
    source: str  # the phrase as written


@dataclass(frozen=True, slots=True)
class FieldGrammar:
    """The grammar of one field: usable phrases, and what had to be left out and why."""

    lang: str
    phrases: tuple[GrammarPhrase, ...]
    missing_words: tuple[str, ...]
    dropped_phrases: tuple[str, ...]
    use_unk: bool

    @property
    def empty(self) -> bool:
        return not self.phrases

    def to_json(self) -> str:
        entries = list(dict.fromkeys(" ".join(p.words) for p in self.phrases))
        if self.use_unk:
            entries.append(UNK)  # lets speech outside the options come out as [unk] instead of a guess
        return json.dumps(entries, ensure_ascii=False)


def split_into_words(phrase: str, vocab: Vocabulary) -> tuple[list[str], list[str]]:
    """``phrase`` as model words, and the pieces the model lacks (Chinese: greedy longest match)."""
    words: list[str] = []
    missing: list[str] = []
    if not is_chinese(vocab.lang):
        for word in phrase.split():
            (words if vocab.has_word(word) else missing).append(word)
        return words, missing
    text = "".join(phrase.split())
    i = 0
    while i < len(text):
        for j in range(min(len(text), i + _MAX_ZH_WORD), i, -1):
            if vocab.has_word(text[i:j]):
                words.append(text[i:j])
                i = j
                break
        else:
            missing.append(text[i])
            i += 1
    return words, missing


def build_grammar(phrases: Sequence[Phrase], vocab: Vocabulary) -> FieldGrammar:
    kept: list[GrammarPhrase] = []
    missing: dict[str, None] = {}
    dropped: list[str] = []
    for phrase in phrases:
        words, lacking = split_into_words(phrase.text, vocab)
        if lacking or not words:
            missing.update(dict.fromkeys(lacking))
            dropped.append(phrase.text)
            continue
        kept.append(GrammarPhrase(tuple(words), phrase.value, phrase.text))
    return FieldGrammar(voice_lang(vocab.lang), tuple(kept), tuple(missing), tuple(dropped), vocab.has_unk)


def field_grammar(
    item: Item,
    vocab: Vocabulary,
    extra: Mapping[str, Sequence[str]] | None = None,
    *,
    commands: bool = False,
) -> FieldGrammar | None:
    """The grammar for ``item``, or ``None`` for open dictation (free text, or nothing usable left)."""
    phrases = field_phrases(item, vocab.lang, extra)
    if not phrases:
        return None
    if commands:
        phrases = field_phrases(item, vocab.lang, extra, commands=True)
    grammar = build_grammar(phrases, vocab)
    return None if grammar.empty else grammar


def missing_words(
    definition: FormDefinition,
    vocab: Vocabulary,
    extras: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
) -> dict[str, tuple[str, ...]]:
    """Per item linkId, the words of its options/synonyms the model lacks (only items that lack some).

    Meant for publishing a scale: an option the model cannot hear cannot be
    dictated, and the author should reword it or add a synonym. Only choice
    and yes/no items are checked: number words are the application's, not the
    scale's, and a model lacking a unit word still hears the number.
    """
    found: dict[str, tuple[str, ...]] = {}
    for item, _parent in definition.walk():
        if item.type not in CHOICE_TYPES and item.type != ItemType.BOOLEAN:
            continue
        phrases = field_phrases(item, vocab.lang, (extras or {}).get(item.link_id))
        if not phrases:
            continue
        grammar = build_grammar(phrases, vocab)
        if grammar.missing_words:
            found[item.link_id] = grammar.missing_words
    return found
