"""HL7 v2 (ER7) parsing from raw bytes: character set per MSH-18, segments, repetitions,
components, sub-components and escape sequences.

Hand-written rather than a library's because the charset has to be chosen from
bytes before any text exists (GB18030 trail bytes can equal ``|`` or ``\\``),
and every error has to name its field for the ERR segment of the ACK.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from server_sync.service.intake.events import IntakeError

# MSH-18 values (HL7 table 0211 and what Chinese HIS vendors actually send) → Python codecs.
_CHARSETS = {
    "": "",
    "ASCII": "ascii",
    "8859/1": "latin-1",
    "UNICODE UTF-8": "utf-8",
    "UTF-8": "utf-8",
    "UTF8": "utf-8",
    "GB 18030-2000": "gb18030",
    "GB18030": "gb18030",
    "GB 18030": "gb18030",
    "GB18030-2000": "gb18030",
    "GB18030-2005": "gb18030",
    "GBK": "gb18030",  # GB18030 is a superset of GBK and GB2312
    "GB2312": "gb18030",
    "GB 2312": "gb18030",
}


@dataclass(frozen=True, slots=True)
class Encoding:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"


@dataclass(slots=True)
class Segment:
    name: str
    fields: list[str]  # fields[n] is SEG-n (for MSH, fields[1] is the field separator itself)
    index: int  # 1-based occurrence of this segment name (for ERR locations)


@dataclass(slots=True)
class Hl7Message:
    segments: list[Segment]
    encoding: Encoding
    charset: str

    def segment(self, name: str) -> Segment | None:
        return next((s for s in self.segments if s.name == name), None)

    def all(self, name: str) -> list[Segment]:
        return [s for s in self.segments if s.name == name]

    def raw_field(self, segment: Segment | None, number: int) -> str:
        if segment is None or number >= len(segment.fields):
            return ""
        return segment.fields[number]

    def repetitions(self, segment: Segment | None, number: int) -> list[str]:
        raw = self.raw_field(segment, number)
        if segment is not None and segment.name == "MSH" and number <= 2:
            return [raw]
        return raw.split(self.encoding.repetition) if raw else []

    def components(self, repetition: str) -> list[str]:
        """The unescaped components of one repetition (sub-components joined by ``&`` removed)."""
        return [
            self.unescape(c.split(self.encoding.subcomponent)[0])
            for c in repetition.split(self.encoding.component)
        ]

    def get(self, segment: Segment | None, number: int, component: int = 1, repetition: int = 1) -> str:
        """One unescaped value, '' when absent (only that value is unescaped: this is the hot path)."""
        raw = self.raw_field(segment, number)
        if not raw:
            return ""
        if segment is not None and segment.name == "MSH" and number <= 2:
            return raw if repetition == 1 else ""
        enc = self.encoding
        reps = raw.split(enc.repetition)
        if len(reps) < repetition:
            return ""
        parts = reps[repetition - 1].split(enc.component)
        if len(parts) < component:
            return ""
        return self.unescape(parts[component - 1].split(enc.subcomponent)[0]).strip()

    def unescape(self, text: str) -> str:
        enc = self.encoding
        if enc.escape not in text:
            return text
        return _escape_pattern(enc.escape).sub(lambda m: _unescape_one(m.group(1), enc), text)


def _escape_pattern(escape: str) -> re.Pattern[str]:
    e = re.escape(escape)
    return re.compile(f"{e}([^{e}]*){e}")


def _unescape_one(code: str, enc: Encoding) -> str:
    simple = {"F": enc.field, "S": enc.component, "T": enc.subcomponent, "R": enc.repetition, "E": enc.escape}
    if code in simple:
        return simple[code]
    if code.startswith("X") and len(code) > 1:
        try:
            return bytes.fromhex(code[1:]).decode("latin-1")
        except ValueError:
            return ""
    if code == ".br":
        return "\n"
    return ""  # highlighting (\H\, \N\) and unknown formatting codes carry no text


def escape(text: str, enc: Encoding = Encoding()) -> str:
    """Escape delimiters for use inside a field (the ACK's error text)."""
    out = text.replace(enc.escape, f"{enc.escape}E{enc.escape}")
    for char, code in (
        (enc.field, "F"),
        (enc.component, "S"),
        (enc.subcomponent, "T"),
        (enc.repetition, "R"),
    ):
        out = out.replace(char, f"{enc.escape}{code}{enc.escape}")
    return out.replace("\r", " ").replace("\n", " ")


def read_header(raw: bytes) -> tuple[Encoding, list[str]]:
    """Delimiters and the raw MSH fields, read as Latin-1 (MSH-1..17 are ASCII in practice)."""
    if not raw.startswith(b"MSH"):
        raise IntakeError(
            "the message does not start with an MSH segment", code="100", location="MSH", reject=True
        )
    end = len(raw)
    for stop in (b"\r", b"\n"):
        at = raw.find(stop)
        if at != -1:
            end = min(end, at)
    header = raw[:end].decode("latin-1")
    if len(header) < 8:
        raise IntakeError("MSH segment is truncated", code="100", location="MSH", reject=True)
    separator = header[3]
    parts = header.split(separator)
    chars = parts[1] if len(parts) > 1 else ""
    valid = (
        len(chars) in (4, 5)
        and len(set(chars + separator)) == len(chars) + 1
        and not any(c.isalnum() or c.isspace() for c in chars + separator)
    )
    if not valid:
        raise IntakeError(
            f"MSH-2 encoding characters {chars!r} are not four distinct delimiters (expected ^~\\&)",
            code="102",
            location="MSH^1^2",
            reject=True,
        )
    enc = Encoding(separator, chars[0], chars[1], chars[2], chars[3])
    return enc, ["MSH", separator, *parts[1:]]


def codec_for(msh18: str) -> str:
    """The Python codec named by MSH-18 ('' = not declared); IntakeError when unknown."""
    name = msh18.split("^")[0].strip().upper()
    if name not in _CHARSETS:
        raise IntakeError(
            f"unsupported character set {msh18!r} in MSH-18 (use UNICODE UTF-8 or GB 18030-2000)",
            code="103",
            location="MSH^1^18",
            reject=True,
        )
    return _CHARSETS[name]


def decode(raw: bytes) -> tuple[str, str]:
    """The message text and the codec used. Undeclared: UTF-8, else GB18030 (common in HIS exports)."""
    _enc, header = read_header(raw)
    msh18 = header[18] if len(header) > 18 else ""
    codec = codec_for(msh18)
    if codec:
        try:
            return raw.decode(codec), codec
        except UnicodeDecodeError as error:
            raise IntakeError(
                f"byte {error.start} is not valid {codec.upper()} as declared in MSH-18",
                code="102",
                location="MSH^1^18",
                reject=True,
            ) from None
    for guess in ("utf-8", "gb18030"):
        try:
            return raw.decode(guess), guess
        except UnicodeDecodeError:
            continue
    raise IntakeError(
        "the message is neither UTF-8 nor GB18030; declare MSH-18",
        code="102",
        location="MSH^1^18",
        reject=True,
    )


def parse(raw: bytes) -> Hl7Message:
    """Parse one message (segments separated by CR, LF or CRLF)."""
    enc, _ = read_header(raw)
    text, codec = decode(raw)
    lines = [line for line in text.replace("\r\n", "\r").replace("\n", "\r").split("\r") if line.strip()]
    segments: list[Segment] = []
    seen: dict[str, int] = {}
    for line in lines:
        name = line[:3]
        if len(name) != 3 or not name.isalnum() or (len(line) > 3 and line[3] != enc.field):
            raise IntakeError(
                f"segment {len(segments) + 1} has no valid segment name: {line[:10]!r}",
                code="100",
                location=f"{name}",
                reject=True,
            )
        seen[name] = seen.get(name, 0) + 1
        parts = line.split(enc.field)
        fields = ["MSH", enc.field, *parts[1:]] if name == "MSH" else parts
        segments.append(Segment(name, fields, seen[name]))
    if not segments or segments[0].name != "MSH":
        raise IntakeError(
            "the message does not start with an MSH segment", code="100", location="MSH", reject=True
        )
    return Hl7Message(segments, enc, codec)
