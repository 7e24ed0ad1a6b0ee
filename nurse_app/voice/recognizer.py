"""One Vosk recognizer per utterance, with words, confidences and streamed partial text.

A ``KaldiRecognizer`` is created for every push-to-talk and thrown away after
it: Vosk's memory grows over a long stream, and a recognizer keeps the
grammar it was made with. It is always made with the source's real sample
rate (Vosk downsamples 44.1/48 kHz itself; it cannot upsample).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from nurse_app.voice.errors import VoiceError
from nurse_app.voice.grammar import FieldGrammar
from nurse_app.voice.models import UNK, LoadedModel, is_chinese

_BETWEEN_HAN = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")


@dataclass(frozen=True, slots=True)
class Word:
    word: str
    conf: float
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Recognition:
    """The outcome of one utterance. ``text`` keeps the recognizer's spaces between words."""

    text: str
    words: tuple[Word, ...]
    lang: str
    grammar: bool
    unknown: bool = False  # [unk] was heard: speech outside the grammar
    audio_s: float = 0.0

    @property
    def joined(self) -> str:
        """The text as a person writes it: Chinese words joined without spaces."""
        return _BETWEEN_HAN.sub("", self.text) if is_chinese(self.lang) else self.text

    def low_confidence(self, threshold: float) -> tuple[Word, ...]:
        return tuple(w for w in self.words if w.conf < threshold)


def join_words(words: list[str], lang: str) -> str:
    return _BETWEEN_HAN.sub("", " ".join(words)) if is_chinese(lang) else " ".join(words)


class Utterance:
    """Feeds PCM to a fresh recognizer; not thread-safe (one worker thread owns it)."""

    def __init__(self, model: LoadedModel, sample_rate: int, grammar: FieldGrammar | None = None) -> None:
        import vosk

        self.lang = model.lang
        self.grammar = grammar
        self._rate = sample_rate
        try:
            if grammar is not None and model.supports_grammar:
                self._rec = vosk.KaldiRecognizer(model.model, float(sample_rate), grammar.to_json())
            else:
                self._rec = vosk.KaldiRecognizer(model.model, float(sample_rate))
        except Exception as exc:
            raise VoiceError(f"the recognizer cannot be created: {exc}") from exc
        self._rec.SetWords(True)
        self._segments: list[dict] = []
        self._partial = ""
        self._bytes = 0

    def accept(self, pcm: bytes) -> str | None:
        """Feed a block; returns the new partial text (finished segments + current guess) when it changed."""
        if not pcm:
            return None
        self._bytes += len(pcm)
        if self._rec.AcceptWaveform(pcm):
            # An endpoint inside the utterance (a pause): keep the segment, go on listening.
            self._segments.append(json.loads(self._rec.Result()))
            current = ""
        else:
            current = json.loads(self._rec.PartialResult()).get("partial", "")
        done = [s.get("text", "") for s in self._segments]
        text = " ".join(t for t in [*done, current] if t and t != UNK)
        text = text.replace(UNK, "").strip()
        if text != self._partial:
            self._partial = text
            return join_words(text.split(), self.lang)
        return None

    def finish(self) -> Recognition:
        """End of audio: the recognition of everything fed."""
        self._segments.append(json.loads(self._rec.FinalResult()))
        words: list[Word] = []
        unknown = False
        for segment in self._segments:
            for item in segment.get("result", []):
                if item.get("word") == UNK:
                    unknown = True
                    continue
                words.append(
                    Word(
                        item["word"],
                        float(item.get("conf", 1.0)),
                        item.get("start", 0.0),
                        item.get("end", 0.0),
                    )
                )
            if UNK in segment.get("text", "").split():
                unknown = True
        return Recognition(
            text=" ".join(w.word for w in words),
            words=tuple(words),
            lang=self.lang,
            grammar=self.grammar is not None,
            unknown=unknown,
            audio_s=self._bytes / 2 / self._rate,
        )
