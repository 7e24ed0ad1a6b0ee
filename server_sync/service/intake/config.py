"""Intake settings, declared once with types and defaults; read from ``FOLLOWUP_INTAKE_*`` variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class IntakeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FOLLOWUP_INTAKE_", extra="ignore")

    # Largest message applied; a real ADT is a few KB, anything past this is refused and dead-lettered.
    max_message_bytes: int = 1024 * 1024
    # Largest frame kept whole in a dead letter; beyond it only the head is stored (memory bound).
    max_frame_bytes: int = 16 * 1024 * 1024
    # Our identity in MSH-3/MSH-4 of every ACK.
    application: str = "FOLLOWUP"
    facility: str = "NURSESTATION"
    # HL7 times without an offset are the hospital's local wall clock.
    default_zone: str = "Asia/Shanghai"
    # Patient master index: at or above auto_link the records are the same patient; between
    # review and auto_link a new patient is made and the pair goes to the review queue.
    mpi_auto_link: float = 0.95
    mpi_review: float = 0.7
    # Share of a plan's threshold from which a lower score becomes a review candidate.
    candidate_ratio: float = 0.5
    watch_interval_seconds: float = 1.0
    # MLLP group commit: the frames a pipelining sender has already delivered are applied in
    # one transaction (a SAVEPOINT each) and answered after its one commit; at most this many
    # frames or bytes per transaction. A sender that waits for each ACK gets batches of one.
    mllp_batch_max: int = 200
    mllp_batch_bytes: int = 8 * 1024 * 1024


@lru_cache(maxsize=1)
def get_intake_settings() -> IntakeSettings:
    return IntakeSettings()
