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
  - A container counts as ready when it runs and its health check passes - Docker reports C(healthy), or, while
    Docker still reports C(starting), the module runs the container's own health-check command itself (the same
    test, as the same user) and it succeeds. Docker runs its first check only one C(interval) after the start
    (Docker 20.10 has no C(start_interval)); running the same check sooner shortens every wait by up to an
    interval without gating on anything weaker.
  - A container without a health check counts as ready once it runs.
  - A container whose health checks were just re-armed (O(containers[].fresh_since)) counts as ready only when
    Docker judged it healthy on a probe that started after that moment, and as failed when Docker judged it
    unhealthy on one - its status before that may be stale.
  - Fails at once when a container exits or restarts while waited for, and after its O(containers[].timeout)
    when it never becomes healthy; the message carries the container's last health check output and log lines,
    and RV(unhealthy) names the containers.
author: appstack platform team
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
      fresh_since:
        description:
          - Seconds since the epoch when its health checks were re-armed; only probes after it count, and Docker's
            verdict on them decides - healthy is ready, unhealthy fails at once.
          - C(0) - Docker's verdict decides whenever it gives one (a container left as it was, still starting), or the
            container's own check passing.
        type: float
  log_lines:
    description: Log lines shown for a container that is not healthy.
    type: int
    default: 40
  interval:
    description: Seconds between two looks at the containers.
    type: float
    default: 0.5
  socket:
    description: The local Docker daemon's socket.
    type: path
    default: /var/run/docker.sock
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
unhealthy:
  description: The containers that did not become healthy.
  returned: on failure
  type: list
  elements: str
said:
  description: What the last health check of each container that did not become healthy printed.
  returned: on failure
  type: dict
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.appstack.platform.plugins.module_utils.docker_socket import DockerSocket, DockerSocketError
from ansible_collections.appstack.platform.plugins.module_utils.health import fresh_result, last_output


def _status(info: dict | None, fresh_since: float | None = None) -> tuple[str, str | None]:
    """(ready | waiting | broken, why) for one inspected container."""
    if info is None:
        return "broken", "the container does not exist"
    state = info.get("State") or {}
    health = (state.get("Health") or {}).get("Status")
    if state.get("Restarting") or state.get("Status") in ("exited", "dead"):
        return "broken", f"it stopped (status {state.get('Status')}, exit code {state.get('ExitCode')})"
    if fresh_since is not None and state.get("Running"):
        verdict = fresh_result(info, fresh_since)
        if verdict is None:
            return "waiting", "its health checks were re-armed; waiting for Docker's next probe"
        return ("ready", None) if verdict else ("broken", "Docker judged it unhealthy once its health checks ran again")
    if state.get("Running") and health in (None, "healthy"):
        return "ready", None
    return "waiting", f"health status {health}"


def _check_passes(docker: DockerSocket, info: dict) -> bool:
    """Run the container's own health-check test once, as Docker would (same command, container user)."""
    healthcheck = (info.get("Config") or {}).get("Healthcheck") or {}
    test = healthcheck.get("Test") or []
    if not test or test[0] == "NONE":
        return True
    argv = list(test[1:]) if test[0] == "CMD" else ["/bin/sh", "-c", test[1]]
    limit = min((healthcheck.get("Timeout") or 30_000_000_000) / 1e9, 30)
    try:
        created = docker.post("/containers/{}/exec", info["Id"], body={
            "Cmd": argv, "AttachStdin": False, "AttachStdout": False, "AttachStderr": False, "Tty": False})
        docker.raw("POST", "/exec/{}/start", created["Id"], body={"Detach": True, "Tty": False})
        deadline = time.monotonic() + limit
        for _ in range(int(limit / 0.05) + 1):
            result = docker.get("/exec/{}/json", created["Id"]) or {}
            if not result.get("Running"):
                return result.get("ExitCode") == 0
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
    except Exception:  # noqa: BLE001 - a check that cannot run has not passed; Docker's own status still counts
        return False
    return False


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            containers=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True), timeout=dict(type="int", default=180),
                fresh_since=dict(type="float"))),
            log_lines=dict(type="int", default=40),
            interval=dict(type="float", default=0.5),
            socket=dict(type="path", default="/var/run/docker.sock"),
        ),
        supports_check_mode=True,
    )
    try:
        wait(module, DockerSocket(module.params["socket"]))
    except (OSError, DockerSocketError) as exc:
        module.fail_json(msg=f"Docker on {module.params['socket']}: {exc}")


def wait(module: AnsibleModule, docker: DockerSocket) -> None:
    """Poll every container until each is ready, one breaks or its time is up."""
    params = module.params
    wanted = {c["name"]: c["timeout"] for c in params["containers"]}
    fresh = {c["name"]: c["fresh_since"] for c in params["containers"] if c.get("fresh_since") is not None}
    start = time.monotonic()
    restarts = {name: (docker.get("/containers/{}/json", name) or {}).get("RestartCount", 0) for name in wanted}
    status: dict[str, str] = {}
    failures: dict[str, str] = {}
    said: dict[str, str] = {}
    pending = set(wanted)
    max_polls = int(max(wanted.values(), default=0) / params["interval"]) + 2
    for _ in range(max_polls):
        elapsed = time.monotonic() - start
        for name in sorted(pending):
            info = docker.get("/containers/{}/json", name)
            state, why = _status(info, fresh.get(name))
            if state == "waiting" and info and info.get("RestartCount", 0) > restarts[name]:
                state, why = "broken", f"it restarted {info['RestartCount'] - restarts[name]} time(s)"
            # Its own check passing counts, except right after a re-arm (fresh_since > 0): only Docker's new verdict does.
            if (state == "waiting" and not fresh.get(name) and info and (info.get("State") or {}).get("Running")
                    and _check_passes(docker, info)):
                state, why = "ready", "healthy (its health check passed; Docker's first scheduled check is still to come)"
            status[name] = why or "healthy"
            if state == "ready":
                pending.discard(name)
            elif state == "broken" or elapsed >= wanted[name]:
                checked = said[name] = last_output(info or {})
                failures[name] = f"{why}; its last health check said: {checked}" if checked else why
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
            f"Last {lines} log lines:\n{_logs(docker, name, lines)}"
            for name, why in sorted(failures.items())
        ]
        module.fail_json(msg="\n".join(messages), waited=waited, containers=status, unhealthy=sorted(failures), said=said)
    module.exit_json(changed=False, waited=waited, containers=status)


def _logs(docker: DockerSocket, name: str, lines: int) -> str:
    try:
        return docker.logs(name, lines)
    except (OSError, DockerSocketError) as exc:
        return f"(could not read the logs: {exc})"


if __name__ == "__main__":
    main()
