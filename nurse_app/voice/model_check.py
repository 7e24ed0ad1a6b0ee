"""Checks a Vosk model folder before loading it, and works around Windows' non-ASCII path fault.

Vosk's own failure for a bad folder is a bare "Failed to create a model" after
Kaldi logs to stderr, which tells IT nothing. So the folder is checked first
and every problem is named: missing, partial (which part), unreadable. Vosk
accepts two layouts — the current one (``am/``, ``conf/``, ``graph/``) and the
old flat one (``final.mdl``, ``mfcc.conf``, ``HCLG.fst`` at the top) — both
are recognised. On Windows, Kaldi opens files through the ANSI code page, so a
model under a non-ASCII path (a ward called "心内科", a user folder in
Chinese) cannot be opened: such a model is copied once to an ASCII-only folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nurse_app.voice.errors import ModelError, ModelProblem

_AM = ("am/final.mdl", "final.mdl")
_CONF = ("conf/mfcc.conf", "mfcc.conf")
_STATIC_GRAPH = ("graph/HCLG.fst", "HCLG.fst")
_LOOKAHEAD_GRAPH = (("graph/HCLr.fst", "graph/Gr.fst"), ("HCLr.fst", "Gr.fst"))
_COPY_MARKER = ".followup-source"


@dataclass(frozen=True, slots=True)
class ModelCheck:
    """The outcome of :func:`check_model_dir`. ``supports_grammar`` is true for lookahead graphs only:
    a static ``HCLG.fst`` (the big server models) ignores a runtime grammar."""

    path: Path
    ok: bool
    problem: ModelProblem | None = None
    message: str = ""
    supports_grammar: bool = False

    def raise_for(self, lang: str) -> None:
        if not self.ok:
            raise ModelError(lang, str(self.path), self.problem or ModelProblem.LOAD_FAILED, self.message)


def _first(root: Path, candidates: tuple[str, ...]) -> Path | None:
    for rel in candidates:
        if (root / rel).is_file():
            return root / rel
    return None


def _readable(path: Path) -> bool:
    # os.access lies on some network shares and under Windows ACLs; reading one byte does not.
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError:
        return False
    return True


def check_model_dir(path: str | os.PathLike[str] | None) -> ModelCheck:
    """Whether ``path`` holds a complete, readable Vosk model (never raises)."""
    if not path:
        return ModelCheck(Path(), False, ModelProblem.NOT_CONFIGURED, "no model path is configured")
    root = Path(path)
    if not root.exists():
        return ModelCheck(root, False, ModelProblem.MISSING, f"model folder not found: {root}")
    if not root.is_dir():
        return ModelCheck(root, False, ModelProblem.MISSING, f"not a folder (unpack the model zip): {root}")
    try:
        next(root.iterdir(), None)
    except OSError as exc:
        return ModelCheck(root, False, ModelProblem.UNREADABLE, f"model folder cannot be read: {exc}")
    lacking: list[str] = []
    am = _first(root, _AM)
    conf = _first(root, _CONF)
    static = _first(root, _STATIC_GRAPH)
    lookahead = next(
        ([root / a, root / b] for a, b in _LOOKAHEAD_GRAPH if (root / a).is_file() and (root / b).is_file()),
        None,
    )
    if am is None:
        lacking.append("am/final.mdl (acoustic model)")
    if conf is None:
        lacking.append("conf/mfcc.conf")
    if static is None and lookahead is None:
        lacking.append("graph/ (HCLG.fst, or HCLr.fst + Gr.fst)")
    if lacking:
        return ModelCheck(
            root, False, ModelProblem.PARTIAL, "incomplete model, missing: " + ", ".join(lacking)
        )
    files = [am, conf, *(lookahead or [static])]
    unreadable = [str(f.relative_to(root)) for f in files if f is not None and not _readable(f)]
    if unreadable:
        return ModelCheck(
            root, False, ModelProblem.UNREADABLE, "model files cannot be read: " + ", ".join(unreadable)
        )
    return ModelCheck(root, True, supports_grammar=lookahead is not None)


def needs_ascii_copy(path: str | os.PathLike[str], platform: str = sys.platform) -> bool:
    """True when Vosk cannot open ``path``: on Windows, any non-ASCII character in the absolute path."""
    return platform == "win32" and not str(Path(path).absolute()).isascii()


def default_ascii_root(platform: str = sys.platform) -> Path:
    """An ASCII-only folder for model copies: ProgramData on Windows, else the temp folder."""
    if platform == "win32":
        base = os.environ.get("PROGRAMDATA", "C:\\ProgramData")
        if str(base).isascii():
            return Path(base) / "FollowupNurseStation" / "vosk"
        return Path("C:\\FollowupNurseStation\\vosk")
    return Path(tempfile.gettempdir()) / "followup-vosk"


def _fingerprint(root: Path) -> str:
    # Size + mtime of every file: enough to notice IT replacing the model without hashing 250 MB.
    digest = hashlib.sha256(str(root.absolute()).encode("utf-8"))
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        stat = file.stat()
        digest.update(f"{file.relative_to(root)}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()


def ascii_model_path(
    path: str | os.PathLike[str],
    *,
    lang: str,
    platform: str = sys.platform,
    ascii_root: Path | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Path:
    """The path Vosk should open: ``path`` itself, or an up-to-date copy under an ASCII-only folder.

    The copy is reused while the source is unchanged (a marker file holds its
    fingerprint) and is written to a temporary sibling first, so a crash mid-copy
    never leaves a half model that looks complete.
    """
    source = Path(path)
    if not needs_ascii_copy(source, platform):
        return source
    root = ascii_root or default_ascii_root(platform)
    if not str(root.absolute()).isascii():
        raise ModelError(
            lang,
            str(source),
            ModelProblem.NON_ASCII_PATH,
            f"the model path is not ASCII and no ASCII-only folder is available for a copy ({root})",
        )
    fingerprint = _fingerprint(source)
    target = root / f"{lang.replace('_', '-').lower()}-{fingerprint[:12]}"
    marker = target / _COPY_MARKER
    if marker.is_file() and marker.read_text(encoding="utf-8") == fingerprint:
        return target
    files = [p for p in source.rglob("*") if p.is_file()]
    staging = root / f".{target.name}.partial"
    try:
        shutil.rmtree(staging, ignore_errors=True)
        for done, file in enumerate(files, 1):
            dest = staging / file.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, dest)
            if on_progress:
                on_progress(done / len(files))
        (staging / _COPY_MARKER).write_text(fingerprint, encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    except OSError as exc:
        raise ModelError(
            lang,
            str(source),
            ModelProblem.NON_ASCII_PATH,
            f"the model path is not ASCII and copying it to {root} failed: {exc}",
        ) from exc
    return target
