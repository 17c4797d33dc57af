"""The Helm chart renders, validates against the Kubernetes schemas and is safe to run."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from typing import Any

import kubernetes_validate
import pytest
import yaml

from actors.broker import DEFAULT_TIME_LIMIT_MS
from actors.contracts import QUEUES
from cli.processes import api_command, worker_command
from core.logging import SECRET_KEY_PATTERN

from .conftest import CHART, ROOT, find, pod_spec, production_values, render

#: The oldest Kubernetes the chart supports (Chart.yaml kubeVersion), validated strictly.
KUBERNETES_VERSION = "1.27"
#: Custom resources without a schema in kubernetes-validate (KEDA), checked by hand below.
CUSTOM_KINDS = {"ScaledObject", "TriggerAuthentication"}
LONG_RUNNING = {"Deployment", "StatefulSet"}
#: Value names that refer to a Kubernetes Secret object rather than hold a secret.
SECRET_REFERENCES = {"secretName", "secretKey", "tlsSecretName"}
#: Time a worker needs beyond an actor's time limit to ack and shut down.
SHUTDOWN_MARGIN_S = 10


def _containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def test_every_manifest_validates_against_the_kubernetes_schemas(manifests):
    for manifest in manifests:
        if manifest["kind"] in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{manifest['kind']}/{manifest['metadata']['name']}: {where}: {exc}")


def test_only_known_custom_resources_are_rendered(manifests):
    kinds = {m["kind"] for m in manifests}
    assert kinds - CUSTOM_KINDS <= {
        "ConfigMap", "CronJob", "Deployment", "HorizontalPodAutoscaler", "Ingress",
        "NetworkPolicy", "PodDisruptionBudget", "Service", "ServiceAccount", "StatefulSet",
    }  # fmt: skip


def test_the_chart_never_renders_a_secret(manifests):
    assert not [m for m in manifests if m["kind"] == "Secret"]


def test_every_container_has_limits_requests_and_runs_as_non_root(manifests):
    problems = []
    for manifest in manifests:
        spec = pod_spec(manifest)
        if spec is None:
            continue
        pod_non_root = spec.get("securityContext", {}).get("runAsNonRoot") is True
        for container in _containers(spec):
            where = f"{manifest['kind']}/{manifest['metadata']['name']}/{container['name']}"
            resources = container.get("resources", {})
            for part in ("requests", "limits"):
                if not {"cpu", "memory"} <= set(resources.get(part, {})):
                    problems.append(f"{where}: no cpu and memory {part}")
            context = container.get("securityContext", {})
            if not (pod_non_root and context.get("runAsNonRoot") is True):
                problems.append(f"{where}: not runAsNonRoot")
            if context.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: root filesystem is writable")
            if context.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: may escalate privileges")
    assert not problems, "\n".join(problems)


def test_every_long_running_container_has_liveness_and_readiness_probes(manifests):
    problems = []
    for manifest in manifests:
        if manifest["kind"] not in LONG_RUNNING:
            continue
        for container in pod_spec(manifest)["containers"]:  # type: ignore[index]
            for probe in ("livenessProbe", "readinessProbe"):
                if probe not in container:
                    problems.append(f"{manifest['metadata']['name']}/{container['name']}: {probe}")
    assert not problems, "missing probes: " + ", ".join(problems)


def test_no_pod_mounts_a_service_account_token(manifests):
    for manifest in manifests:
        spec = pod_spec(manifest)
        if spec is not None:
            assert spec.get("automountServiceAccountToken") is False, manifest["metadata"]["name"]


def test_api_probes_its_health_routes(manifests):
    api = find(manifests, "Deployment", "footcast-api")["spec"]["template"]["spec"]
    container = api["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"


def test_api_has_service_autoscaler_and_disruption_budget(manifests):
    find(manifests, "Service", "footcast-api")
    hpa = find(manifests, "HorizontalPodAutoscaler", "footcast-api")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "footcast-api"
    assert find(manifests, "PodDisruptionBudget", "footcast-api")["spec"]["minAvailable"] >= 1


def _procfile() -> dict[str, list[str]]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return {name: shlex.split(cmd) for name, _, cmd in (line.partition(":") for line in lines)}


def _without_bind_host(command: list[str]) -> list[str]:
    """The command with ``--bind HOST:PORT`` reduced to the port (the pod binds 0.0.0.0)."""
    command = list(command)
    index = command.index("--bind") + 1
    command[index] = command[index].rpartition(":")[2]
    return command


def test_chart_api_runs_the_procfile_web_command(manifests):
    values = render_values(manifests)
    container = find(manifests, "Deployment", "footcast-api")["spec"]["template"]["spec"]
    chart = container["containers"][0]["command"]
    api = values["api"]
    expected = ["gunicorn", *api_command(api["port"], workers=api["workers"],
                                         threads=api["threads"])[3:]]  # fmt: skip
    assert _without_bind_host(chart) == _without_bind_host(expected)
    assert chart[chart.index("--bind") + 1] == f"0.0.0.0:{api['port']}"
    procfile = _procfile()["web"]
    procfile[procfile.index("--bind") + 1] = "127.0.0.1:8000"
    assert procfile == ["gunicorn", *api_command(8000)[3:]]


def test_chart_workers_run_the_procfile_worker_command_per_queue_group(manifests):
    groups = render_values(manifests)["workers"]["groups"]
    for group, spec in groups.items():
        deployment = find(manifests, "Deployment", f"footcast-worker-{group}")
        command = deployment["spec"]["template"]["spec"]["containers"][0]["command"]
        expected = worker_command(
            spec["queues"], processes=spec["processes"], threads=spec["threads"]
        )
        assert command == ["footcast", *expected[3:]]
    assert _procfile()["worker"] == ["footcast", *worker_command()[3:]]


def test_every_queue_is_served_by_exactly_one_worker_group(manifests):
    groups = render_values(manifests)["workers"]["groups"]
    served = [queue for spec in groups.values() for queue in spec["queues"]]
    assert sorted(served) == sorted(QUEUES)


#: Declares every actor a worker serves on footcast's broker (built, never connected).
ACTOR_LIMITS = """
import importlib, json
from actors.broker import install_broker
from actors.worker import QUEUES, actor_modules
from core.settings import Settings
broker = install_broker(Settings())
for module in actor_modules(QUEUES):
    importlib.import_module(module)
print(json.dumps({name: [a.queue_name, a.options.get("time_limit")]
                  for name, a in broker.actors.items()}))
"""


@pytest.fixture(scope="module")
def actor_limits_s() -> dict[str, float]:
    """The longest time limit per queue over every actor a worker declares, in seconds."""
    out = subprocess.run(
        [sys.executable, "-c", ACTOR_LIMITS], cwd=ROOT, capture_output=True, text=True,
        check=True, timeout=120,
    )  # fmt: skip
    limits: dict[str, float] = {}
    for queue, limit_ms in json.loads(out.stdout.strip().splitlines()[-1]).values():
        limit_s = (limit_ms or DEFAULT_TIME_LIMIT_MS) / 1000
        limits[queue] = max(limits.get(queue, 0), limit_s)
    return limits


def test_worker_grace_period_outlasts_the_longest_actor_time_limit(manifests, actor_limits_s):
    assert actor_limits_s, "no actors found"
    groups = render_values(manifests)["workers"]["groups"]
    for group, spec in groups.items():
        pod = find(manifests, "Deployment", f"footcast-worker-{group}")["spec"]["template"]
        grace_s = pod["spec"]["terminationGracePeriodSeconds"]
        needed_s = max(actor_limits_s.get(q, 0) for q in spec["queues"]) + SHUTDOWN_MARGIN_S
        assert grace_s >= needed_s, f"worker group {group}: grace {grace_s}s < {needed_s}s"


def test_keda_scales_every_worker_group_on_its_queues_when_enabled():
    manifests = render(production_values())
    groups = production_values()["workers"]["groups"]
    for group in ("ingest", "ml", "ops"):
        scaled = find(manifests, "ScaledObject", f"footcast-worker-{group}")
        queues = [t["metadata"]["queueName"] for t in scaled["spec"]["triggers"]]
        assert queues == render_values(manifests)["workers"]["groups"][group]["queues"]
        assert all(t["type"] == "rabbitmq" for t in scaled["spec"]["triggers"])
        deployment = find(manifests, "Deployment", f"footcast-worker-{group}")
        assert "replicas" not in deployment["spec"], "KEDA owns the replica count"
    assert groups  # the example overrides groups, so merging values must keep the rest
    auth = find(manifests, "TriggerAuthentication", "footcast-rabbitmq-auth")
    assert auth["spec"]["secretTargetRef"][0]["key"] == "FOOTCAST_BROKER_URL"


@pytest.mark.parametrize("service", ["postgresql", "rabbitmq", "redis", "minio"])
def test_each_stateful_service_is_one_replica_with_a_volume_and_can_be_switched_off(service):
    statefulset = find(render(), "StatefulSet", f"footcast-{service}")
    assert statefulset["spec"]["replicas"] == 1
    assert statefulset["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    names = {m["metadata"]["name"] for m in render({service: {"enabled": False}})}
    assert f"footcast-{service}" not in names


def test_mlflow_uses_postgresql_and_minio_and_can_be_external():
    manifests = render()
    mlflow = find(manifests, "Deployment", "footcast-mlflow")["spec"]["template"]["spec"]
    container = mlflow["containers"][0]
    command = container["command"]
    assert command[:2] == ["mlflow", "server"]
    assert command[command.index("--artifacts-destination") + 1] == "s3://mlflow"
    env = {e["name"]: e for e in container["env"]}
    assert env["MLFLOW_BACKEND_STORE_URI"]["valueFrom"]["secretKeyRef"]["key"] == (
        "MLFLOW_BACKEND_STORE_URI"
    )
    external = render({"mlflow": {"enabled": False, "externalTrackingUri": "http://ml:5000"}})
    settings = find(external, "ConfigMap", "footcast-settings")["data"]
    assert settings["FOOTCAST_MLFLOW_TRACKING_URI"] == "http://ml:5000"
    assert "footcast-mlflow" not in {m["metadata"]["name"] for m in external}


def test_only_the_api_accepts_traffic_from_outside_the_namespace(manifests):
    policies = [m for m in manifests if m["kind"] == "NetworkPolicy"]
    deny = find(policies, "NetworkPolicy", "footcast-default-deny")["spec"]
    assert deny["podSelector"] == {} and deny["policyTypes"] == ["Ingress"]
    assert "ingress" not in deny
    for policy in policies:
        for rule in policy["spec"].get("ingress", []):
            sources = rule.get("from")
            inside = sources is not None and all(set(s) == {"podSelector"} for s in sources)
            component = (
                policy["spec"]["podSelector"]
                .get("matchLabels", {})
                .get("app.kubernetes.io/component")
            )
            keda = policy["metadata"]["name"] == "footcast-keda-to-rabbitmq"
            assert inside or component == "api" or keda, policy["metadata"]["name"]


def test_settings_configmap_holds_only_known_non_secret_settings(manifests):
    from core.settings import Settings

    data = find(manifests, "ConfigMap", "footcast-settings")["data"]
    settings = Settings.from_env({k: v for k, v in data.items() if k.startswith("FOOTCAST_")})
    assert settings.env == "production" and settings.log_format == "json"
    for key in ("DATABASE_URL", "BROKER_URL", "RESULTS_URL", "CACHE_URL"):
        assert f"FOOTCAST_{key}" not in data, "connection URLs carry passwords: Secret only"


def test_values_files_hold_no_secret_values():
    for path in (CHART / "values.yaml", CHART / "values-production.example.yaml"):
        for key, value in _leaves(yaml.safe_load(path.read_text())):
            name = key.rpartition(".")[2]
            if SECRET_KEY_PATTERN.search(name) and name not in SECRET_REFERENCES:
                pytest.fail(f"{path.name}: {key} = {value!r} looks like a secret value")
            assert "://" not in str(value) or "@" not in str(value), f"{path.name}: {key}"


def test_airflow_is_an_optional_dependency_that_is_not_vendored():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    airflow = next(d for d in chart["dependencies"] if d["name"] == "airflow")
    assert airflow["condition"] == "airflow.enabled"
    assert not (CHART / "charts").exists()
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["airflow"]["enabled"] is False
    assert values["airflow"]["config"]["core"]["dags_folder"] == "/app/dags"


def render_values(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    """The values a rendering used: production when it rendered KEDA objects, else defaults."""
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    if not any(m["kind"] == "ScaledObject" for m in manifests):
        return defaults
    return _merge(defaults, production_values())


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merge(base[key], value)
        else:
            merged[key] = value
    return merged


def _leaves(node: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [leaf for k, v in node.items() for leaf in _leaves(v, f"{prefix}{k}.")]
    if isinstance(node, list):
        return [leaf for v in node for leaf in _leaves(v, prefix)]
    return [(prefix.rstrip("."), node)]


def test_the_cache_has_a_redis_of_its_own_apart_from_the_results_backend(manifests):
    find(manifests, "StatefulSet", "footcast-redis")
    cache = find(manifests, "StatefulSet", "footcast-redis-cache")
    assert "allkeys-lru" in cache["spec"]["template"]["spec"]["containers"][0]["command"][2]
    for group in render_values(manifests)["workers"]["groups"]:
        pod = find(manifests, "Deployment", f"footcast-worker-{group}")["spec"]["template"]
        env = {e["name"]: e for e in pod["spec"]["containers"][0]["env"]}
        assert env["FOOTCAST_CACHE_URL"]["value"].endswith("@footcast-redis-cache:6379/0")
        assert env["FOOTCAST_RESULTS_URL"]["valueFrom"]["secretKeyRef"]["key"] == (
            "FOOTCAST_RESULTS_URL"
        )
        names = [e["name"] for e in pod["spec"]["containers"][0]["env"]]
        assert names.index("REDIS_PASSWORD") < names.index("FOOTCAST_CACHE_URL")


def test_worker_readiness_waits_for_every_process_to_serve(manifests):
    settings = find(manifests, "ConfigMap", "footcast-settings")["data"]
    assert settings["FOOTCAST_WORKER_STATE_DIR"].startswith("/tmp/")
    for group in render_values(manifests)["workers"]["groups"]:
        pod = find(manifests, "Deployment", f"footcast-worker-{group}")["spec"]["template"]
        probe = pod["spec"]["containers"][0]["readinessProbe"]["exec"]["command"]
        assert probe[-2:] == ["ready", "FOOTCAST_WORKER_STATE_DIR"]
