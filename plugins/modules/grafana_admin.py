#!/usr/bin/python
# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Module appstack.platform.grafana_admin: keep Grafana's admin password what the inventory says, through its API."""

from __future__ import annotations

DOCUMENTATION = r"""
module: grafana_admin
short_description: Apply a changed Grafana admin password through Grafana's HTTP API, with the old one
version_added: 0.4.0
description:
  - Grafana reads its admin password from C(GF_SECURITY_ADMIN_PASSWORD__FILE) only when it creates its database;
    after that, changing the secret file changes nothing. This step (a post-start step of
    C(appstack.platform.prometheus_grafana)) logs in with O(password); when Grafana refuses it, it logs in with the
    password last applied (kept in O(state_file)) or one of O(previous_passwords), changes the password with
    C(PUT /api/user/password) - which needs the old one - and proves the change by logging in with the new one.
  - Reaches Grafana on the project network from the Docker host (the container's address on O(network)), so no
    port needs publishing; O(url) overrides that.
  - Reports a change only when the password was changed.
author: appstack platform team
extends_documentation_fragment:
  - appstack.platform.host
options:
  container:
    description: Name of the running Grafana container (its address on O(network) is used).
    type: str
  network:
    description: The project network the container is on.
    type: str
  port:
    description: Grafana's HTTP port in the container.
    type: int
    default: 3000
  path:
    description: The sub path Grafana is served from (C(serve_from_sub_path)), such as C(/grafana); empty for none.
    type: str
    default: ""
  url:
    description: Grafana's base URL (with the sub path) instead of O(container) and O(network).
    type: str
  user:
    description: The admin's login.
    type: str
    default: admin
  password:
    description: The admin password Grafana must have.
    type: str
    required: true
  previous_passwords:
    description: Passwords Grafana may still hold (older ones the operator knows), tried after the one last applied.
    type: list
    elements: str
    default: []
  state_file:
    description: Host file (0600, root) holding the password last applied, the old one of the next rotation.
    type: path
    required: true
  timeout:
    description: Seconds to wait for C(/api/health) to report the database ok.
    type: int
    default: 120
  record:
    description:
      - A file written (0600, root) once the step succeeded - how the deploy remembers which inputs it applied.
    type: dict
    suboptions:
      path: {description: Absolute path on the Docker host., type: path, required: true}
      content: {description: What it holds (a hash of the inputs)., type: str, required: true}
"""

EXAMPLES = r"""
- name: Apply the admin password
  appstack.platform.grafana_admin:
    container: appstack-grafana
    network: appstack
    path: /grafana
    password: "{{ prometheus_grafana_admin_password }}"
    state_file: /etc/appstack/appstack-grafana/state/admin-password
"""

RETURN = r"""
url:
  description: The base URL the step used.
  returned: success
  type: str
msg:
  description: What was done.
  returned: always
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.appstack.platform.plugins.module_utils.docker_socket import DockerSocket, DockerSocketError
from ansible_collections.appstack.platform.plugins.module_utils.grafana_admin import GrafanaAPI, GrafanaError, rotate
from ansible_collections.appstack.platform.plugins.module_utils.host_files import atomic_write


def _base_url(module: AnsibleModule) -> str:
    params = module.params
    if params["url"]:
        return params["url"]
    if not params["container"] or not params["network"]:
        module.fail_json(msg="grafana_admin needs url, or container and network")
    try:
        info = DockerSocket().get("/containers/{}/json", params["container"])
    except (DockerSocketError, OSError) as exc:
        module.fail_json(msg=f"cannot inspect {params['container']}: {exc}")
    if not info:
        module.fail_json(msg=f"container {params['container']} does not exist")
    address = (((info.get("NetworkSettings") or {}).get("Networks") or {}).get(params["network"]) or {}).get("IPAddress")
    if not address:
        module.fail_json(msg=f"container {params['container']} has no address on network {params['network']}")
    return f"http://{address}:{params['port']}{params['path'].rstrip('/')}"


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            container=dict(type="str"),
            network=dict(type="str"),
            port=dict(type="int", default=3000),
            path=dict(type="str", default=""),
            url=dict(type="str"),
            user=dict(type="str", default="admin"),
            password=dict(type="str", required=True, no_log=True),
            previous_passwords=dict(type="list", elements="str", default=[], no_log=True),
            state_file=dict(type="path", required=True),
            timeout=dict(type="int", default=120),
            record=dict(type="dict", options=dict(path=dict(type="path", required=True),
                                                  content=dict(type="str", required=True))),
        ),
        supports_check_mode=False,
    )
    params = module.params
    base = _base_url(module)
    applied = ""
    if os.path.isfile(params["state_file"]):
        with open(params["state_file"], encoding="utf-8") as handle:
            applied = handle.read()
    api = GrafanaAPI(base)
    try:
        api.wait_healthy(params["timeout"])
        outcome = rotate(api, params["user"], params["password"], [applied] + list(params["previous_passwords"]))
    except GrafanaError as exc:
        module.fail_json(msg=str(exc), url=base)
    if applied != params["password"]:
        atomic_write(params["state_file"], params["password"].encode())
    if params["record"]:
        atomic_write(params["record"]["path"], params["record"]["content"].encode())
    module.exit_json(changed=outcome["changed"], msg=outcome["msg"], url=base)


if __name__ == "__main__":
    main()
