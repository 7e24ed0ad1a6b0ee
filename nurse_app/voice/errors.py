"""Errors of the voice feature: each carries a message a nurse or IT can act on."""

from __future__ import annotations

from enum import StrEnum


class VoiceError(Exception):
    """Something in dictation or read-aloud failed; ``str(error)`` is fit to show."""


class ModelProblem(StrEnum):
    """Why a configured Vosk model cannot be used (the UI maps these to its own wording)."""

    NOT_CONFIGURED = "not_configured"
    MISSING = "missing"
    PARTIAL = "partial"
    UNREADABLE = "unreadable"
    NON_ASCII_PATH = "non_ascii_path"
    LOAD_FAILED = "load_failed"


class ModelError(VoiceError):
    """A speech model for ``lang`` at ``path`` is missing, incomplete, unreadable or failed to load."""

    def __init__(self, lang: str, path: str, problem: ModelProblem, detail: str) -> None:
        super().__init__(f"speech model for {lang} ({path or 'no path'}): {detail}")
        self.lang = lang
        self.path = path
        self.problem = problem
        self.detail = detail


class AudioError(VoiceError):
    """The microphone or an audio file cannot be read."""


class ReadAloudError(VoiceError):
    """Text-to-speech is unavailable or failed."""
