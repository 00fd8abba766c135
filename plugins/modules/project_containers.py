#!/usr/bin/python
# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Module appstack.platform.project_containers: a project's containers with a health that is never stale."""

from __future__ import annotations

DOCUMENTATION = r"""
module: project_containers
short_description: List a project's containers with their state and a health status that tells stale apart
version_added: 0.3.0
description:
  - Every container labelled C(org.appstack.project=<project>), running or not, as C(docker compose ps) would list
    it, in one round trip.
  - Its health is Docker's status - C(healthy), C(unhealthy), C(starting) - or C(stale) when Docker stopped running
    the container's health checks (Docker 20.10 does so for every container it live-restores across a daemon
    restart, and then reports the last status forever); C(-) for a container without a health check.
author: appstack platform team
extends_documentation_fragment:
  - appstack.platform.host.read_only
options:
  project:
    description: The project (the C(org.appstack.project) label).
    type: str
    required: true
  socket:
    description: The local Docker daemon's socket.
    type: path
    default: /var/run/docker.sock
"""

EXAMPLES = r"""
- name: List the stack's containers
  appstack.platform.project_containers:
    project: appstack
  register: status_host
"""

RETURN = r"""
containers:
  description: >-
    One entry per container - C(name), C(image), C(state) (running, exited, ...), C(health), C(uptime) (as
    C(docker ps) says it), C(ports) (published, as C(127.0.0.1:5432->5432/tcp)), C(labels) and C(health_output) (what its
    last health probe printed, when unhealthy or stale).
  returned: always
  type: list
  elements: dict
"""

import json
import re
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.appstack.platform.plugins.module_utils.docker_socket import DockerSocket, DockerSocketError
from ansible_collections.appstack.platform.plugins.module_utils.health import daemon_started, health, last_output


_HEALTH_SUFFIX = re.compile(r"\s*\((healthy|unhealthy|health: starting)\)\s*$")


def _ports(info: dict) -> list[str]:
    """Published ports as Docker prints them (``127.0.0.1:5432->5432/tcp``)."""
    return sorted({f"{host.get('HostIp') or '0.0.0.0'}:{host['HostPort']}->{port}"
                   for port, hosts in ((info.get("NetworkSettings") or {}).get("Ports") or {}).items()
                   for host in hosts or [] if host.get("HostPort")})


def describe(info: dict, listed: dict, now: float, daemon_start: float | None) -> dict:
    """One container as the status table shows it (INFO: inspected; LISTED: its entry in Docker's list)."""
    state = info.get("State") or {}
    status = health(info, now, daemon_start) if state.get("Running") else None
    return {
        "name": str(info.get("Name", "")).lstrip("/"),
        "image": (info.get("Config") or {}).get("Image", ""),
        "state": state.get("Status", "?"),
        "health": status or "-",
        "uptime": _HEALTH_SUFFIX.sub("", str(listed.get("Status") or "")),
        "ports": _ports(info),
        "labels": (info.get("Config") or {}).get("Labels") or {},
        "health_output": last_output(info) if status in ("unhealthy", "stale") else "",
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(project=dict(type="str", required=True), socket=dict(type="path", default="/var/run/docker.sock")),
        supports_check_mode=True,
    )
    docker = DockerSocket(module.params["socket"])
    try:
        listed = docker.get("/containers/json", params={
            "all": "1", "filters": json.dumps({"label": [f"org.appstack.project={module.params['project']}"]})}) or []
        now, daemon_start = time.time(), daemon_started()
        found = [describe(info, item, now, daemon_start) for item, info in
                 ((item, docker.get("/containers/{}/json", item["Id"])) for item in listed) if info]
    except (OSError, DockerSocketError) as exc:
        module.fail_json(msg=f"Docker on {module.params['socket']}: {exc}")
    module.exit_json(changed=False, containers=sorted(found, key=lambda c: c["name"]))


if __name__ == "__main__":
    main()
