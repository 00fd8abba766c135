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
  - Makes each role's SCRAM-SHA-256 verifier from its password with a salt derived under a random
    per-deployment key (O(salt_key), created on first use, 0600), so the same password gives the same verifier
    on every run and the server needs no look first; the verifier changes when the password does.
  - Runs O(script) with C(psql) over the container's socket as O(superuser) (peer authentication, no host port),
    in one session, with each verifier in the psql variable C(verifier_<role>); clear-text passwords never
    reach the server.
  - Reports a change when the script prints C(APPSTACK_CHANGED) (it compares catalog fingerprints before and after).
author: appstack platform team
extends_documentation_fragment:
  - appstack.platform.host
  - appstack.platform.record
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
  salt_key:
    description: Host file holding the key the salts are derived with; created (random, 0600, root) when missing.
    type: path
    required: true
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

import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.appstack.platform.plugins.module_utils.exec_session import docker_exec
from ansible_collections.appstack.platform.plugins.module_utils.host_files import RECORD_SPEC, atomic_write, write_record
from ansible_collections.appstack.platform.plugins.module_utils.redaction import redact
from ansible_collections.appstack.platform.plugins.module_utils.scram import new_key, role_verifier

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            container=dict(type="str", required=True),
            user=dict(type="str", default="999"),
            superuser=dict(type="str", default="postgres"),
            script=dict(type="str", required=True),
            passwords=dict(type="dict", default={}, no_log=True),
            salt_key=dict(type="path", required=True, no_log=False),
            record=RECORD_SPEC,
        ),
        supports_check_mode=False,
    )
    params = module.params
    bad = [name for name in params["passwords"] if not _ROLE_NAME.match(name)]
    if bad:
        module.fail_json(msg=f"role names must be lower-case SQL identifiers: {bad}")
    try:
        with open(params["salt_key"], "rb") as handle:
            key = handle.read()
    except FileNotFoundError:
        key = new_key()
        atomic_write(params["salt_key"], key)
    verifiers = {name: role_verifier(key, name, password) for name, password in params["passwords"].items()}
    header = "".join(f"\\set verifier_{name} '{verifier}'\n" for name, verifier in verifiers.items())
    rc, out, err = docker_exec(module, params["container"], params["user"],
                               ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-U", params["superuser"], "-d", "postgres",
                                "-f", "-"], header + params["script"], binary_data=False)
    if rc != 0:
        # psql's error context quotes the failing statement (LINE 1: ...), a verifier included: masked like the passwords.
        secrets = [*params["passwords"].values(), *verifiers.values()]
        module.fail_json(msg=f"provisioning failed in {params['container']}: {redact(err.strip(), secrets)}", rc=rc,
                         stdout=redact(out, secrets))
    write_record(params["record"])
    module.exit_json(changed="APPSTACK_CHANGED" in out, stdout=out)


if __name__ == "__main__":
    main()
