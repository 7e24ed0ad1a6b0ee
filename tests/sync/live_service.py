"""The central service run for real in sync tests: in a thread (stoppable) or as a process (killable)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests
import uvicorn
from service_helpers import TEST_SECRET, World

from server_sync.service.app import create_app
from server_sync.service.core.config import Settings
from server_sync.service.core.db import Database, make_engine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveService:
    """The real app under uvicorn in a thread; can be stopped and started again on the same port."""

    def __init__(self, db_path: Path, **overrides: Any) -> None:
        self.db_path = db_path
        self.settings = Settings(
            database_url=f"sqlite:///{db_path}",
            secret_key=TEST_SECRET,
            argon2_time_cost=1,
            argon2_memory_kib=8 * 1024,
            **overrides,
        )
        self.database = Database(make_engine(self.settings.database_url, self.settings))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.world = World(self.url, self.database, self.settings)

    def start(self) -> None:
        app = create_app(self.settings, self.database)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None, access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="uvicorn-sync-test", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test service did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            assert self._thread is not None
            self._thread.join(timeout=15)
            self._server = None

    def close(self) -> None:
        self.stop()
        self.world.close()
        self.database.dispose()


class ServiceProcess:
    """The service as a separate process, so a test can SIGKILL it mid-request."""

    def __init__(self, db_path: Path, port: int) -> None:
        self.db_path, self.port = db_path, port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "FOLLOWUP_DATABASE_URL": f"sqlite:///{self.db_path}",
            "FOLLOWUP_SECRET_KEY": TEST_SECRET,
            "FOLLOWUP_ARGON2_TIME_COST": "1",
            "FOLLOWUP_ARGON2_MEMORY_KIB": "8192",
        }
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "server_sync.service.app:create_app_from_environment",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        self.process = subprocess.Popen(command, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.url}/health", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the service process did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None
