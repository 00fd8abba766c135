# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Prometheus's scrape configuration from the stack's scrape targets, and the checks of the operator's inputs.

A service role declares what Prometheus scrapes as data (``<role>_metrics`` in its ``vars/main.yml``)::

    postgres_metrics: [{job: postgres, targets: ["postgres-exporter:9187"]}]

``appstack.platform.prometheus_grafana`` collects the jobs of the services in the stack (lookup
``appstack.platform.prometheus_targets``), adds Prometheus itself, the app and the operator's extra targets,
and turns them into ``scrape_configs`` here. The same module checks those jobs, rule files and Grafana
dashboard files before anything changes, so a bad one is refused naming the variable.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import yaml

#: Prometheus's duration syntax (model.ParseDuration): units in descending order, at least one.
DURATION = re.compile(r"^(?=\d)((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$")
#: --storage.tsdb.retention.size: a whole number and a byte unit.
RETENTION_SIZE = re.compile(r"^[1-9][0-9]*(B|KB|MB|GB|TB|PB|EB)$")
JOB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
TARGET = re.compile(r"^[A-Za-z0-9._-]+:[0-9]{1,5}$")
HOST = re.compile(r"^[A-Za-z0-9._-]+$")
LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
JOB_KEYS = {"job", "targets", "metrics_path", "scheme", "scrape_interval", "scrape_timeout", "labels", "dns_names", "port"}


def is_duration(value: Any) -> bool:
    """Whether VALUE is a Prometheus duration such as 15d, 2h30m or 500ms."""
    return isinstance(value, str) and bool(DURATION.match(value))


def is_retention_size(value: Any) -> bool:
    """Whether VALUE is a retention size such as 512MB or 10GB (empty: no size limit)."""
    return value in ("", None) or (isinstance(value, str) and bool(RETENTION_SIZE.match(value)))


def job_errors(jobs: Any, name: str = "prometheus_grafana_extra_targets", taken: list[str] | None = None) -> list[str]:
    """Why scrape jobs (``{job, targets or dns_names and port, metrics_path, scheme, scrape_interval, labels}``) are
    wrong, naming NAME.

    TAKEN: job names scraped already (Prometheus itself, the services); a job of the same name is refused,
    as is a name used twice among JOBS.
    """
    if not isinstance(jobs, list):
        return [f"{name}: must be a list of {{job, targets}}; got {jobs!r}"]
    errors = []
    names = [job.get("job") for job in jobs if isinstance(job, dict)]
    clashes = sorted({str(n) for n in names if n in (taken or []) or names.count(n) > 1})
    if clashes:
        errors.append(f"{name}: job {', '.join(clashes)} is scraped already (Prometheus itself, a service of the stack, "
                      "the app or another extra target); give each job a name of its own")
    for index, job in enumerate(jobs):
        if not isinstance(job, dict):
            errors.append(f"{name}: entry {index + 1} must be {{job, targets}}; got {job!r}")
            continue
        label = job.get("job", f"entry {index + 1}")
        unknown = sorted(set(job) - JOB_KEYS)
        if unknown:
            errors.append(f"{name}: {label} has unknown keys {', '.join(map(str, unknown))} (allowed: {', '.join(sorted(JOB_KEYS))})")
        if not isinstance(job.get("job"), str) or not JOB_NAME.match(job["job"]):
            errors.append(f"{name}: every job needs a name of letters, digits, '_', '.' or '-'; got {job.get('job')!r}")
        targets = job.get("targets")
        if job.get("dns_names") is not None:
            names = job["dns_names"]
            if not isinstance(names, list) or not names or not all(isinstance(n, str) and HOST.match(n) for n in names):
                errors.append(f"{name}: dns_names of {label} is a list of host names; got {names!r}")
            port = job.get("port")
            if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
                errors.append(f"{name}: {label} with dns_names needs a port between 1 and 65535; got {port!r}")
        elif not isinstance(targets, list) or not targets:
            errors.append(f"{name}: {label} needs targets, a list of host:port (or dns_names and a port)")
        else:
            bad = [t for t in targets if not (isinstance(t, str) and TARGET.match(t))]
            if bad:
                errors.append(f"{name}: every target of {label} is host:port (for example app:8000); got {', '.join(map(repr, bad))}")
        path = job.get("metrics_path", "/metrics")
        if not isinstance(path, str) or not path.startswith("/"):
            errors.append(f"{name}: metrics_path of {label} must start with /; got {path!r}")
        if job.get("scheme", "http") not in ("http", "https"):
            errors.append(f"{name}: scheme of {label} is http or https; got {job.get('scheme')!r}")
        for key in ("scrape_interval", "scrape_timeout"):
            if key in job and not is_duration(job[key]):
                errors.append(f"{name}: {key} of {label} must be a duration such as 30s; got {job[key]!r}")
        labels = job.get("labels", {})
        if not isinstance(labels, dict) or any(not (isinstance(k, str) and LABEL_NAME.match(k)) for k in labels):
            errors.append(f"{name}: labels of {label} map label names (letters, digits, '_') to values; got {labels!r}")
    return errors


def scrape_configs(jobs: list[dict]) -> list[dict]:
    """Prometheus ``scrape_configs`` for JOBS, in their order (the first job of a name wins).

    A job names its ``targets`` (host:port), or ``dns_names`` and a ``port``: every address the names resolve to.
    """
    configs, seen = [], set()
    for job in jobs:
        if job["job"] in seen:
            continue
        seen.add(job["job"])
        config: dict[str, Any] = {"job_name": job["job"], "metrics_path": job.get("metrics_path", "/metrics"),
                                  "scheme": job.get("scheme", "http")}
        for key in ("scrape_interval", "scrape_timeout"):
            if job.get(key):
                config[key] = job[key]
        if job.get("dns_names"):
            # Every address the names resolve to on the project network (an app's replicas).
            config["dns_sd_configs"] = [{"names": list(job["dns_names"]), "type": "A", "port": int(job["port"])}]
        else:
            static: dict[str, Any] = {"targets": list(job["targets"])}
            if job.get("labels"):
                static["labels"] = {str(k): str(v) for k, v in job["labels"].items()}
            config["static_configs"] = [static]
        configs.append(config)
    return configs


def _read(path: str) -> tuple[str | None, str | None]:
    if not isinstance(path, str) or not os.path.isabs(path):
        return None, f"{path!r} is not an absolute path on the controller"
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(), None
    except FileNotFoundError:
        return None, f"{path} does not exist on the controller"
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{path} cannot be read: {exc}"


def rule_file_errors(paths: Any, name: str = "prometheus_grafana_rule_files") -> list[str]:
    """Why Prometheus rule files (controller paths) are wrong before promtool sees them: missing, not YAML, not
    ``groups:`` of ``{name, rules}`` with an alert or record and an expr each. promtool checks the expressions."""
    if not isinstance(paths, list):
        return [f"{name}: must be a list of controller paths of rule files; got {paths!r}"]
    errors = []
    for path in paths:
        text, problem = _read(path)
        if problem:
            errors.append(f"{name}: {problem}")
            continue
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            at = f" (line {where.line + 1})" if where else ""
            errors.append(f"{name}: {path} is not YAML{at}: {getattr(exc, 'problem', None) or exc}")
            continue
        groups = document.get("groups") if isinstance(document, dict) else None
        if not isinstance(groups, list) or not groups:
            errors.append(f"{name}: {path} is not a Prometheus rule file (a mapping with groups: [{{name, rules}}])")
            continue
        for group in groups:
            if not isinstance(group, dict) or not isinstance(group.get("name"), str) or not isinstance(group.get("rules"), list):
                errors.append(f"{name}: {path}: every group needs a name and a list of rules")
                continue
            for rule in group["rules"]:
                if not isinstance(rule, dict) or not (rule.get("alert") or rule.get("record")) or not rule.get("expr"):
                    errors.append(f"{name}: {path}: every rule of group {group['name']} needs alert or record, and expr")
                    break
    return errors


def controller_files(paths: list, kind: str, mount_dir: str = "") -> list[dict]:
    """Operator files as container config files: rule files named ``operator-<name>.rules.yml`` (the rule_files
    glob), dashboards ``dashboard-<name>.json`` mounted as ``<mount_dir>/<name>.json``. Contents are read here,
    on the controller, and never templated (Prometheus and Grafana use ``{{ }}`` themselves)."""
    entries = []
    for path in paths or []:
        text, problem = _read(path)
        if problem:
            raise ValueError(problem)
        base = os.path.basename(path)
        if kind == "rules":
            stem = re.sub(r"(\.rules)?\.ya?ml$", "", base)
            entries.append({"name": f"operator-{stem}.rules.yml", "content": text})
        elif kind == "dashboards":
            stem = re.sub(r"\.json$", "", base)
            entries.append({"name": f"dashboard-{stem}.json", "content": text, "mount": f"{mount_dir}/{stem}.json"})
        else:
            raise ValueError(f"unknown kind of files {kind!r} (rules or dashboards)")
    return entries


def dashboard_errors(paths: Any, name: str = "prometheus_grafana_dashboards") -> list[str]:
    """Why Grafana dashboard files (controller paths) are wrong: missing, not JSON, not a dashboard with a title."""
    if not isinstance(paths, list):
        return [f"{name}: must be a list of controller paths of dashboard JSON files; got {paths!r}"]
    errors = []
    for path in paths:
        text, problem = _read(path)
        if problem:
            errors.append(f"{name}: {problem}")
            continue
        if not str(path).endswith(".json"):
            errors.append(f"{name}: {path} must end with .json (Grafana's file provider reads only *.json)")
        try:
            document = json.loads(text)
        except ValueError as exc:
            errors.append(f"{name}: {path} is not JSON: {exc}")
            continue
        if not isinstance(document, dict) or not isinstance(document.get("title"), str) or not document["title"]:
            errors.append(f"{name}: {path} is not a Grafana dashboard (a JSON object with a title)")
        elif "uid" in document and not re.match(r"^[A-Za-z0-9_-]{1,40}$", str(document["uid"])):
            errors.append(f"{name}: {path}: the dashboard uid is at most 40 letters, digits, '_' or '-'")
    return errors
