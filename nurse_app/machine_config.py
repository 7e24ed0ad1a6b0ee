"""The per-machine configuration IT deploys to every ward PC (one TOML file, no Qt).

Where: ``FOLLOWUP_MACHINE_CONFIG`` if set, else ``%ProgramData%\\NurseStation\\config.toml`` on
Windows and ``/etc/nurse-station/config.toml`` elsewhere. The silent installer writes it::

    server_url = "https://followup.hospital.local"
    ca_bundle = "/etc/nurse-station/hospital-ca.pem"
    ward = "CARD1"
    language = "zh_CN"
    voice_model_path = "/opt/nurse-station/voice-model"

    [locked]
    keys = ["server_url", "ca_bundle"]   # or one flag per key: server_url = true

A value here is the machine's default; a *locked* key is fixed: the user's own setting for it
is ignored and cannot be saved. A broken file never stops the desk: a syntax error is reported
(with its line) and the desk runs on its built-in defaults; a bad value is reported with its key
and line and only that value is dropped. ``python -m nurse_app.machine_config [PATH]`` checks a file.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MACHINE_CONFIG_ENV = "FOLLOWUP_MACHINE_CONFIG"
LANGUAGES = ("zh_CN", "en")

# The keys IT may preset or lock, with their TOML type.
FIELDS: dict[str, type] = {
    "server_url": str,
    "ca_bundle": str,
    "ward": str,
    "language": str,
    "voice_model_path": str,
    "large_font": bool,
    "tts_voice": str,
    "voice_model_path_en": str,
    "voice_input_device": str,
    "voice_confidence_threshold": float,
    "voice_store_audio": bool,
    "tts_rate": int,
}
_TYPE_WORDS = {bool: "true/false", str: "a string", int: "a whole number", float: "a number"}


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong in the file: the key (``""`` for the whole file), its line (0 if unknown)."""

    path: Path
    key: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}, line {self.line}" if self.line else str(self.path)
        return f"{where}: {self.key + ': ' if self.key else ''}{self.message}"


@dataclass(frozen=True, slots=True)
class MachineConfig:
    """The valid values and locks of the file, and what was wrong with it."""

    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)
    locked: frozenset[str] = frozenset()
    problems: tuple[ConfigProblem, ...] = ()

    def is_locked(self, key: str) -> bool:
        return key in self.locked

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def default_path() -> Path:
    """The machine configuration file of this PC (the file may not exist)."""
    override = os.environ.get(MACHINE_CONFIG_ENV)
    if override:
        return Path(override)
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA") or r"C:\ProgramData") / "NurseStation" / "config.toml"
    return Path("/etc/nurse-station/config.toml")


def _line_of(text: str, key: str, section: str | None = None) -> int:
    """The line where ``key = …`` is written (in ``[section]`` if given); 0 when not found."""
    current: str | None = None
    pattern = re.compile(rf"^\s*(?:\"{re.escape(key)}\"|{re.escape(key)})\s*=")
    for number, line in enumerate(text.splitlines(), 1):
        header = re.match(r"^\s*\[\s*([^\]]+?)\s*\]", line)
        if header:
            current = header.group(1)
            continue
        if current == section and pattern.match(line):
            return number
    return 0


def _check_value(key: str, value: Any) -> str | None:
    """Why ``value`` is not acceptable for ``key`` (None when it is)."""
    expected = FIELDS[key]
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)  # TOML writes 1 for 1.0; a whole number is a fine threshold
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        return f"expected {_TYPE_WORDS[expected]}, got {type(value).__name__}"
    if key == "language" and value not in LANGUAGES:
        return f"unsupported language {value!r}; expected one of {', '.join(LANGUAGES)}"
    if key == "server_url" and value and not re.match(r"^https?://[^\s/]+", value):
        return f"not an http(s) URL: {value!r}"
    return None


def parse(text: str, path: Path) -> MachineConfig:
    """The configuration written in ``text`` (read from ``path``, used in messages only)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        problem = ConfigProblem(path, "", int(line.group(1)) if line else 0, f"not valid TOML: {error}")
        return MachineConfig(path=path, problems=(problem,))
    problems: list[ConfigProblem] = []
    values: dict[str, Any] = {}
    locked_table = data.pop("locked", {})
    for key, value in data.items():
        if key not in FIELDS:
            known = ", ".join(FIELDS)
            problems.append(ConfigProblem(path, key, _line_of(text, key), f"unknown key (known: {known})"))
            continue
        reason = _check_value(key, value)
        if reason:
            problems.append(ConfigProblem(path, key, _line_of(text, key), reason + " (ignored)"))
        else:
            values[key] = value
    locked = _locks(locked_table, text, path, problems)
    return MachineConfig(path=path, values=values, locked=frozenset(locked), problems=tuple(problems))


def _locks(table: Any, text: str, path: Path, problems: list[ConfigProblem]) -> set[str]:
    if not isinstance(table, dict):
        problems.append(ConfigProblem(path, "locked", _line_of(text, "locked"), "expected a [locked] table"))
        return set()
    locked: set[str] = set()
    for name, flag in table.items():
        line = _line_of(text, name, "locked")
        if name == "keys":
            if not isinstance(flag, list) or not all(isinstance(k, str) for k in flag):
                problems.append(ConfigProblem(path, "locked.keys", line, "expected a list of key names"))
                continue
            for key in flag:
                if key in FIELDS:
                    locked.add(key)
                else:
                    problems.append(ConfigProblem(path, "locked.keys", line, f"unknown key {key!r}"))
        elif name not in FIELDS:
            problems.append(ConfigProblem(path, f"locked.{name}", line, "unknown key"))
        elif not isinstance(flag, bool):
            problems.append(ConfigProblem(path, f"locked.{name}", line, "expected true/false"))
        elif flag:
            locked.add(name)
    return locked


def load(path: Path | None = None) -> MachineConfig:
    """The configuration of this PC; a missing file is an empty configuration, problems are logged."""
    path = path or default_path()
    try:
        text = path.read_text(encoding="utf-8-sig")  # Notepad may add a BOM
    except FileNotFoundError:
        return MachineConfig(path=path)
    except (OSError, UnicodeDecodeError) as error:
        config = MachineConfig(path=path, problems=(ConfigProblem(path, "", 0, f"unreadable: {error}"),))
    else:
        config = parse(text, path)
    for problem in config.problems:
        log.warning("machine configuration: %s", problem)
    return config


def main(argv: list[str] | None = None) -> int:
    """Check a machine configuration file: print what applies and every problem; 1 if any."""
    args = sys.argv[1:] if argv is None else argv
    config = load(Path(args[0]) if args else None)
    print(f"machine configuration: {config.path}")
    for key in FIELDS:
        if key in config.values or key in config.locked:
            lock = " (locked)" if key in config.locked else ""
            print(f"  {key} = {config.values.get(key, '<built-in default>')!r}{lock}")
    for problem in config.problems:
        print(f"problem: {problem}")
    return 1 if config.problems else 0


if __name__ == "__main__":
    sys.exit(main())
