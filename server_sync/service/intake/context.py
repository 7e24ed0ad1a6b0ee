"""The sync layer's ``BatchContext`` as intake uses it: ORM rows, one context per message or
per group of messages (``hl7_group``)."""

from __future__ import annotations

from typing import Any

from server_sync.service.sync.context import BatchContext


class IntakeContext(BatchContext):
    __slots__ = ()

    def add_row(self, entity: str, row: Any) -> None:
        super().add_row(entity, row)
        if entity == "patient":
            # A patient created here is linked to no ward yet: no need to ask the database.
            self._patient_wards.setdefault(row.id, set())
