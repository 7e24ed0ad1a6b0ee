"""Masking of patient identifiers: phone numbers and national IDs are hidden on screen by default."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """'13812345678' → '138****5678': mobiles keep prefix and last 4; shorter numbers keep less, never all."""
    digits = phone.strip()
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if len(digits) >= 7:
        return "*" * (len(digits) - 4) + digits[-4:]
    if len(digits) > 2:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)


def mask_national_id(national_id: str) -> str:
    """Keep the region code (6) and the last 4 characters, as Chinese hospitals print IDs on slips."""
    value = national_id.strip()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]
