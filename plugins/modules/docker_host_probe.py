#!/usr/bin/python
# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Module appstack.platform.docker_host_probe: what the docker_host role must still do, in one look."""

from __future__ import annotations

DOCUMENTATION = r"""
module: docker_host_probe
short_description: Report what a Docker host lacks - packages, the CLI, kernel parameters, a running daemon
version_added: 0.2.0
description:
  - One round trip that tells the C(appstack.platform.docker_host) role what to do, so a host that needs nothing
    costs one module call - no fact gathering, no package list refresh, no mirror needed.
  - Packages are looked up with C(dpkg-query); the daemon is asked on its socket (C(/_ping)); the init system
    is systemd when C(/run/systemd/system) exists (what C(sd_booted) checks).
author: appstack platform team
attributes:
  check_mode:
    support: full
    description: Only reads.
  diff_mode:
    support: none
options:
  packages:
    description: Debian packages that must be installed.
    type: list
    elements: str
    default: []
  sysctls:
    description: Kernel parameters and their wanted values.
    type: dict
    default: {}
  socket:
    description: The Docker daemon's socket.
    type: path
    default: /var/run/docker.sock
"""

EXAMPLES = r"""
- name: Look at the Docker host
  appstack.platform.docker_host_probe:
    packages: [docker.io, python3-requests]
    sysctls: {vm.overcommit_memory: 1}
  register: docker_host_state
"""

RETURN = r"""
missing_packages:
  description: Packages of O(packages) that are not installed.
  returned: always
  type: list
  elements: str
docker_cli:
  description: Whether the C(docker) command exists.
  returned: always
  type: bool
systemd:
  description: Whether systemd runs the host.
  returned: always
  type: bool
docker_enabled:
  description: Whether systemd starts C(docker.service) at boot (false without systemd).
  returned: always
  type: bool
docker_running:
  description: Whether the daemon answers on O(socket).
  returned: always
  type: bool
sysctls_to_set:
  description: Kernel parameters of O(sysctls) whose current value differs.
  returned: always
  type: list
  elements: str
"""

import os
import socket

from ansible.module_utils.basic import AnsibleModule


def _missing_packages(module: AnsibleModule, packages: list[str]) -> list[str]:
    if not packages:
        return []
    dpkg_query = module.get_bin_path("dpkg-query")
    if dpkg_query is None:
        return list(packages)
    _rc, out, _err = module.run_command([dpkg_query, "-W", "-f", "${db:Status-Abbrev} ${Package}\n", *packages])
    installed = {line.split()[1].split(":")[0] for line in out.splitlines() if line.startswith("ii ") and len(line.split()) > 1}
    return [name for name in packages if name not in installed]


def _daemon_answers(path: str) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(5)
            conn.connect(path)
            conn.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            reply = conn.recv(4096)
    except OSError:
        return False
    return reply.startswith(b"HTTP/1.") and b" 200 " in reply.split(b"\r\n", 1)[0] + b" "


def _sysctls_to_set(wanted: dict) -> list[str]:
    differ = []
    for name, value in wanted.items():
        try:
            with open("/proc/sys/" + name.replace(".", "/"), encoding="ascii") as handle:
                current = handle.read().split()
        except OSError:
            current = None
        if current != str(value).split():
            differ.append(name)
    return differ


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            packages=dict(type="list", elements="str", default=[]),
            sysctls=dict(type="dict", default={}),
            socket=dict(type="path", default="/var/run/docker.sock"),
        ),
        supports_check_mode=True,
    )
    systemd = os.path.isdir("/run/systemd/system")
    enabled = False
    systemctl = module.get_bin_path("systemctl") if systemd else None
    if systemctl:
        rc, _out, _err = module.run_command([systemctl, "is-enabled", "--quiet", "docker"])
        enabled = rc == 0
    module.exit_json(
        changed=False,
        missing_packages=_missing_packages(module, module.params["packages"]),
        docker_cli=module.get_bin_path("docker") is not None,
        systemd=systemd,
        docker_enabled=enabled,
        docker_running=_daemon_answers(module.params["socket"]),
        sysctls_to_set=_sysctls_to_set(module.params["sysctls"]),
    )


if __name__ == "__main__":
    main()
