"""Every service table, imported in one place so Alembic and backups see the whole schema."""

from __future__ import annotations

from server_sync.service.alerts import models as alert_models
from server_sync.service.audit import models as audit_models
from server_sync.service.auth import models as auth_models
from server_sync.service.config import models as config_models
from server_sync.service.core import counter
from server_sync.service.core.models import Base
from server_sync.service.intake import models as intake_models
from server_sync.service.notify import models as notify_models
from server_sync.service.records import models as record_models
from server_sync.service.reports import models as report_models
from server_sync.service.sync import models as sync_models

metadata = Base.metadata
_LOADED = (
    alert_models,
    audit_models,
    auth_models,
    config_models,
    counter,
    intake_models,
    notify_models,
    record_models,
    report_models,
    sync_models,
)
