#!/usr/bin/python
# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Documentation of the appstack.platform.job action (the code is plugins/action/job.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: job
short_description: Run a one-off container of a service image to completion (backup, restore, migration)
version_added: 0.2.0
description:
  - Runs O(job) on the project network with the hardening of services (no-new-privileges, all capabilities
    dropped, memory and pids limits), waits for it to exit, removes it and fails with its output when it exits
    non-zero.
author: appstack platform team
extends_documentation_fragment:
  - appstack.platform.host
options:
  job:
    description: What runs.
    type: dict
    required: true
    suboptions:
      name: {description: Container name., type: str, required: true}
      image: {description: Image catalog name., type: str, required: true}
      image_tag: {description: Image tag., type: str}
      image_ref:
        description: A full image reference outside the catalog (a team's app image), which the caller provided; overrides O(job.image).
        type: str
      pull: {description: With O(job.image_ref), pull the image when it is missing., type: bool, default: false}
      uid: {description: User id., type: int}
      gid: {description: Group id (defaults to uid)., type: int}
      entrypoint: {description: Entrypoint., type: list, elements: str}
      command: {description: Command., type: list, elements: str, required: true}
      env: {description: Environment., type: dict}
      volumes: {description: Named volumes (name) or host directories (path) with a mount path., type: list, elements: dict}
      secrets_from: {description: Container whose secrets directory is mounted read-only at C(/run/secrets)., type: str}
      cap_add: {description: Capabilities the job needs (all others dropped)., type: list, elements: str}
      network_mode:
        description: C(container:<name>) to share another container's network namespace instead of the project network.
        type: str
      etc_hosts: {description: Names resolved to addresses in the job's C(/etc/hosts)., type: dict}
      memory: {description: Memory limit., type: str}
      no_log: {description: Hide the job's output., type: bool}
"""

EXAMPLES = r"""
- name: Dump the app database
  appstack.platform.job:
    job:
      name: appstack-postgres-backup
      image: postgres
      uid: 999
      command: [pg_dump, -Fc, -d, app, -f, /backup/app.dump]
      secrets_from: appstack-postgres
      volumes: [{path: /var/backups/appstack, mount: /backup}]
"""

RETURN = r"""
output:
  description: What the job printed (hidden when O(job.no_log)).
  returned: always
  type: str
"""
