"""deploy/: every manifest parses, names only settings the service reads, and probes real routes.

No container engine or cluster is available in CI, so the images and manifests are checked
statically here: PyYAML parsing, FOLLOWUP_* names against ``Settings``, probe and health-check
paths against the routes of ``create_app``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

from server_sync.service.app import create_app  # noqa: E402
from server_sync.service.core.config import Settings  # noqa: E402

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
YAML_FILES = sorted([*DEPLOY.glob("*.yaml"), *DEPLOY.glob("k8s/*.yaml")])
KNOWN_ENV = {f"FOLLOWUP_{name.upper()}" for name in Settings.model_fields}


def _documents() -> list[tuple[Path, dict[str, Any]]]:
    return [(path, doc) for path in YAML_FILES for doc in yaml.safe_load_all(path.read_text()) if doc]


def _walk(node: Any):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _env_names(doc: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    if doc.get("kind") in ("ConfigMap", "Secret"):
        names |= set(doc.get("data", {})) | set(doc.get("stringData", {}))
    for node in _walk(doc):
        if isinstance(node, dict):
            env = node.get("env") or node.get("environment")
            if isinstance(env, dict):
                names |= set(env)
            elif isinstance(env, list):
                names |= {e["name"] if isinstance(e, dict) else e.split("=", 1)[0] for e in env}
    return {name for name in names if name.startswith("FOLLOWUP_")}


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('deploy') / 'routes.db'}"
    app = create_app(Settings(database_url=url))
    # The OpenAPI paths: every route of every included router, however FastAPI nests them.
    return set(app.openapi()["paths"])


def test_every_yaml_file_parses_and_there_are_the_expected_ones() -> None:
    kinds = {doc.get("kind") for _path, doc in _documents()}
    assert {"Deployment", "Service", "ConfigMap", "Secret", "Job"} <= kinds
    assert any(path.name == "compose.yaml" for path in YAML_FILES)


def test_environment_names_are_settings_the_service_reads() -> None:
    used: set[str] = set()
    for path, doc in _documents():
        names = _env_names(doc)
        unknown = names - KNOWN_ENV
        assert not unknown, f"{path.name}: not read by Settings: {sorted(unknown)}"
        used |= names
    for path in (DEPLOY / "Dockerfile", DEPLOY / "systemd" / "followup-server.service"):
        names = set(re.findall(r"\b(FOLLOWUP_[A-Z_]+)=", path.read_text()))
        assert names and names <= KNOWN_ENV, f"{path.name}: {sorted(names - KNOWN_ENV)}"
    assert "FOLLOWUP_DATABASE_URL" in used and "FOLLOWUP_SECRET_KEY" in used


def test_probe_paths_are_real_routes(routes: set[str]) -> None:
    probes: dict[str, str] = {}
    for path, doc in _documents():
        for node in _walk(doc):
            if isinstance(node, dict):
                for kind in ("readinessProbe", "livenessProbe"):
                    if kind in node:
                        probes[f"{path.name}:{kind}"] = node[kind]["httpGet"]["path"]
    assert probes, "no probes found"
    assert {"/ready", "/health"} <= set(probes.values())
    texts = [(DEPLOY / "Dockerfile").read_text(), (DEPLOY / "compose.yaml").read_text()]
    for text in texts:
        for url_path in re.findall(r"http://127\.0\.0\.1:8765(/[a-z]+)", text):
            probes[url_path] = url_path
    assert set(probes.values()) <= routes


def test_deployment_is_replicated_with_requests_and_a_migration_job() -> None:
    docs = {doc["kind"]: doc for _path, doc in _documents() if "kind" in doc}
    deployment = docs["Deployment"]
    assert deployment["spec"]["replicas"] >= 2
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"]
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    job_container = docs["Job"]["spec"]["template"]["spec"]["containers"][0]
    assert job_container["command"] == ["followup-server", "migrate"]


def test_dockerfile_is_multi_stage_non_root_with_healthcheck() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.MULTILINE)) >= 2
    assert re.search(r"^USER (?!root|0\b)", text, re.MULTILINE)
    assert re.search(r"^HEALTHCHECK .*", text, re.MULTILINE) and "/health" in text


def test_compose_runs_migrations_before_the_service_on_postgres() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres")
    assert services["migrate"]["command"] == ["followup-server", "migrate"]
    assert services["server"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["server"]["environment"]["FOLLOWUP_DATABASE_URL"].startswith("postgresql+psycopg://")
