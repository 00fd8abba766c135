#!/usr/bin/python
# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Module appstack.platform.postgres_provision: apply roles, databases and grants inside the PostgreSQL container."""

from __future__ import annotations

DOCUMENTATION = r"""
module: postgres_provision
short_description: Apply a provisioning script in a running PostgreSQL container, sending passwords only as SCRAM verifiers
version_added: 0.2.0
description:
  - Reads the current password verifiers of the roles named in O(passwords), keeps each one that already matches
    its password (so a re-run changes nothing) and makes a new SCRAM-SHA-256 verifier otherwise.
  - Runs O(script) with C(psql) over the container's socket as O(superuser) (peer authentication, no host port),
    with each verifier in the psql variable C(verifier_<role>); clear-text passwords never reach the server.
  - Reports a change when the script prints C(APPSTACK_CHANGED) (it compares catalog fingerprints before and after).
author: appstack platform team
attributes:
  check_mode:
    support: none
  diff_mode:
    support: none
options:
  container:
    description: Name of the running PostgreSQL container.
    type: str
    required: true
  user:
    description: OS user (uid) the commands run as inside the container.
    type: str
    default: "999"
  superuser:
    description: The PostgreSQL superuser.
    type: str
    default: postgres
  script:
    description: The SQL script (psql syntax); it refers to verifiers as C(:'verifier_<role>').
    type: str
    required: true
  passwords:
    description: Clear-text password of each role the script sets a password for.
    type: dict
    default: {}
  record:
    description:
      - A file written (0600, root) once the script succeeded - how the deploy remembers which inputs it
        applied, so a run with the same inputs can leave the server alone (see C(appstack.platform.service)).
    type: dict
    suboptions:
      path: {description: Absolute path on the Docker host., type: path, required: true}
      content: {description: What it holds (a hash of the inputs)., type: str, required: true}
"""

EXAMPLES = r"""
- name: Provision roles and databases
  appstack.platform.postgres_provision:
    container: appstack-postgres
    script: "ALTER ROLE postgres PASSWORD :'verifier_postgres';"
    passwords:
      postgres: "{{ postgres_superuser_password }}"
"""

RETURN = r"""
stdout:
  description: What psql printed.
  returned: always
  type: str
"""

import json
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.appstack.platform.plugins.module_utils.host_files import atomic_write
from ansible_collections.appstack.platform.plugins.module_utils.scram import scram_sha256

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            container=dict(type="str", required=True),
            user=dict(type="str", default="999"),
            superuser=dict(type="str", default="postgres"),
            script=dict(type="str", required=True),
            passwords=dict(type="dict", default={}, no_log=True),
            record=dict(type="dict", options=dict(path=dict(type="path", required=True),
                                                  content=dict(type="str", required=True))),
        ),
        supports_check_mode=False,
    )
    params = module.params
    bad = [name for name in params["passwords"] if not _ROLE_NAME.match(name)]
    if bad:
        module.fail_json(msg=f"role names must be lower-case SQL identifiers: {bad}")
    docker = module.get_bin_path("docker", required=True)
    exec_psql = [docker, "exec", "-i", "-u", params["user"], params["container"], "psql", "-X", "-U", params["superuser"], "-d", "postgres"]

    names = ", ".join(f"'{name}'" for name in params["passwords"]) or "NULL"
    query = f"SELECT coalesce(json_object_agg(rolname, rolpassword), '{{}}') FROM pg_authid WHERE rolname IN ({names})"
    rc, out, err = module.run_command(exec_psql + ["-Atq", "-c", query])
    if rc != 0:
        module.fail_json(msg=f"could not read the password verifiers in {params['container']}: {err.strip()}", rc=rc)
    current = json.loads(out.strip() or "{}")

    header = "".join(
        f"\\set verifier_{name} '{scram_sha256(password, current.get(name))}'\n"
        for name, password in params["passwords"].items())
    rc, out, err = module.run_command(exec_psql + ["-q", "-v", "ON_ERROR_STOP=1", "-f", "-"], data=header + params["script"])
    if rc != 0:
        module.fail_json(msg=f"provisioning failed in {params['container']}: {err.strip()}", rc=rc, stdout=out)
    if params["record"]:
        atomic_write(params["record"]["path"], params["record"]["content"].encode())
    module.exit_json(changed="APPSTACK_CHANGED" in out, stdout=out)


if __name__ == "__main__":
    main()
