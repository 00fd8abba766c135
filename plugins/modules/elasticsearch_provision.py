#!/usr/bin/python
# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Module appstack.platform.elasticsearch_provision: snapshot repository, index templates, indices, roles and users."""

from __future__ import annotations

DOCUMENTATION = r"""
module: elasticsearch_provision
short_description: Bring a running Elasticsearch node's repository, templates, indices, roles and users to a declared state
version_added: 0.4.0
description:
  - Talks to the node over HTTP at the container's address on the project network (from the Docker host, so prod
    needs no published port), as the C(elastic) superuser when security is on. Reads the live state, compares it with
    the declaration and sends only the requests that differ; a run that finds nothing to change reports no change.
  - "Incompatible changes are refused before any request is sent, each named: a field whose type differs from the
    live index's, a field or mapping parameter that cannot change on an existing index, a static index setting
    (C(number_of_shards), C(analysis), C(codec), ...) that differs. Declared settings, mappings and aliases are a
    subset of the live ones: what the declaration does not mention is left alone."
  - "Index templates are replaced when they differ (they shape indices created later, not existing ones); indices are
    created with their settings, mappings and aliases, or get their dynamic settings, new fields, updatable field
    parameters and aliases. Roles are replaced when they differ; users are created, their roles, full name and e-mail
    updated, and their password set when authenticating with the declared one fails. Nothing undeclared is deleted."
  - The filesystem snapshot repository is registered at its location (a volume of the container); when it must be
    registered, the volume's top directory is first given to the container's user by a one-off container of the
    same image that may only change ownership (C(CAP_CHOWN), no network).
  - Passwords travel only in request bodies and headers, never on a command line.
author: appstack platform team
extends_documentation_fragment:
  - appstack.platform.host
  - appstack.platform.record
options:
  container:
    description: Name of the running Elasticsearch container.
    type: str
    required: true
  network:
    description: Docker network whose address of the container is used (the project network); empty takes the first.
    type: str
    default: ""
  port:
    description: HTTP port inside the container.
    type: int
    default: 9200
  security:
    description: Whether security is on (requests authenticate as O(username)); off skips roles and users.
    type: bool
    default: true
  username:
    description: The superuser the module authenticates as.
    type: str
    default: elastic
  password:
    description: The superuser's password.
    type: str
    default: ""
  timeout:
    description:
      - Seconds to wait for the node to answer and accept the superuser (right after a first start Elasticsearch
        briefly refuses the bootstrap password while it stores it).
    type: int
    default: 120
  repository:
    description: The filesystem snapshot repository; omit for none.
    type: dict
    suboptions:
      name: {description: Repository name., type: str, required: true}
      location: {description: Directory inside the container (listed in C(path.repo), a mounted volume)., type: str, required: true}
      compress: {description: Compress the metadata files., type: bool, default: true}
  templates:
    description: Composable index templates.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Template name., type: str, required: true}
      index_patterns: {description: Index name patterns the template applies to., type: list, elements: str, required: true}
      priority: {description: Priority among overlapping templates., type: int, default: 200}
      composed_of: {description: Component templates., type: list, elements: str, default: []}
      settings: {description: Index settings (nested or dotted names)., type: dict, default: {}}
      mappings: {description: Mappings (C(properties) and mapping parameters)., type: dict, default: {}}
      aliases: {description: Aliases, name to definition., type: dict, default: {}}
  indices:
    description: Indices.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Index name., type: str, required: true}
      settings: {description: Index settings (nested or dotted names)., type: dict, default: {}}
      mappings: {description: Mappings., type: dict, default: {}}
      aliases: {description: Aliases, name to definition., type: dict, default: {}}
  roles:
    description: Native roles.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Role name., type: str, required: true}
      cluster: {description: Cluster privileges., type: list, elements: str, default: []}
      indices:
        description: Index privileges.
        type: list
        elements: dict
        default: []
        suboptions:
          names: {description: Index names or patterns., type: list, elements: str, required: true}
          privileges: {description: Index privileges., type: list, elements: str, required: true}
          allow_restricted_indices: {description: Whether the patterns cover restricted (system) indices., type: bool, default: false}
      run_as: {description: Users this role may act as., type: list, elements: str, default: []}
  users:
    description: Native users.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: User name., type: str, required: true}
      password: {description: Password (at least 6 characters)., type: str, required: true}
      roles: {description: Roles (declared or built-in)., type: list, elements: str, default: []}
      full_name: {description: Full name., type: str}
      email: {description: E-mail address., type: str}
  socket:
    description: The local Docker daemon's socket.
    type: path
    default: /var/run/docker.sock
"""

EXAMPLES = r"""
- name: Products index and the app's user
  appstack.platform.elasticsearch_provision:
    container: appstack-elasticsearch
    network: appstack
    password: "{{ elasticsearch_password }}"
    repository: {name: appstack, location: /usr/share/elasticsearch/snapshots}
    templates:
      - name: products
        index_patterns: [products-*]
        settings: {number_of_shards: 1, number_of_replicas: 0}
        mappings:
          properties:
            name: {type: text}
            category: {type: keyword}
            price: {type: double}
    indices:
      - name: products-v1
        aliases: {products: {is_write_index: true}}
    roles:
      - name: products_rw
        indices: [{names: [products*], privileges: [read, write, view_index_metadata]}]
    users:
      - {name: shop, password: "{{ vault_es_shop_password }}", roles: [products_rw]}
"""

RETURN = r"""
actions:
  description: What was changed, one line per change (empty when the node already matched).
  returned: always
  type: list
  elements: str
"""

import base64
import http.client
import json
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.appstack.platform.plugins.module_utils.docker_socket import DockerSocket, DockerSocketError
from ansible_collections.appstack.platform.plugins.module_utils.elasticsearch_model import (
    error_reason, field_defaults, live_index)
from ansible_collections.appstack.platform.plugins.module_utils.elasticsearch_plan import (
    ElasticsearchStateError, Request, name_in_path, plan)
from ansible_collections.appstack.platform.plugins.module_utils.host_files import RECORD_SPEC, write_record
from ansible_collections.appstack.platform.plugins.module_utils.redaction import redact

_TEMPLATE = dict(name=dict(type="str", required=True), index_patterns=dict(type="list", elements="str", required=True),
                 priority=dict(type="int", default=200), composed_of=dict(type="list", elements="str", default=[]),
                 settings=dict(type="dict", default={}), mappings=dict(type="dict", default={}),
                 aliases=dict(type="dict", default={}))
_INDEX = dict(name=dict(type="str", required=True), settings=dict(type="dict", default={}),
              mappings=dict(type="dict", default={}), aliases=dict(type="dict", default={}))
_PRIVILEGES = dict(names=dict(type="list", elements="str", required=True),
                   privileges=dict(type="list", elements="str", required=True),
                   allow_restricted_indices=dict(type="bool", default=False))
_ROLE = dict(name=dict(type="str", required=True), cluster=dict(type="list", elements="str", default=[]),
             indices=dict(type="list", elements="dict", default=[], options=_PRIVILEGES),
             run_as=dict(type="list", elements="str", default=[]))
_USER = dict(name=dict(type="str", required=True), password=dict(type="str", required=True, no_log=True),
             roles=dict(type="list", elements="str", default=[]), full_name=dict(type="str"), email=dict(type="str"))


class Node:
    """JSON over HTTP to one Elasticsearch node."""

    def __init__(self, host: str, port: int, auth: tuple[str, str] | None, timeout: float = 60):
        self.host, self.port, self.auth, self.timeout = host, port, auth, timeout

    def call(self, method: str, path: str, body: Any = None, auth: tuple[str, str] | None = None,
             timeout: float | None = None) -> tuple[int, Any]:
        """(status, decoded JSON or text) of one request; AUTH replaces the node's own credentials."""
        headers = {"Accept": "application/json"}
        credentials = auth or self.auth
        if credentials:
            token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout or self.timeout)
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        try:
            decoded = json.loads(data) if data else None
        except ValueError:
            decoded = data.decode("utf-8", errors="replace")
        return response.status, decoded


class Provisioner:
    def __init__(self, module: AnsibleModule, docker: DockerSocket):
        self.module = module
        self.params = module.params
        self.docker = docker
        self.secrets = [self.params["password"]] + [u["password"] for u in self.params["users"]]
        self.info = self._container()
        auth = (self.params["username"], self.params["password"]) if self.params["security"] else None
        self.node = Node(self._address(), self.params["port"], auth)

    def fail(self, msg: str, **extra: Any) -> None:
        """End the module with MSG, named after the container, every secret masked."""
        self.module.fail_json(msg=f"{self.params['container']}: {redact(msg, self.secrets)}", **extra)

    def _container(self) -> dict:
        info = self.docker.get("/containers/{}/json", self.params["container"])
        if not info:
            self.fail("no such container")
        if not (info.get("State") or {}).get("Running"):
            self.fail("the container is not running")
        return info

    def _address(self) -> str:
        networks = (self.info.get("NetworkSettings") or {}).get("Networks") or {}
        wanted = self.params["network"]
        candidates = [networks[wanted]] if wanted in networks else ([] if wanted else list(networks.values()))
        for entry in candidates:
            if entry.get("IPAddress"):
                return entry["IPAddress"]
        self.fail(f"the container has no address on network {wanted or '(any)'}")
        return ""

    def call(self, method: str, path: str, body: Any = None, auth: tuple[str, str] | None = None,
             timeout: float = 60, done: list[str] | None = None) -> tuple[int, Any]:
        """One request; 503 (a shard not yet available, such as the security index's right after a first
        start) and lost connections are retried until the module's ``timeout`` is over."""
        deadline = time.monotonic() + self.params["timeout"]
        while True:
            try:
                status, answer = self.node.call(method, path, body, auth=auth, timeout=timeout)
                if status != 503 or time.monotonic() >= deadline:
                    return status, answer
            except (OSError, http.client.HTTPException) as exc:
                if time.monotonic() >= deadline:
                    self.fail(f"{method} {path}: {exc}", actions=done or [])
            time.sleep(2)

    # -- reading ---------------------------------------------------------------------------------
    def get(self, path: str, missing_ok: bool = True) -> Any:
        """The decoded answer of GET PATH; None for 404 when MISSING_OK."""
        status, body = self.call("GET", path)
        if status == 404 and missing_ok:
            return None
        if status >= 300:
            self.fail(f"GET {path} answered {status}: {error_reason(body)}")
        return body

    def wait_ready(self) -> None:
        """Until the node answers and (with security) accepts the superuser, at most ``timeout`` seconds."""
        path = "/_security/_authenticate" if self.params["security"] else "/_cluster/health"
        deadline = time.monotonic() + self.params["timeout"]
        last = "no answer"
        while True:
            try:
                status, body = self.node.call("GET", path, timeout=10)
                if status == 200:
                    return
                last = f"{status}: {error_reason(body)}"
            except (OSError, http.client.HTTPException) as exc:
                last = str(exc)
            if time.monotonic() >= deadline:
                break
            time.sleep(2)
        if last.startswith("401"):
            self.fail(f"the {self.params['username']} user does not accept the declared password (elasticsearch_password) "
                      f"after {self.params['timeout']} s. Elasticsearch keeps the password it got at the first start in its "
                      "security index; to change it, set the new one with POST /_security/user/elastic/_password "
                      "(or elasticsearch-reset-password in the container) and then declare it")
        self.fail(f"no usable answer from {path} within {self.params['timeout']} s: {last}")

    def read(self) -> dict:
        params = self.params
        live: dict[str, Any] = {"templates": {}, "indices": {}, "field_defaults": {}, "roles": {}, "users": {},
                                "passwords_work": {}}
        repository = params["repository"]
        if repository:
            answer = self.get(f"/_snapshot/{name_in_path(repository['name'])}")
            live["repository"] = (answer or {}).get(repository["name"])
        for template in params["templates"]:
            answer = self.get(f"/_index_template/{name_in_path(template['name'])}")
            found = [t["index_template"] for t in (answer or {}).get("index_templates") or [] if t.get("name") == template["name"]]
            live["templates"][template["name"]] = found[0] if found else None
        for index in params["indices"]:
            name = index["name"]
            answer = self.get(f"/{name_in_path(name)}?flat_settings=true&include_defaults=true")
            if answer is None:
                live["indices"][name] = None
                continue
            if name not in answer:
                self.fail(f"{name} is an alias of {', '.join(sorted(answer))}, not an index; declare the index itself "
                          "(elasticsearch_indices) and the alias in its aliases")
            live["indices"][name] = live_index(answer, name)
            live["field_defaults"][name] = field_defaults(
                self.get(f"/{name_in_path(name)}/_mapping/field/*?include_defaults=true") or {}, name)
        if params["security"]:
            if params["roles"]:
                names = ",".join(name_in_path(r["name"]) for r in params["roles"])
                live["roles"] = self.get(f"/_security/role/{names}") or {}
            if params["users"]:
                names = ",".join(name_in_path(u["name"]) for u in params["users"])
                live["users"] = self.get(f"/_security/user/{names}") or {}
            for user in params["users"]:
                if user["name"] in live["users"]:
                    live["passwords_work"][user["name"]] = self.authenticates(user["name"], user["password"])
        return live

    def authenticates(self, name: str, password: str) -> bool:
        status, _ = self.call("GET", "/_security/_authenticate", auth=(name, password))
        return status == 200

    # -- changing -------------------------------------------------------------------------------------
    def apply(self, requests: list[Request]) -> list[str]:
        done: list[str] = []
        for request in requests:
            if request.before == "repository_owner":
                self.give_repository_to_user(request.extra["location"], done)
            status, body = self.call(request.method, request.path, request.body, timeout=120, done=done)
            if status >= 300:
                self.fail(f"{request.what} failed ({status}): {error_reason(body)}", actions=done)
            done.append(request.what)
        return done

    def give_repository_to_user(self, location: str, done: list[str]) -> None:
        """Give the volume mounted at (or above) LOCATION to the container's user, in a one-off container."""
        mounts = [m for m in self.info.get("Mounts") or []
                  if location == m.get("Destination") or location.startswith(str(m.get("Destination")).rstrip("/") + "/")]
        if not mounts:
            self.fail(f"the snapshot repository location {location} is not on a volume of the container")
        mount = max(mounts, key=lambda m: len(m["Destination"]))
        owner = str((self.info.get("Config") or {}).get("User") or "1000:1000")
        if ":" not in owner:
            owner = f"{owner}:{owner}"
        source = {"Type": "volume", "Source": mount["Name"]} if mount.get("Type") == "volume" else \
            {"Type": "bind", "Source": mount["Source"]}
        labels = {k: v for k, v in ((self.info.get("Config") or {}).get("Labels") or {}).items()
                  if k == "org.appstack.project"}
        name = f"{self.params['container']}-repository-owner"
        body = {"Image": self.info["Image"], "User": "0", "Entrypoint": ["chown"], "Cmd": [owner, "/repository"],
                "Labels": {**labels, "org.appstack.job": name}, "NetworkDisabled": True,
                "HostConfig": {"Mounts": [{**source, "Target": "/repository"}], "NetworkMode": "none",
                               "CapDrop": ["ALL"], "CapAdd": ["CHOWN"], "SecurityOpt": ["no-new-privileges:true"],
                               "Memory": 64 * 1024 * 1024, "PidsLimit": 16}}
        try:
            self._remove(name)
            created = self.docker.request("POST", "/containers/create", params={"name": name}, body=body)
            ident = created["Id"]
            try:
                self.docker.post("/containers/{}/start", ident)
                waited = self.docker.post("/containers/{}/wait", ident) or {}
                if waited.get("StatusCode") != 0:
                    self.fail(f"giving {mount['Destination']} to {owner} failed: {self.docker.logs(ident, 20)}", actions=done)
            finally:
                self._remove(ident)
        except DockerSocketError as exc:
            self.fail(f"giving {mount['Destination']} to {owner}: {exc}", actions=done)

    def _remove(self, name: str) -> None:
        try:
            # v=1: the anonymous volumes of the image's VOLUMEs go too (never a named volume)
            self.docker.request("DELETE", "/containers/{}", name, params={"force": "1", "v": "1"})
        except DockerSocketError as exc:
            if exc.status != 404:
                raise


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            container=dict(type="str", required=True),
            network=dict(type="str", default=""),
            port=dict(type="int", default=9200),
            security=dict(type="bool", default=True),
            username=dict(type="str", default="elastic"),
            password=dict(type="str", default="", no_log=True),
            timeout=dict(type="int", default=120),
            repository=dict(type="dict", options=dict(name=dict(type="str", required=True),
                                                      location=dict(type="str", required=True),
                                                      compress=dict(type="bool", default=True))),
            templates=dict(type="list", elements="dict", default=[], options=_TEMPLATE),
            indices=dict(type="list", elements="dict", default=[], options=_INDEX),
            roles=dict(type="list", elements="dict", default=[], options=_ROLE),
            users=dict(type="list", elements="dict", default=[], options=_USER),
            record=RECORD_SPEC,
            socket=dict(type="path", default="/var/run/docker.sock"),
        ),
        supports_check_mode=False,
    )
    params = module.params
    if params["security"] and not params["password"]:
        module.fail_json(msg="password is required when security is on")
    if not params["security"] and (params["roles"] or params["users"]):
        module.fail_json(msg="roles and users need security (security: true)")
    try:
        provisioner = Provisioner(module, DockerSocket(params["socket"]))
    except (OSError, DockerSocketError) as exc:
        module.fail_json(msg=f"Docker on {params['socket']}: {exc}")
    provisioner.wait_ready()
    live = provisioner.read()
    declared = {"repository": params["repository"], "templates": params["templates"], "indices": params["indices"],
                "roles": params["roles"] if params["security"] else [],
                "users": params["users"] if params["security"] else []}
    try:
        requests = plan(declared, live)
    except ElasticsearchStateError as exc:
        provisioner.fail(str(exc))
    done = provisioner.apply(requests)
    write_record(params["record"])
    module.exit_json(changed=bool(done), actions=done)


if __name__ == "__main__":
    main()
