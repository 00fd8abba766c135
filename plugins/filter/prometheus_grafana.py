# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Filters of the prometheus_grafana role (documented in the sibling .yml files)."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.appstack.platform.plugins.module_utils import prometheus_config


def prometheus_scrape_configs(jobs: list) -> list[dict]:
    """Prometheus scrape_configs for scrape jobs ({job, targets, metrics_path, scheme, scrape_interval, labels})."""
    errors = prometheus_config.job_errors(jobs, "scrape jobs")
    if errors:
        raise AnsibleFilterError("; ".join(errors))
    return prometheus_config.scrape_configs(jobs)


def prometheus_job_errors(jobs: Any, name: str = "prometheus_grafana_extra_targets", taken: list | None = None) -> list[str]:
    """Why scrape jobs are wrong (or take a name of TAKEN), each message naming NAME; empty when they are right."""
    return prometheus_config.job_errors(jobs, name, list(taken or []))


def prometheus_rule_file_errors(paths: Any, name: str = "prometheus_grafana_rule_files") -> list[str]:
    """Why rule files (controller paths) are wrong before promtool sees them; empty when they are right."""
    return prometheus_config.rule_file_errors(paths, name)


def grafana_dashboard_errors(paths: Any, name: str = "prometheus_grafana_dashboards") -> list[str]:
    """Why Grafana dashboard files (controller paths) are wrong; empty when they are right."""
    return prometheus_config.dashboard_errors(paths, name)


def prometheus_grafana_files(paths: list, kind: str, mount_dir: str = "") -> list[dict]:
    """The operator's rule files or dashboards (controller paths) as config file entries of a container description."""
    try:
        return prometheus_config.controller_files(paths, kind, mount_dir)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    """appstack.platform prometheus_grafana filters."""

    def filters(self) -> dict:
        return {"prometheus_scrape_configs": prometheus_scrape_configs, "prometheus_job_errors": prometheus_job_errors,
                "prometheus_rule_file_errors": prometheus_rule_file_errors,
                "grafana_dashboard_errors": grafana_dashboard_errors, "prometheus_grafana_files": prometheus_grafana_files}
