#!/usr/bin/python
# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Module appstack.platform.wait_healthy: wait for several containers' health at once."""

from __future__ import annotations

DOCUMENTATION = r"""
module: wait_healthy
short_description: Wait until containers are healthy, all at once, and fail with the last log lines of any that is not
version_added: 0.2.0
description:
  - Polls Docker's health status of every listed container together, so the waits of services that start side by
    side overlap instead of adding up.
  - A container counts as ready when it runs and its health check reports C(healthy) (or it has no health check).
  - Fails at once when a container exits or restarts while waited for, and after its O(containers[].timeout)
    when it never becomes healthy; the message carries the container's last log lines.
author: appstack platform team
extends_documentation_fragment:
  - community.docker.docker.api_documentation
attributes:
  check_mode:
    support: full
    description: Waits in check mode too (nothing changes).
  diff_mode:
    support: none
options:
  containers:
    description: Containers to wait for.
    type: list
    elements: dict
    required: true
    suboptions:
      name: {description: Container name., type: str, required: true}
      timeout: {description: Seconds to wait for this container., type: int, default: 180}
  log_lines:
    description: Log lines shown for a container that is not healthy.
    type: int
    default: 40
  interval:
    description: Seconds between two looks at the containers.
    type: float
    default: 0.5
"""

EXAMPLES = r"""
- name: Wait for the data services
  appstack.platform.wait_healthy:
    containers:
      - {name: appstack-postgres, timeout: 180}
      - {name: appstack-redis, timeout: 120}
"""

RETURN = r"""
waited:
  description: Seconds waited.
  returned: always
  type: float
containers:
  description: Health status per container when the wait ended.
  returned: always
  type: dict
"""

import time

from ansible_collections.community.docker.plugins.module_utils.common_api import AnsibleDockerClient
from ansible_collections.appstack.platform.plugins.module_utils.docker_api import container_logs, inspect_container


def _status(info: dict | None) -> tuple[str, str | None]:
    """(ready | waiting | broken, why) for one inspected container."""
    if info is None:
        return "broken", "the container does not exist"
    state = info.get("State") or {}
    health = (state.get("Health") or {}).get("Status")
    if state.get("Restarting") or state.get("Status") in ("exited", "dead"):
        return "broken", f"it stopped (status {state.get('Status')}, exit code {state.get('ExitCode')})"
    if state.get("Running") and health in (None, "healthy"):
        return "ready", None
    return "waiting", f"health status {health}"


def main() -> None:
    client = AnsibleDockerClient(
        argument_spec=dict(
            containers=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True), timeout=dict(type="int", default=180))),
            log_lines=dict(type="int", default=40),
            interval=dict(type="float", default=0.5),
        ),
        supports_check_mode=True,
    )
    params = client.module.params
    wanted = {c["name"]: c["timeout"] for c in params["containers"]}
    start = time.monotonic()
    restarts = {name: (inspect_container(client, name) or {}).get("RestartCount", 0) for name in wanted}
    status: dict[str, str] = {}
    failures: dict[str, str] = {}
    pending = set(wanted)
    max_polls = int(max(wanted.values(), default=0) / params["interval"]) + 2
    for _ in range(max_polls):
        elapsed = time.monotonic() - start
        for name in sorted(pending):
            info = inspect_container(client, name)
            state, why = _status(info)
            if state == "waiting" and info and info.get("RestartCount", 0) > restarts[name]:
                state, why = "broken", f"it restarted {info['RestartCount'] - restarts[name]} time(s)"
            status[name] = why or "healthy"
            if state == "ready":
                pending.discard(name)
            elif state == "broken" or elapsed >= wanted[name]:
                failures[name] = why
        if failures or not pending:
            break
        time.sleep(params["interval"])
    else:
        failures.update({name: status.get(name, "not seen") for name in pending})
    waited = round(time.monotonic() - start, 2)
    if failures:
        lines = params["log_lines"]
        messages = [
            f"{name} failed to start or to become healthy within {wanted[name]}s: {why}\n"
            f"Last {lines} log lines:\n{container_logs(client, name, lines)}"
            for name, why in sorted(failures.items())
        ]
        client.fail("\n".join(messages), waited=waited, containers=status)
    client.module.exit_json(changed=False, waited=waited, containers=status)


if __name__ == "__main__":
    main()
