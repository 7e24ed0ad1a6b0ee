"""Fixtures of the service report tests: the service test fixtures (database per backend, live
server, World), loaded under another module name, and a dataset builder shared by the tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SERVICE_TESTS = Path(__file__).resolve().parents[1] / "service"
sys.path.insert(0, str(SERVICE_TESTS))

_spec = importlib.util.spec_from_file_location("reports_service_fixtures", SERVICE_TESTS / "conftest.py")
_service = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_service)
database_url = _service.database_url
settings = _service.settings
database = _service.database
live_server = _service.live_server
world = _service.world
