"""Masked identifiers keep their length and show only what a nurse needs to recognise them."""

from __future__ import annotations

import pytest

from nurse_app.domain.privacy import mask_national_id, mask_phone


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("02787654321", "027****4321"),
        ("8765432", "***5432"),
        ("0276543210", "******3210"),
        ("12345", "***45"),
        ("12", "**"),
        ("", ""),
    ],
)
def test_phone_masking(phone, masked):
    assert mask_phone(phone) == masked
    assert len(mask_phone(phone)) == len(phone)


def test_national_id_masking_keeps_region_and_last_four():
    assert mask_national_id("42010219460424809X") == "420102********809X"
    assert mask_national_id("1234567890") == "**********"
