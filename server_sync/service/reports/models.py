"""``ward_reports``: one stored monthly report per (ward, month), claimed by a unique row.

The unique ``(ward_code, month)`` row is the claim: the job that inserts it builds
the report, every other replica's insert fails and it moves on. A claim whose
builder died (``building`` for longer than the lease) or that failed may be taken
over by a conditional UPDATE, which again only one job can win.

Late syncs make new *revisions* of the same row: ``claimed_by`` holds a token unique
to each claim, and a rebuild claims the row by an UPDATE conditioned on the token
it read. ``pdf`` and ``figures`` keep the last completed revision until the next
one completes (so it stays downloadable while ``building`` or after ``failed``);
the revision number, its source change number and the earlier revisions live in
the ``figures`` document (see ``revisions``), which needs no new column.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from server_sync.service.core.models import Base
from server_sync.service.core.types import JsonText, UtcDateTime

PdfBytes = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")

BUILDING = "building"
READY = "ready"
FAILED = "failed"


class WardReportRow(Base):
    __tablename__ = "ward_reports"
    __table_args__ = (UniqueConstraint("ward_code", "month"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ward_code: Mapped[str] = mapped_column(String(32), index=True)
    month: Mapped[str] = mapped_column(String(7))  # 'YYYY-MM' in the ward's zone
    status: Mapped[str] = mapped_column(String(16))
    claimed_by: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    built_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    as_of: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    no_data: Mapped[bool] = mapped_column(Boolean, default=False)
    figures: Mapped[dict[str, Any] | None] = mapped_column(JsonText, nullable=True)
    pdf: Mapped[bytes | None] = mapped_column(PdfBytes, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
