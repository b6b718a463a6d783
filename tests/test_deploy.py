"""The deployment files: compose.yaml, deploy/k8s and the Dockerfile parse, hold the
services the README promises, and every command they run is a real `spinebot`
subcommand (checked with the installed console script's own --help).

scripts/image.sh builds and smoke-tests the image itself; CI runs it after the tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"


def _load(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


@cache
def _help(*words: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("spinebot")
    return subprocess.run(
        [str(exe), *words, "--help"], capture_output=True, text=True, timeout=120, check=False
    )


def _assert_real_command(command: list[str]) -> None:
    """`spinebot X [Y]` must be a subcommand the CLI knows; `chroma run` the chromadb CLI."""
    if command[:2] == ["chroma", "run"]:
        assert "--path" in command
        return
    assert command[0] == "spinebot", command
    words = [word for word in command[1:] if not word.startswith("-")]
    assert words, command
    result = _help(*words)
    assert result.returncode == 0, (command, result.stderr)
    assert "Usage: spinebot " + " ".join(words) in " ".join(result.stdout.split())


@cache
def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _k8s() -> dict[tuple[str, str], dict[str, Any]]:
    resources: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in _load(path):
            if doc["kind"] == "Kustomization":
                continue
            resources[(doc["kind"], doc["metadata"]["name"])] = doc
    return resources


def _containers(resource: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = resource["spec"]["template"]["spec"]["containers"]
    return containers


def test_the_console_script_lists_every_subcommand_the_deployment_runs() -> None:
    result = _help()
    assert result.returncode == 0, result.stderr
    for name in ("serve", "worker", "db", "socket", "ingest"):
        assert f" {name} " in result.stdout


def test_compose_runs_postgres_chroma_web_worker_and_a_one_shot_migration() -> None:
    services = _compose()["services"]
    assert {"postgres", "chroma", "web", "worker", "migrate"} <= set(services)
    assert services["web"]["command"] == ["spinebot", "serve"]
    assert services["worker"]["command"] == ["spinebot", "worker"]
    assert services["migrate"]["command"] == ["spinebot", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["chroma"]["command"][:4] == ["chroma", "run", "--path", "/data/chroma"]


@pytest.mark.parametrize("service", ["web", "worker", "migrate", "chroma"])
def test_each_compose_command_is_a_real_subcommand(service: str) -> None:
    _assert_real_command(_compose()["services"][service]["command"])


def test_compose_services_have_health_checks_volumes_and_the_env_file() -> None:
    services = _compose()["services"]
    for name in ("postgres", "chroma", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert set(_compose()["volumes"]) >= {"postgres", "chroma"}
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])
    assert any(v.endswith(":/data") for v in services["chroma"]["volumes"])
    for name in ("web", "worker", "migrate"):
        assert services[name]["env_file"] == ".env"
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgresql")
        assert services[name]["environment"]["CHROMA_URL"] == "http://chroma:8000"


def test_web_and_worker_start_only_after_the_migration_succeeded() -> None:
    services = _compose()["services"]
    for name in ("web", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["chroma"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_kubernetes_runs_several_web_replicas_with_probes() -> None:
    web = _k8s()[("Deployment", "spinebot-web")]
    assert web["spec"]["replicas"] >= 2
    (container,) = _containers(web)
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]
    _assert_real_command(container["command"])


def test_kubernetes_runs_exactly_one_worker_and_never_two_during_a_rollout() -> None:
    worker = _k8s()[("Deployment", "spinebot-worker")]
    assert worker["spec"]["replicas"] == 1
    assert worker["spec"]["strategy"]["type"] == "Recreate"
    (container,) = _containers(worker)
    assert container["command"] == ["spinebot", "worker"]
    _assert_real_command(container["command"])


def test_kubernetes_has_a_service_config_secret_template_and_a_migration_job() -> None:
    resources = _k8s()
    service = resources[("Service", "spinebot-web")]
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "web"
    assert ("ConfigMap", "spinebot-config") in resources
    assert ("Secret", "spinebot-secrets") in resources
    job = resources[("Job", "spinebot-migrate")]
    (container,) = _containers(job)
    assert container["command"] == ["spinebot", "db", "upgrade"]
    _assert_real_command(container["command"])
    chroma = resources[("StatefulSet", "spinebot-chroma")]
    _assert_real_command(_containers(chroma)[0]["command"])


def test_every_kubernetes_pod_runs_as_the_images_non_root_user_with_config_and_secrets() -> None:
    for (kind, name), resource in _k8s().items():
        if kind not in {"Deployment", "StatefulSet", "Job"}:
            continue
        pod = resource["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == 10001, name
        if name != "spinebot-chroma":
            refs = [next(iter(ref.values()))["name"] for ref in _containers(resource)[0]["envFrom"]]
            assert refs == ["spinebot-config", "spinebot-secrets"], name


@pytest.mark.parametrize("name", ["spinebot-web", "spinebot-worker"])
def test_web_and_worker_pods_start_only_on_a_migrated_database(name: str) -> None:
    pod = _k8s()[("Deployment", name)]["spec"]["template"]["spec"]
    (init,) = pod["initContainers"]
    assert init["command"][:2] == ["sh", "-c"]
    assert "until spinebot db status" in init["command"][2]
    _assert_real_command(["spinebot", "db", "status"])


def test_kustomization_lists_every_manifest_but_the_secret_template() -> None:
    (kustomization,) = _load(K8S / "kustomization.yaml")
    manifests = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == manifests - {"secret.template.yaml"}


def test_the_dockerfile_has_a_base_argument_a_non_root_user_and_the_serve_default() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "ARG BASE=python:3.12-slim" in text
    lines = [line.strip() for line in text.splitlines()]
    assert "USER ${UID}:${UID}" in lines and "ARG UID=10001" in lines
    assert 'CMD ["spinebot", "serve"]' in lines
    assert any(line.startswith("EXPOSE 3000") for line in lines)
    assert "HEALTHCHECK" in text and "/healthz" in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "data", ".env"} <= set(ignored)


def _unknown_fields(written: Any, parsed: Any, path: str = "") -> list[str]:
    if isinstance(written, dict) and isinstance(parsed, dict):
        found = [f"{path}/{key}" for key in written if key not in parsed]
        for key in written.keys() & parsed.keys():
            found += _unknown_fields(written[key], parsed[key], f"{path}/{key}")
        return found
    if isinstance(written, list) and isinstance(parsed, list):
        return [
            field
            for i, (a, b) in enumerate(zip(written, parsed, strict=False))
            for field in _unknown_fields(a, b, f"{path}[{i}]")
        ]
    return []


def test_every_kubernetes_field_is_one_the_api_knows() -> None:
    """The kubernetes client (a chromadb dependency) parses each manifest into its API
    model; a misspelt or misplaced field is one the round trip drops."""
    kubernetes = pytest.importorskip("kubernetes")
    api = kubernetes.client.ApiClient()
    for (kind, name), resource in _k8s().items():
        model = api.deserialize(json.dumps(resource), f"V1{kind}", "application/json")
        parsed = api.sanitize_for_serialization(model)
        assert _unknown_fields(resource, parsed) == [], (kind, name)
