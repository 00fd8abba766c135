"""What Prometheus scrapes comes from the stack: the jobs each enabled service declares, read in its own scope.

The roles are evaluated for real - their defaults, vars and templates through plugin_utils.stack.Stack with
Ansible's own templar - the way the preflight and the deploy read them (no Docker host needed). This module
also holds that harness (``stack_of``, ``plan_of``) for the other prometheus/grafana unit tests.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.utils.collection_loader._collection_finder import AnsibleCollectionConfig, _AnsibleCollectionFinder

ROOT = Path(__file__).resolve().parents[2]
STACK = ["postgres", "redis", "nginx", "prometheus_grafana"]


def _collections() -> None:
    """Let Ansible's templar resolve appstack.platform.* filters and lookups: Ansible's collection finder over the
    path conftest put first. Modules other tests imported as a plain namespace package are dropped first, so the
    finder imports the collection again (those tests keep their own references)."""
    if AnsibleCollectionConfig.collection_finder is not None:
        return
    import ansible_collections.appstack.platform as platform  # conftest made it importable

    paths = [str(Path(p).parents[2]) for p in platform.__path__]
    for name in [n for n in sys.modules if n == "ansible_collections" or n.startswith("ansible_collections.")]:
        del sys.modules[name]
    _AnsibleCollectionFinder(paths=paths)._install()


_collections()

from ansible_collections.appstack.platform.plugins.module_utils import containers  # noqa: E402 - after the finder
from ansible_collections.appstack.platform.plugins.plugin_utils import deploy  # noqa: E402
from ansible_collections.appstack.platform.plugins.plugin_utils.stack import Stack  # noqa: E402


class _Action:
    """What Stack needs of an action plugin: a loader and a templar."""

    def __init__(self):
        self._loader = DataLoader()
        self._templar = Templar(loader=self._loader, variables={})


def stack_of(services: list[str] | None = None, **variables) -> tuple[Stack, list[str]]:
    """A Stack of SERVICES (default the monitored stack) with VARIABLES as the play's variables."""
    services = list(STACK if services is None else services)
    values = {"appstack_services": services, "playbook_dir": str(ROOT), **variables}
    return Stack(_Action(), values, deploy.SUPPORT_ROLES + services), services


_PLANS: dict[str, tuple] = {}


def plan_of(services: list[str] | None = None, **variables) -> tuple[list[str], dict[str, dict]]:
    """The whole-stack check's errors and, per container name, its plan (files, secrets, image, docker options).
    The same inputs give the same plan: it is computed once per test session (callers only read it)."""
    key = json.dumps([services, variables], sort_keys=True, default=str)
    if key not in _PLANS:
        stack, names = stack_of(services, **variables)
        errors, planned = deploy.check_stack(stack, names)
        _PLANS[key] = (errors, {item["spec"]["name"]: item for item in planned})
    return _PLANS[key]


def scrape_jobs(**variables) -> dict[str, list[str]]:
    """The rendered prometheus.yml's jobs and their targets."""
    errors, planned = plan_of(**variables)
    assert errors == []
    config = yaml.safe_load(planned["appstack-prometheus"]["files"]["prometheus.yml"])
    return {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}


def test_every_enabled_service_is_scraped_with_prometheus_itself():
    assert scrape_jobs() == {"prometheus": ["localhost:9090"], "postgres": ["postgres-exporter:9187"],
                             "redis": ["redis-exporter:9121"], "nginx": ["nginx-exporter:9113"]}


def test_a_service_that_leaves_the_stack_takes_its_job_along():
    errors, planned = plan_of(["postgres", "nginx", "prometheus_grafana"])
    assert errors == []
    config = yaml.safe_load(planned["appstack-prometheus"]["files"]["prometheus.yml"])
    assert [job["job_name"] for job in config["scrape_configs"]] == ["prometheus", "postgres", "nginx"]


@pytest.mark.parametrize("switch, job", [("postgres_exporter_enabled", "postgres"), ("redis_exporter_enabled", "redis"),
                                         ("nginx_exporter_enabled", "nginx")])
def test_a_disabled_exporter_is_neither_run_nor_scraped(switch, job):
    errors, planned = plan_of(**{switch: False})
    assert errors == []
    config = yaml.safe_load(planned["appstack-prometheus"]["files"]["prometheus.yml"])
    assert job not in [j["job_name"] for j in config["scrape_configs"]]
    assert not any(name.endswith(f"{job}-exporter") for name in planned)


def test_the_app_extra_targets_and_the_route_prefix_shape_the_jobs():
    stack, _ = stack_of(appstack_services=["postgres", "redis", "nginx", "app", "prometheus_grafana"],
                        prometheus_grafana_route_prefix="/",
                        prometheus_grafana_extra_targets=[{"job": "node", "targets": ["10.0.0.5:9100"], "labels": {"site": "a"}}])
    jobs = stack.value("prometheus_grafana_jobs")
    assert jobs[0] == {"job": "prometheus", "targets": ["localhost:9090"], "metrics_path": "/metrics"}
    config = {job["job_name"]: job for job in stack.value("prometheus_grafana_config")["scrape_configs"]}
    assert config["node"]["static_configs"] == [{"targets": ["10.0.0.5:9100"], "labels": {"site": "a"}}]
    # The app's web replicas in both slots and its worker, found by DNS on the project network.
    assert config["app-web"]["dns_sd_configs"] == [{"names": ["app-web-blue", "app-web-green"], "type": "A", "port": 8000}]
    assert config["app-worker"]["dns_sd_configs"] == [{"names": ["app-worker"], "type": "A", "port": 8000}]


def test_the_prometheus_container_is_described_for_the_shared_path():
    errors, planned = plan_of()
    assert errors == []
    item = planned["appstack-prometheus"]
    spec, args = item["spec"], item["args"]
    assert args["user"] == "65534:65534" and args["read_only"] and args["cap_drop"] == ["ALL"]
    assert args["command"] == [
        "--config.file=/etc/prometheus/appstack/prometheus.yml", "--storage.tsdb.path=/prometheus",
        "--storage.tsdb.retention.time=15d", "--storage.tsdb.retention.size=10GB", "--web.listen-address=:9090",
        "--web.external-url=http://localhost/prometheus/", "--web.route-prefix=/prometheus/", "--web.enable-lifecycle"]
    assert {"type": "volume", "source": "appstack-prometheus-data", "target": "/prometheus", "read_only": False} in args["mounts"]
    assert {"type": "bind", "source": "/etc/appstack/appstack-prometheus/config", "target": "/etc/prometheus/appstack",
            "read_only": True} in args["mounts"]
    assert args["healthcheck"]["test"][-1] == "http://127.0.0.1:9090/prometheus/-/ready"
    assert spec["reload"]["command"][-1] == "http://127.0.0.1:9090/prometheus/-/reload"
    assert sorted(item["files"]) == ["appstack.rules.yml", "prometheus.yml"]
    # Files are tested and reloaded, never a reason to recreate: the config hash ignores them.
    assert item["digest"] == containers.config_hash({}, {})


def test_promtool_tests_the_staged_files_in_a_one_off_container():
    errors, planned = plan_of()
    item = planned["appstack-prometheus"]
    test = containers.config_test_args(item["spec"], deploy.settings(stack_of()[0]), item["image_ref"])
    assert test["entrypoint"] == ["promtool"]
    assert test["command"] == ["check", "config", "/etc/prometheus/appstack/prometheus.yml"]
    assert {"type": "bind", "source": "/etc/appstack/appstack-prometheus/config.next", "target": "/etc/prometheus/appstack",
            "read_only": True} in test["mounts"]
    assert test["user"] == "65534:65534" and test["networks"] == [{"name": "appstack"}] and test["detach"] is False


def test_operator_rule_files_join_the_shipped_ones_untemplated(tmp_path):
    rules = tmp_path / "team.rules.yml"
    rules.write_text("groups:\n  - name: team\n    rules:\n      - alert: X\n        expr: up == 0\n"
                     "        annotations: {summary: '{{ $labels.job }}'}\n")
    errors, planned = plan_of(prometheus_grafana_rule_files=[str(rules)])
    assert errors == []
    files = planned["appstack-prometheus"]["files"]
    assert files["operator-team.rules.yml"] == rules.read_text()
    config = yaml.safe_load(files["prometheus.yml"])
    assert config["rule_files"] == ["/etc/prometheus/appstack/*.rules.yml"]


def test_prod_publishes_neither_prometheus_nor_grafana():
    errors, _ = plan_of(appstack_env="prod", appstack_publish_ports=False, prometheus_grafana_publish=True,
                        postgres_superuser_password="x" * 20, redis_password="y" * 20, nginx_tls_enabled=True,
                        nginx_tls_cert="-----BEGIN CERTIFICATE-----", nginx_tls_key="-----BEGIN PRIVATE KEY-----")
    assert [e for e in errors if e.startswith("prometheus_grafana")] == [
        "prometheus_grafana_publish: prod publishes no port of this service on the host (only the edge proxy does); "
        "set it to false, clients use the project network"]
