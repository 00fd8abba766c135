#!/usr/bin/python
# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Module appstack.platform.lifecycle: what the shared path does to containers besides docker_container."""

from __future__ import annotations

DOCUMENTATION = r"""
module: lifecycle
short_description: Set a container aside for a rollback, bring it back, re-arm its health checks or restart it
version_added: 0.3.0
description:
  - The container operations of the shared path (C(appstack.platform.service)) that
    M(community.docker.docker_container) has no option for, on the local daemon's API, in one round trip.
  - C(set_aside) stops a running container and renames it to C(<name>-previous) (removing an older one of that
    name), so that a new container of the same name can start and the old one can come back if the new one fails.
  - C(restore) removes the failed new container (with its anonymous volumes; named volumes are never touched),
    copies the saved configuration directories back over the live ones, renames C(<name>-previous) back and starts
    it.
  - C(discard) removes C(<name>-previous) and the saved directories once the new container is healthy.
  - C(rearm) pauses and unpauses a running container, which makes Docker run its health checks again (Docker 20.10
    stops them for containers it live-restored across a daemon restart) without restarting its process.
  - C(restart) restarts a container, unless a named volume it mounts is full - restarting a data service whose
    disk is full can lose what it acknowledged and still holds in memory; the operation then fails naming the
    volume.
  - Every operation is attempted; each reports its own outcome, and the module fails when any did.
author: appstack platform team
extends_documentation_fragment:
  - appstack.platform.host
options:
  operations:
    description: What to do, in this order.
    type: list
    elements: dict
    required: true
    suboptions:
      op:
        description: The operation.
        type: str
        required: true
        choices: [set_aside, restore, discard, rearm, restart]
      container:
        description: The container's name (its set-aside copy is C(<container>-previous)).
        type: str
        required: true
      stop_timeout:
        description: Seconds a container has to stop before it is killed (C(set_aside), C(restart)).
        type: int
        default: 30
      files:
        description: >-
          Configuration directories: C(restore) copies each C(saved) one that exists over its C(live) directory and
          removes it; C(discard) removes each C(saved) one.
        type: list
        elements: dict
        default: []
        suboptions:
          saved: {description: The copy kept of the last good directory., type: path, required: true}
          live: {description: The directory the container mounts., type: path, required: true}
  socket:
    description: The local Docker daemon's socket.
    type: path
    default: /var/run/docker.sock
"""

EXAMPLES = r"""
- name: Set PostgreSQL aside before its new container starts
  appstack.platform.lifecycle:
    operations:
      - {op: set_aside, container: appstack-postgres, stop_timeout: 30}
"""

RETURN = r"""
results:
  description: Per operation, in order - C(op), C(container), C(ok), C(msg) and C(at) (when it was done, seconds since the epoch).
  returned: always
  type: list
  elements: dict
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.appstack.platform.plugins.module_utils.docker_socket import DockerSocket, DockerSocketError
from ansible_collections.appstack.platform.plugins.module_utils.host_files import mirror, remove_tree

PREVIOUS = "-previous"
#: A volume counts as full below 1 % free, at most 256 MiB (a large disk still has room at 1 %).
FULL_SHARE = 0.01
FULL_BYTES = 256 * 1024 * 1024


def full_volumes(info: dict) -> list[str]:
    """The named volumes of an inspected container whose file system is full, with what is left."""
    found = []
    for mount in info.get("Mounts") or []:
        if mount.get("Type") != "volume" or not mount.get("Source"):
            continue
        try:
            fs = os.statvfs(mount["Source"])
        except OSError:
            continue
        size, free = fs.f_blocks * fs.f_frsize, fs.f_bavail * fs.f_frsize
        if size and free < min(size * FULL_SHARE, FULL_BYTES):
            found.append(f"{mount.get('Name')} ({free // 1024} KiB free of {size // 1048576} MiB, at {mount.get('Destination')})")
    return found


class Lifecycle:
    """The operations, on one daemon."""

    def __init__(self, docker: DockerSocket):
        self.docker = docker

    def _remove(self, name: str) -> None:
        if self.docker.get("/containers/{}/json", name) is not None:
            self.docker.raw("DELETE", "/containers/{}", name, params={"force": "1", "v": "1"})

    def set_aside(self, op: dict) -> str:
        name = op["container"]
        self._remove(name + PREVIOUS)
        self.docker.raw("POST", "/containers/{}/stop", name, params={"t": str(op["stop_timeout"])})
        try:
            self.docker.raw("POST", "/containers/{}/rename", name, params={"name": name + PREVIOUS})
        except DockerSocketError:
            # Not set aside: it serves again as it was.
            self.docker.raw("POST", "/containers/{}/start", name)
            raise
        return f"stopped and renamed to {name}{PREVIOUS}"

    def restore(self, op: dict) -> str:
        name = op["container"]
        if self.docker.get("/containers/{}/json", name + PREVIOUS) is None:
            raise RuntimeError(f"{name}{PREVIOUS} is gone; nothing to bring back")
        self._remove(name)
        for pair in op["files"]:
            # Only what was saved: no copy means the files did not change with the failed container.
            if os.path.isdir(pair["saved"]):
                mirror(pair["saved"], pair["live"])
                remove_tree(pair["saved"])
        self.docker.raw("POST", "/containers/{}/rename", name + PREVIOUS, params={"name": name})
        self.docker.raw("POST", "/containers/{}/start", name)
        return "the previous container and its files are back and started"

    def discard(self, op: dict) -> str:
        self._remove(op["container"] + PREVIOUS)
        for pair in op["files"]:
            remove_tree(pair["saved"])
        return "the previous container and files removed"

    def rearm(self, op: dict) -> str:
        name = op["container"]
        self.docker.raw("POST", "/containers/{}/pause", name)
        self.docker.raw("POST", "/containers/{}/unpause", name)
        return "health checks re-armed (paused and unpaused)"

    def restart(self, op: dict) -> str:
        name = op["container"]
        info = self.docker.get("/containers/{}/json", name)
        if info is None:
            raise RuntimeError("it does not exist")
        full = full_volumes(info)
        if full:
            raise RuntimeError(f"not restarted: its volume {', '.join(full)} is full; a restart could lose what it holds "
                               "in memory. Free space there, then run again")
        self.docker.raw("POST", "/containers/{}/restart", name, params={"t": str(op["stop_timeout"])})
        return "restarted"


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            operations=dict(type="list", elements="dict", required=True, options=dict(
                op=dict(type="str", required=True, choices=["set_aside", "restore", "discard", "rearm", "restart"]),
                container=dict(type="str", required=True),
                stop_timeout=dict(type="int", default=30),
                files=dict(type="list", elements="dict", default=[], options=dict(
                    saved=dict(type="path", required=True), live=dict(type="path", required=True))))),
            socket=dict(type="path", default="/var/run/docker.sock"),
        ),
        supports_check_mode=False,
    )
    lifecycle = Lifecycle(DockerSocket(module.params["socket"], timeout=300))
    results = []
    for op in module.params["operations"]:
        at = time.time()
        try:
            msg, ok = getattr(lifecycle, op["op"])(op), True
        except (OSError, DockerSocketError, RuntimeError) as exc:
            msg, ok = str(exc), False
        results.append({"op": op["op"], "container": op["container"], "ok": ok, "msg": msg, "at": at})
    failed = [r for r in results if not r["ok"]]
    if failed:
        module.fail_json(msg="; ".join(f"{r['container']}: {r['op']} failed: {r['msg']}" for r in failed),
                         changed=len(failed) < len(results), results=results)
    module.exit_json(changed=bool(results), results=results)


if __name__ == "__main__":
    main()
