"""Time-ordered record ids (UUID version 7, RFC 9562) for append-mostly tables.

Audit events are written by the million and never updated. With random (version 4)
ids every insert lands on a random page of the primary-key index: on MariaDB,
whose rows live in that index, the table fragments and inserts slow down as it
grows. A version 7 id starts with the millisecond, so new ids go to the end.
"""

from __future__ import annotations

import os
import time

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0b10 << 62
_RAND_A = 0xFFF << 64
_RAND_B = (1 << 62) - 1


def time_ordered_id() -> str:
    """A new UUIDv7 string: 48 bits of Unix milliseconds, then 74 random bits."""
    millis = time.time_ns() // 1_000_000
    random_bits = int.from_bytes(os.urandom(10), "big")
    value = (millis << 80) | _VERSION_7 | (random_bits & _RAND_A) | _VARIANT_RFC | (random_bits & _RAND_B)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
