"""Plausible Chinese patients and staff for the demo hospital (deterministic per random seed)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from nurse_app.demo.catalog import GIVEN_FEMALE, GIVEN_MALE, SURNAMES
from nurse_app.domain.model import Sex

# Administrative division codes (GB/T 2260) used as the first six digits of national IDs.
_REGION_CODES = ("420102", "420106", "420111", "110105", "310104", "440106", "510107", "330106", "320102")
_MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "158",
    "159",
    "166",
    "176",
    "177",
    "180",
    "181",
    "186",
    "187",
    "188",
    "189",
    "199",
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def chinese_name(rng: random.Random, sex: Sex) -> str:
    pool = GIVEN_FEMALE if sex is Sex.FEMALE else GIVEN_MALE
    given_length = 1 if rng.random() < 0.3 else 2
    return rng.choice(SURNAMES) + "".join(rng.choice(pool) for _ in range(given_length))


def mobile_phone(rng: random.Random) -> str:
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def national_id(rng: random.Random, birth: date, sex: Sex) -> str:
    """An 18-digit resident ID with a valid GB 11643 check digit (odd sequence digit = male)."""
    sequence = rng.randrange(0, 100) * 10 + (
        rng.choice((1, 3, 5, 7, 9)) if sex is Sex.MALE else rng.choice((0, 2, 4, 6, 8))
    )
    body = f"{rng.choice(_REGION_CODES)}{birth:%Y%m%d}{sequence:03d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, _ID_WEIGHTS, strict=True))
    return body + _ID_CHECK[total % 11]


def birth_date_for_age(rng: random.Random, today: date, age_range: tuple[int, int]) -> date:
    age = rng.randint(*age_range)
    return today - timedelta(days=age * 365 + rng.randrange(365))


def pick_sex(rng: random.Random, female_share: float) -> Sex:
    return Sex.FEMALE if rng.random() < female_share else Sex.MALE
