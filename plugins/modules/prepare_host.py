#!/usr/bin/python
# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Module appstack.platform.prepare_host: files, secrets, network and volumes on the Docker host in one round trip."""

from __future__ import annotations

DOCUMENTATION = r"""
module: prepare_host
short_description: Write files and secrets, prune stale ones, and create the network and volumes containers need
version_added: 0.2.0
description:
  - Everything a container reads from the Docker host, in one round trip - directories, configuration files,
    secrets, the project network and named volumes - so that a run that changes nothing costs one module call.
  - Files are written atomically (a temporary file renamed into place) and only when their content, owner or mode
    differ; missing parent directories are created (root, 0755). Files in O(prune) directories that are not
    listed are removed.
  - Networks and volumes are created when missing and never changed or removed (a volume holds data).
  - Reports the state of O(containers) and the ids of O(images) in the same round trip, so a deploy can tell
    which containers need M(community.docker.docker_container) at all. A running container whose health checks
    Docker stopped running (after a daemon restart, Docker 20.10) is reported with health C(stale), not with the
    status Docker froze.
  - O(snapshots) copies directories before anything is written (the last good configuration of a container,
    kept until its new container is healthy).
  - The Docker API is used only when O(networks), O(volumes), O(containers) or O(images) are given.
author: appstack platform team
extends_documentation_fragment:
  - appstack.platform.host.files
attributes:
  check_mode:
    support: full
    description: Reports what would change without changing anything.
  diff_mode:
    support: partial
    description: Shows the changes of O(files); secrets are never shown.
options:
  socket:
    description: The local Docker daemon's socket.
    type: path
    default: /var/run/docker.sock
  directories:
    description: Directories to create, with owner, group and mode.
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: Absolute path., type: path, required: true}
      owner: {description: Owner uid., type: int, default: 0}
      group: {description: Group gid., type: int, default: 0}
      mode: {description: Octal mode as a string., type: str, default: "0755"}
  secret_files:
    description: Like O(files) (the same keys; mode defaults to C(0600)), but their content never appears in output, logs or diffs.
    type: list
    elements: dict
    default: []
  prune:
    description: Directories in which every entry not listed in O(directories), O(files) or O(secret_files) is removed.
    type: list
    elements: path
    default: []
  networks:
    description: Bridge networks to create when missing.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Network name., type: str, required: true}
      labels: {description: Labels at creation., type: dict, default: {}}
  volumes:
    description: Named volumes to create when missing.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Volume name., type: str, required: true}
      labels: {description: Labels at creation., type: dict, default: {}}
  compare_dirs:
    description:
      - Pairs of directories compared by their files' names and contents - the files of O(files) and
        O(secret_files) staged for the next configuration, and the live directory - reported in RV(dirs_differ)
        by the live path.
    type: list
    elements: dict
    default: []
    suboptions:
      staged: {description: The staged directory., type: path, required: true}
      live: {description: The live directory., type: path, required: true}
  records:
    description:
      - Files compared but not written - the caller writes them (as O(files)) once the work they record has
        succeeded, for example the hash of a post-start step's inputs.
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: Absolute path., type: path, required: true}
      content: {description: The content it should have., type: str, required: true}
  snapshots:
    description: Directories copied (files, owners, modes) over their O(snapshots[].target) before any file is written.
    type: list
    elements: dict
    default: []
    suboptions:
      source: {description: The directory to copy., type: path, required: true}
      target: {description: Where the copy goes (replaced)., type: path, required: true}
      keep_existing: {description: Leave a target that exists as it is (an older copy that still counts)., type: bool, default: false}
  containers:
    description: Containers to report on (after the files are written), so the caller can tell which need work.
    type: list
    elements: str
    default: []
  images:
    description: Image references to report the ids of.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Write the Docker daemon configuration
  appstack.platform.prepare_host:
    files:
      - path: /etc/docker/daemon.json
        content: "{{ lookup('ansible.builtin.template', 'daemon.json.j2') }}"
"""

RETURN = r"""
changed_paths:
  description: Files and directories written or removed (or that would be, in check mode).
  returned: always
  type: list
  elements: str
created:
  description: Networks and volumes created, as C(network/<name>) and C(volume/<name>).
  returned: always
  type: list
  elements: str
containers:
  description: >-
    Per container of O(containers) that exists - C(id), C(image) (its image id), C(running), C(restarting),
    C(health) (C(healthy), C(unhealthy), C(starting), C(stale) or null without a health check), C(health_output)
    (what its last health probe printed when unhealthy or stale) and C(labels).
  returned: always
  type: dict
images:
  description: Image id per reference of O(images) that exists locally.
  returned: always
  type: dict
previous:
  description: Containers of O(containers) with a copy set aside for a rollback (C(<name>-previous)) still there.
  returned: always
  type: list
  elements: str
dirs_differ:
  description: Live paths of O(compare_dirs) whose files differ from the staged ones (after this run's writes).
  returned: always
  type: list
  elements: str
records_differ:
  description: Paths of O(records) whose file is missing or holds other content.
  returned: always
  type: list
  elements: str
"""

import json
import os
import shutil
import stat
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.appstack.platform.plugins.module_utils.docker_socket import DockerSocket, DockerSocketError
from ansible_collections.appstack.platform.plugins.module_utils.health import daemon_started, health, last_output
from ansible_collections.appstack.platform.plugins.module_utils.host_files import atomic_write, mirror
from ansible_collections.appstack.platform.plugins.module_utils.redaction import redact, redact_data

_FILE_OPTIONS = dict(
    path=dict(type="path", required=True),
    content=dict(type="str", required=True),
    owner=dict(type="int", default=0),
    group=dict(type="int", default=0),
    mode=dict(type="str", default="0644"),
    diff_against=dict(type="path"),
)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _dir_contents(path: str) -> dict[str, bytes]:
    if not os.path.isdir(path):
        return {}
    return {name: _read(os.path.join(path, name)) or b"" for name in sorted(os.listdir(path))
            if os.path.isfile(os.path.join(path, name))}


def _dirs_differ(params: dict) -> list[str]:
    """Live directories whose files differ from what is staged for them (what is written, even in check mode)."""
    wanted: dict[str, dict[str, bytes]] = {}
    for item in params["files"] + params["secret_files"]:
        directory, name = os.path.split(item["path"])
        wanted.setdefault(directory, {})[name] = item["content"].encode("utf-8")
    return [pair["live"] for pair in params["compare_dirs"]
            if wanted.get(pair["staged"], {}) != _dir_contents(pair["live"])]


def _needs_attributes(path: str, owner: int, group: int, mode: int) -> bool:
    info = os.lstat(path)
    return (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) != (owner, group, mode)


class HostPreparer:
    """Applies the module's parameters, remembering what changed."""

    def __init__(self, module: AnsibleModule):
        self.module = module
        self.check = module.check_mode
        self.changed: list[str] = []
        self.created: list[str] = []
        self.diffs: list[dict] = []
        self._client = None

    def client(self) -> DockerSocket:
        """The local daemon's API (docker_host writes files before Docker runs, so only when needed)."""
        if self._client is None:
            self._client = DockerSocket(self.module.params["socket"])
        return self._client

    def report(self, containers: list[str], images: list[str]) -> tuple[dict, dict, list[str]]:
        """The state of CONTAINERS, the ids of IMAGES, and which CONTAINERS have a copy set aside, as they are now."""
        states = {}
        now, daemon_start = time.time(), daemon_started()
        previous = set()
        if containers:
            listed = self.client().get("/containers/json", params={"all": "1", "filters": json.dumps({"name": ["-previous"]})})
            previous = {name.lstrip("/") for item in listed or [] for name in item.get("Names") or []}
        for name in containers:
            info = self.client().get("/containers/{}/json", name)
            if info:
                state = info.get("State") or {}
                status = health(info, now, daemon_start)
                states[name] = {"id": info.get("Id"), "image": info.get("Image"), "running": bool(state.get("Running")),
                                "restarting": bool(state.get("Restarting")), "health": status,
                                "health_output": last_output(info) if status in ("unhealthy", "stale") else "",
                                "labels": (info.get("Config") or {}).get("Labels") or {}}
        ids = {}
        for ref in images:
            image = self.client().get("/images/{}/json", ref)
            if image:
                ids[ref] = image.get("Id")
        return states, ids, sorted(name for name in containers if f"{name}-previous" in previous)

    def directory(self, item: dict) -> None:
        path, mode = item["path"], int(item["mode"], 8)
        if not os.path.isdir(path):
            self.changed.append(path)
            if not self.check:
                os.makedirs(path, exist_ok=True)
        elif _needs_attributes(path, item["owner"], item["group"], mode):
            self.changed.append(path)
        else:
            return
        if not self.check:
            os.chown(path, item["owner"], item["group"])
            os.chmod(path, mode)

    def file(self, item: dict, secret: bool) -> None:
        path, mode = item["path"], int(item["mode"], 8)
        wanted = item["content"].encode("utf-8")
        current = _read(path)
        if current == wanted:
            if not _needs_attributes(path, item["owner"], item["group"], mode):
                return
            self.changed.append(path)
            if not self.check:
                os.chown(path, item["owner"], item["group"])
                os.chmod(path, mode)
            return
        self.changed.append(path)
        if self.module._diff and not secret:
            before = _read(item["diff_against"]) if item.get("diff_against") else current
            self.diffs.append({"before_header": item.get("diff_against") or path, "after_header": path,
                               "before": (before or b"").decode("utf-8", errors="replace"), "after": item["content"]})
        if self.check:
            return
        atomic_write(path, wanted, item["owner"], item["group"], mode)

    def prune(self, directory: str, keep: set[str]) -> None:
        if not os.path.isdir(directory):
            return
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if path in keep:
                continue
            self.changed.append(path)
            if not self.check:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)

    def docker_resources(self, networks: list[dict], volumes: list[dict]) -> None:
        client = self.client()
        for network in networks:
            if client.get("/networks/{}", network["name"]) is None:
                self.created.append(f"network/{network['name']}")
                if not self.check:
                    client.post("/networks/create", body={
                        "Name": network["name"], "Driver": "bridge", "CheckDuplicate": True,
                        "Labels": {str(k): str(v) for k, v in network["labels"].items()}})
        for volume in volumes:
            if client.get("/volumes/{}", volume["name"]) is None:
                self.created.append(f"volume/{volume['name']}")
                if not self.check:
                    client.post("/volumes/create", body={
                        "Name": volume["name"], "Labels": {str(k): str(v) for k, v in volume["labels"].items()}})


def main() -> None:
    secret_options = dict(_FILE_OPTIONS, content=dict(type="str", required=True, no_log=True), mode=dict(type="str", default="0600"))
    module = AnsibleModule(
        argument_spec=dict(
            socket=dict(type="path", default="/var/run/docker.sock"),
            directories=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True), owner=dict(type="int", default=0),
                group=dict(type="int", default=0), mode=dict(type="str", default="0755"))),
            files=dict(type="list", elements="dict", default=[], options=_FILE_OPTIONS),
            secret_files=dict(type="list", elements="dict", default=[], options=secret_options, no_log=False),
            prune=dict(type="list", elements="path", default=[]),
            networks=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True), labels=dict(type="dict", default={}))),
            volumes=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True), labels=dict(type="dict", default={}))),
            snapshots=dict(type="list", elements="dict", default=[], options=dict(
                source=dict(type="path", required=True), target=dict(type="path", required=True),
                keep_existing=dict(type="bool", default=False))),
            compare_dirs=dict(type="list", elements="dict", default=[], options=dict(
                staged=dict(type="path", required=True), live=dict(type="path", required=True))),
            records=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True), content=dict(type="str", required=True))),
            containers=dict(type="list", elements="str", default=[]),
            images=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    host = HostPreparer(module)
    try:
        for item in module.params["snapshots"]:
            if item["keep_existing"] and os.path.isdir(item["target"]):
                continue
            host.changed.append(item["target"])
            if not module.check_mode:
                mirror(item["source"], item["target"])
        for item in module.params["directories"]:
            host.directory(item)
        for item in module.params["files"]:
            host.file(item, secret=False)
        for item in module.params["secret_files"]:
            host.file(item, secret=True)
        keep = {item["path"] for item in module.params["files"] + module.params["secret_files"] + module.params["directories"]}
        for directory in module.params["prune"]:
            host.prune(directory, keep)
    except OSError as exc:
        module.fail_json(msg=f"could not prepare {exc.filename or 'the host'}: {exc.strerror or exc}",
                         changed_paths=host.changed)
    try:
        if module.params["networks"] or module.params["volumes"]:
            host.docker_resources(module.params["networks"], module.params["volumes"])
        states, ids, previous = host.report(module.params["containers"], module.params["images"])
    except (OSError, DockerSocketError) as exc:
        module.fail_json(msg=f"Docker on {module.params['socket']}: {exc}", changed_paths=host.changed, created=host.created)
    result = {"changed": bool(host.changed or host.created), "changed_paths": host.changed, "created": host.created,
              "containers": states, "images": ids, "previous": previous,
              "records_differ": [r["path"] for r in module.params["records"] if _read(r["path"]) != r["content"].encode("utf-8")],
              "dirs_differ": _dirs_differ(module.params)}
    if host.diffs:
        result["diff"] = host.diffs
    exit_unmasked(module, result, masked=("diff",))


def exit_unmasked(module: AnsibleModule, result: dict, masked: tuple[str, ...]) -> None:
    """Return RESULT with its identifiers as they are; only the MASKED keys (and health output) hide the secrets.

    Ansible masks every occurrence of a no_log value's text in a module's result: a short secret (an access key
    such as 'app') garbled the returned paths and names ('/etc/********stack/...'), so that the caller found no
    container, no changed directory and no record it asked about. Paths, names, image ids and labels hold no secret;
    what could (a file's diff, what a health check printed) is masked here, and the arguments - the secrets'
    contents - are not returned at all.
    """
    secrets = set(module.no_log_values)
    for key in masked:
        if key in result:
            result[key] = redact_data(result[key], secrets)
    for state in (result.get("containers") or {}).values():
        state["health_output"] = redact(state.get("health_output") or "", secrets)
    module.no_log_values = set()
    module.exit_json(invocation={"module_args": "not returned: the arguments hold secrets"}, **result)


if __name__ == "__main__":
    main()
