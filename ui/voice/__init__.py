"""Voice in the desktop: push-to-talk dictation into form fields and read-aloud, over ``nurse_app.voice``."""

from __future__ import annotations

from ui.voice.bridge import VoiceBridge
from ui.voice.level_meter import LevelMeter
from ui.voice.push_to_talk import PushToTalk, attach_push_to_talk
from ui.voice.read_aloud import VoiceReadAloud
from ui.voice.service import attach_dictation, install_voice

__all__ = [
    "LevelMeter",
    "PushToTalk",
    "VoiceBridge",
    "VoiceReadAloud",
    "attach_dictation",
    "attach_push_to_talk",
    "install_voice",
]
