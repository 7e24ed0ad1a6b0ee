"""Choosing a read-aloud voice: the best Mandarin voice the machine has, or the nurse's choice.

What the drivers offer (checked on Debian 13's espeak-ng 1.52):

* ``sit/cmn-latn-pinyin`` — Mandarin that reads Han text as Mandarin (tones
  and all) and Latin text as pinyin: **the pick on espeak-ng**;
* ``sit/cmn`` (also answering to ``zh``) — Mandarin "latin as English": on
  Han text it switches to English letter names and English-spelled pinyin
  ("nín hǎo" comes out as "(en)nI55nt'u:55"), i.e. mangled — a last resort;
* ``sit/yue`` — Cantonese: reads Han text fluently, but not in Mandarin;
* ``sit/hak`` — Hakka, says "Chinese letter" for every character: unusable.

On Windows (SAPI5) and macOS the Mandarin voices are Huihui/Yaoyao/Kangkang
and Tingting…, recognised by their zh-CN tag or name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nurse_app.voice.models import voice_lang

_GOOD_MANDARIN = (
    "zh-cn",
    "zh_cn",
    "zh-hans",
    "chinese (simplified)",
    "huihui",
    "yaoyao",
    "kangkang",
    "xiaoxiao",
    "yunxi",
    "tingting",
    "mandarin (china",
)


@dataclass(frozen=True, slots=True)
class TtsVoice:
    id: str
    name: str
    languages: tuple[str, ...] = ()

    @classmethod
    def from_pyttsx3(cls, voice: object) -> TtsVoice:
        langs = getattr(voice, "languages", None) or ()
        decoded = tuple(x.decode("utf-8", "ignore") if isinstance(x, bytes) else str(x) for x in langs)
        return cls(str(getattr(voice, "id", "")), str(getattr(voice, "name", "") or ""), decoded)

    @property
    def _haystack(self) -> str:
        return " ".join((self.id, self.name, *self.languages)).lower()


def mandarin_rank(voice: TtsVoice) -> int:
    """How well ``voice`` reads Chinese text in Mandarin: 0 = not at all, higher is better."""
    text = voice._haystack
    if "cmn-latn-pinyin" in text:
        return 100
    if any(tag in text for tag in _GOOD_MANDARIN):
        return 90
    if "cantonese" in text or "yue" in text.split("/")[-1] or "zh-hk" in text or "zh-tw" in text:
        return 10  # reads Han text, but not in Mandarin
    if "hak" in voice.id.lower().split("/")[-1] or "hakka" in text:
        return 0
    if "cmn" in text or "mandarin" in text or "chinese" in text:
        return 20  # espeak's plain cmn: mangles Han text (see module docstring)
    return 0


def _language_rank(voice: TtsVoice, lang: str) -> int:
    if lang == "zh_CN":
        return mandarin_rank(voice)
    code = lang.split("_")[0]
    tags = [x.lower().replace("_", "-") for x in voice.languages] + [voice.id.lower().split("/")[-1]]
    if any(t == code or t in (f"{code}-us", f"{code}-gb") for t in tags):
        return 50 if any(t.endswith(("-us", "-gb")) or t == code for t in tags) else 40
    if any(t.startswith(code + "-") for t in tags):
        return 30
    return 0


def choose_voice(voices: Iterable[TtsVoice], lang: str, preferred: str | None = None) -> TtsVoice | None:
    """The voice to read ``lang`` with: ``preferred`` when installed, else the best ranked (or ``None``)."""
    voices = list(voices)
    if preferred:
        for voice in voices:
            if preferred in (voice.id, voice.name):
                return voice
    lang = voice_lang(lang)
    ranked = sorted(voices, key=lambda v: _language_rank(v, lang), reverse=True)
    if ranked and _language_rank(ranked[0], lang) > 0:
        return ranked[0]
    return None
