#!/usr/bin/python
# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Module appstack.platform.docker_host_probe: what the docker_host role must still do, in one look."""

from __future__ import annotations

DOCUMENTATION = r"""
module: docker_host_probe
short_description: Report what a Docker host has and lacks - packages, daemon, kernel parameters, files, images
version_added: 0.2.0
description:
  - One round trip that tells the C(appstack.platform.docker_host) role what to do, so a host that needs nothing
    costs one module call - no fact gathering, no package list refresh, no mirror needed, no file written.
  - Packages are looked up with C(dpkg-query); the daemon is asked on its socket (C(/_ping)); the init system
    is systemd when C(/run/systemd/system) exists (what C(sd_booted) checks).
  - The image factory asks the same probe for the host's images of a namespace and the checksums of its extra
    CA certificates (part of the base image's hash), so a stack's image check is one round trip too.
author: appstack platform team
extends_documentation_fragment:
  - appstack.platform.host.files
  - appstack.platform.host.read_only
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
  images:
    description: Namespace whose local images to list (C(appstack) lists C(appstack/*)); empty lists none.
    type: str
    default: ""
  ca_dir:
    description: Directory whose C(*.crt) files are checksummed; empty for none.
    type: str
    default: ""
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
files_to_write:
  description: Paths of O(files) whose content, owner, group or mode differ (M(appstack.platform.prepare_host) writes them).
  returned: always
  type: list
  elements: str
images:
  description: The images of the namespace O(images), each with C(Id) and C(RepoTags).
  returned: always
  type: list
  elements: dict
ca_checksums:
  description: SHA-1 checksums of the C(*.crt) files of O(ca_dir), in name order.
  returned: always
  type: list
  elements: str
"""

import glob
import hashlib
import json
import os
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.appstack.platform.plugins.module_utils.docker_socket import DockerSocket, DockerSocketError


def _missing_packages(module: AnsibleModule, packages: list[str]) -> list[str]:
    if not packages:
        return []
    dpkg_query = module.get_bin_path("dpkg-query")
    if dpkg_query is None:
        return list(packages)
    _rc, out, _err = module.run_command([dpkg_query, "-W", "-f", "${db:Status-Abbrev} ${Package}\n", *packages])
    installed = {line.split()[1].split(":")[0] for line in out.splitlines() if line.startswith("ii ") and len(line.split()) > 1}
    return [name for name in packages if name not in installed]


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


def _files_to_write(files: list[dict]) -> list[str]:
    differ = []
    for item in files:
        try:
            info = os.stat(item["path"])
            with open(item["path"], "rb") as handle:
                same = handle.read() == item["content"].encode("utf-8")
        except OSError:
            differ.append(item["path"])
            continue
        if not same or (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) != (item["owner"], item["group"], int(item["mode"], 8)):
            differ.append(item["path"])
    return differ


def _ca_checksums(directory: str) -> list[str]:
    checksums = []
    for path in sorted(glob.glob(os.path.join(directory, "*.crt"))) if directory else []:
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                checksums.append(hashlib.sha1(handle.read()).hexdigest())  # noqa: S324 - a content fingerprint, as find reports it
    return checksums


def _images(docker: DockerSocket, namespace: str) -> list[dict]:
    if not namespace:
        return []
    listed = docker.get("/images/json", params={"filters": json.dumps({"reference": [f"{namespace}/*"]})})
    return [{"Id": image.get("Id"), "RepoTags": image.get("RepoTags") or []} for image in listed or []]


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            packages=dict(type="list", elements="str", default=[]),
            sysctls=dict(type="dict", default={}),
            files=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True), content=dict(type="str", required=True),
                owner=dict(type="int", default=0), group=dict(type="int", default=0), mode=dict(type="str", default="0644"))),
            images=dict(type="str", default=""),
            ca_dir=dict(type="str", default=""),
            socket=dict(type="path", default="/var/run/docker.sock"),
        ),
        supports_check_mode=True,
    )
    docker = DockerSocket(module.params["socket"])
    running = docker.ping()
    try:
        images = _images(docker, module.params["images"]) if running else []
    except (OSError, DockerSocketError) as exc:
        module.fail_json(msg=f"Docker on {module.params['socket']}: {exc}")
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
        docker_running=running,
        sysctls_to_set=_sysctls_to_set(module.params["sysctls"]),
        files_to_write=_files_to_write(module.params["files"]),
        images=images,
        ca_checksums=_ca_checksums(module.params["ca_dir"]),
    )


if __name__ == "__main__":
    main()
