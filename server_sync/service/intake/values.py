"""Field value parsing shared by HL7, FHIR and CSV: times, dates, sex, names, phones, dispositions."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from nurse_app.domain.model import Sex
from server_sync.service.intake.events import IntakeError

_HL7_TS = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,4})?([+-]\d{4})?$")

_SEX = {
    "M": Sex.MALE,
    "MALE": Sex.MALE,
    "男": Sex.MALE,
    "1": Sex.MALE,  # GB/T 2261.1
    "F": Sex.FEMALE,
    "FEMALE": Sex.FEMALE,
    "女": Sex.FEMALE,
    "2": Sex.FEMALE,
    "O": Sex.UNKNOWN,
    "U": Sex.UNKNOWN,
    "UNKNOWN": Sex.UNKNOWN,
    "OTHER": Sex.UNKNOWN,
    "A": Sex.UNKNOWN,
    "N": Sex.UNKNOWN,
    "0": Sex.UNKNOWN,
    "9": Sex.UNKNOWN,
    "未知": Sex.UNKNOWN,
}

# Discharge dispositions → exclusion flags. HL7 table 0112 codes, FHIR discharge-disposition
# codes, and the words Chinese discharge summaries use (出院情况 / 离院方式).
_DISPOSITIONS = {
    "07": "against_advice",
    "AADVICE": "against_advice",
    "自动出院": "against_advice",
    "自动离院": "against_advice",
    "非医嘱离院": "against_advice",
    "AGAINST ADVICE": "against_advice",
    "20": "deceased",
    "EXP": "deceased",
    "死亡": "deceased",
    "DECEASED": "deceased",
    "02": "transferred_out",
    "05": "transferred_out",
    "OTH-HOSP": "transferred_out",
    "转院": "transferred_out",
    "医嘱转院": "transferred_out",
    "TRANSFERRED": "transferred_out",
    "拒绝随访": "refused_followup",
    "REFUSED": "refused_followup",
    "REFUSED FOLLOW-UP": "refused_followup",
}


def parse_hl7_time(text: str, *, zone: str, location: str) -> datetime | None:
    """An HL7 DTM (YYYY[MM[DD[HH[MM[SS[.S]]]]]][+ZZZZ]) as aware UTC; None when empty."""
    text = text.strip()
    if not text:
        return None
    match = _HL7_TS.match(text)
    if not match or match.group(3) is None:
        raise IntakeError(
            f"{text!r} is not an HL7 date/time (YYYYMMDDHHMM[SS])", code="102", location=location
        )
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups()[:6])
    fraction = match.group(7)
    micro = int(float(fraction) * 1_000_000) if fraction else 0
    try:
        local = datetime(year, month, day, hour, minute, second, micro)
    except ValueError:
        raise IntakeError(f"{text!r} is not a valid date/time", code="102", location=location) from None
    offset = match.group(8)
    if offset:
        sign = 1 if offset[0] == "+" else -1
        minutes = sign * (int(offset[1:3]) * 60 + int(offset[3:5]))
        from datetime import timedelta

        return (local - timedelta(minutes=minutes)).replace(tzinfo=timezone.utc)
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def parse_hl7_date(text: str, *, location: str) -> date | None:
    text = text.strip()[:8]
    if not text:
        return None
    try:
        if len(text) != 8 or not text.isdigit():
            raise ValueError
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise IntakeError(f"{text!r} is not a valid date (YYYYMMDD)", code="102", location=location) from None


def parse_iso_time(text: str, *, zone: str, location: str) -> datetime | None:
    """ISO 8601 (or 'YYYY-MM-DD HH:MM[:SS]', 'YYYY/MM/DD') as aware UTC; local when no offset."""
    text = str(text).strip()
    if not text:
        return None
    candidate = text.replace("Z", "+00:00").replace("/", "-")
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        if candidate.isdigit() and len(candidate) >= 8:
            return parse_hl7_time(candidate, zone=zone, location=location)
        raise IntakeError(
            f"{text!r} is not a date/time (YYYY-MM-DD HH:MM)", code="102", location=location
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(timezone.utc)


def parse_iso_date(text: str, *, location: str) -> date | None:
    text = str(text).strip().replace("/", "-")
    if not text:
        return None
    if text.isdigit():
        return parse_hl7_date(text, location=location)
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise IntakeError(f"{text!r} is not a date (YYYY-MM-DD)", code="102", location=location) from None


def parse_sex(text: str, *, location: str) -> Sex | None:
    key = text.strip().upper()
    if not key:
        return None
    if key not in _SEX:
        raise IntakeError(f"{text!r} is not a sex code (M/F/U, 男/女)", code="103", location=location)
    return _SEX[key]


def join_name(family: str, given: str) -> str:
    """Chinese names are family + given without a space; others 'given family'."""
    family, given = family.strip(), given.strip()
    if not family or not given:
        return family or given
    if any("\u3400" <= ch <= "\u9fff" for ch in family + given):
        return family + given
    return f"{given} {family}"


def clean_phone(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit() or ch == "+")


def disposition_flags(*values: str) -> frozenset[str]:
    """Exclusion flags named by disposition codes or words (unknown values add none)."""
    flags = set()
    for value in values:
        key = value.strip().upper()
        if key in _DISPOSITIONS:
            flags.add(_DISPOSITIONS[key])
            continue
        for word, flag in _DISPOSITIONS.items():
            if not word.isascii() and word in value:
                flags.add(flag)
    return frozenset(flags)
