"""The exporters of postgres, redis and nginx run when Prometheus is part of the stack, or when asked for.

Each ``<svc>_exporter_enabled`` defaults to whether ``prometheus_grafana`` is in ``appstack_services``; an
operator's true or false wins either way. The whole-stack check's plan (no Docker host needed, the harness of
test_prometheus_targets) shows which containers the roles describe, and ``<svc>_metrics`` stays what the
exporter does: a scrape job only while it runs.
"""

from __future__ import annotations

import pytest
from test_prometheus_targets import ROOT, Stack, _Action, deploy, plan_of, stack_of

SERVICES = ["postgres", "redis", "nginx"]
EXPORTERS = {"postgres": "appstack-postgres-exporter", "redis": "appstack-redis-exporter",
             "nginx": "appstack-nginx-exporter"}
METRICS = {"postgres": [{"job": "postgres", "targets": ["postgres-exporter:9187"]}],
           "redis": [{"job": "redis", "targets": ["redis-exporter:9121"]}],
           "nginx": [{"job": "nginx", "targets": ["nginx-exporter:9113"]}]}


def _planned(services: list[str], **variables) -> dict[str, dict]:
    errors, planned = plan_of(services, **variables)
    assert errors == []
    return planned


def test_without_prometheus_no_exporter_is_described_or_declared():
    planned = _planned(SERVICES)
    assert {"appstack-postgres", "appstack-redis", "appstack-nginx"} <= set(planned)
    assert [name for name in planned if name.endswith("-exporter")] == []
    stack, _ = stack_of(SERVICES)
    for service in SERVICES:
        assert stack.value(f"{service}_exporter_enabled") is False
        assert stack.value(f"{service}_metrics") == []
    # Redis's ACL file has no user for an exporter that does not run; the endpoints text says it is off.
    assert "user exporter " not in planned["appstack-redis"]["secrets"]["users.acl"]
    assert "  exporter: off (nginx_exporter_enabled)" in stack.value("nginx_endpoints")


def test_without_any_service_list_no_exporter_runs():
    """A role run alone, with no appstack_services at all, runs no exporter either."""
    stack = Stack(_Action(), {"playbook_dir": str(ROOT)}, deploy.SUPPORT_ROLES + SERVICES)
    assert not stack.defined("appstack_services")
    for service in SERVICES:
        assert stack.value(f"{service}_exporter_enabled") is False
        assert [c["name"] for c in stack.value(f"{service}_containers")] == [f"appstack-{service}"]


def test_with_prometheus_every_exporter_is_described_and_scraped():
    planned = _planned(SERVICES + ["prometheus_grafana"])
    assert set(EXPORTERS.values()) <= set(planned)
    stack, _ = stack_of(SERVICES + ["prometheus_grafana"])
    for service in SERVICES:
        assert stack.value(f"{service}_exporter_enabled") is True
        assert stack.value(f"{service}_metrics") == METRICS[service]
    assert "user exporter on " in planned["appstack-redis"]["secrets"]["users.acl"]


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("asked", [True, "true"], ids=["bool", "extra-var-string"])
def test_an_explicit_true_runs_the_exporter_without_prometheus(service, asked):
    planned = _planned(SERVICES, **{f"{service}_exporter_enabled": asked})
    assert [name for name in planned if name.endswith("-exporter")] == [EXPORTERS[service]]
    stack, _ = stack_of(SERVICES, **{f"{service}_exporter_enabled": asked})
    assert stack.value(f"{service}_metrics") == METRICS[service]


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("refused", [False, "false"], ids=["bool", "extra-var-string"])
def test_an_explicit_false_keeps_the_exporter_off_with_prometheus(service, refused):
    planned = _planned(SERVICES + ["prometheus_grafana"], **{f"{service}_exporter_enabled": refused})
    assert EXPORTERS[service] not in planned
    assert {name for name in EXPORTERS.values() if name != EXPORTERS[service]} <= set(planned)
    stack, _ = stack_of(SERVICES + ["prometheus_grafana"], **{f"{service}_exporter_enabled": refused})
    assert stack.value(f"{service}_metrics") == []
