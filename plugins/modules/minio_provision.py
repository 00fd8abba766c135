#!/usr/bin/python
# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Module appstack.platform.minio_provision: buckets, policies, users and service accounts of a running MinIO."""

from __future__ import annotations

DOCUMENTATION = r"""
module: minio_provision
short_description: Bring a running MinIO server's buckets, policies, users and service accounts to a declared state
version_added: 0.3.0
description:
  - Reads the server's state with C(mc ... --json) in one shell session inside the server container (C(docker exec),
    over the container's loopback, so prod needs no host port), compares it with the declaration and runs only the
    differences with C(mc) in a second session. A run that finds nothing to change reports no change and changes
    nothing.
  - "Buckets: created (with object locking when declared; locking cannot be added or removed later, which fails
    naming the bucket), versioning enabled or suspended, anonymous access (C(none), C(download), C(upload),
    C(public)), lifecycle rules (the whole configuration replaced when it differs) and a hard quota. Buckets that
    are not declared are left alone; declared ones are never deleted."
  - "Custom policies (JSON documents) are created or replaced when their canonical form differs; users are created,
    their secret key reset when a signed request with the declared one fails, their policies attached and detached
    to match. Service accounts that differ in parent, policy, status or secret are removed and added again.
    Undeclared users and service accounts are left alone."
  - Secrets reach mc through the session's standard input, not the command line, except a service account's secret
    key, which C(mc admin user svcacct add) takes only as a flag.
author: appstack platform team
extends_documentation_fragment:
  - appstack.platform.host
  - appstack.platform.record
options:
  container:
    description: Name of the running MinIO container (its image carries C(mc), as the official one does).
    type: str
    required: true
  user:
    description: OS user (uid) mc runs as inside the container.
    type: str
    default: "1000"
  endpoint:
    description: The S3 API as seen from inside the container.
    type: str
    default: http://127.0.0.1:9000
  config_dir:
    description: mc's configuration directory inside the container (a writable path, for example on a tmpfs).
    type: str
    default: /tmp/.mc
  root_user:
    description: The root user (access key).
    type: str
    required: true
  root_password:
    description: The root password (secret key).
    type: str
    required: true
  buckets:
    description: Buckets and their settings.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Bucket name (DNS-compatible)., type: str, required: true}
      versioning: {description: Keep object versions (always on with object locking)., type: bool, default: false}
      object_lock: {description: Object locking, chosen only when the bucket is created., type: bool, default: false}
      anonymous:
        description: Access without credentials.
        type: str
        choices: [none, download, upload, public]
        default: none
      lifecycle:
        description: Lifecycle rules; the server's whole lifecycle configuration is replaced when it differs.
        type: list
        elements: dict
        default: []
        suboptions:
          id: {description: Rule ID (default C(rule-<position>))., type: str}
          prefix: {description: Only objects under this prefix., type: str, default: ""}
          expire_days: {description: Current objects expire after this many days., type: int}
          noncurrent_expire_days: {description: Noncurrent versions expire after this many days., type: int}
      quota: {description: Hard quota (a size such as C(10GiB) or C(500m)); empty for none., type: str, default: ""}
  policies:
    description: Custom policies, name to IAM policy document (a dict or JSON text).
    type: dict
    default: {}
  users:
    description: Users (never removed by this module).
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Access key of the user., type: str, required: true}
      secret_key: {description: Secret key, 8 to 40 characters., type: str, required: true}
      policies:
        description: Canned (C(readonly), C(readwrite), C(writeonly), C(diagnostics), C(consoleAdmin)) or custom policy names.
        type: list
        elements: str
        default: []
      service_accounts:
        description: Service accounts (access keys) of this user.
        type: list
        elements: dict
        default: []
        suboptions:
          access_key: {description: Access key., type: str, required: true}
          secret_key: {description: Secret key, 8 to 40 characters., type: str, required: true}
          policy: {description: A custom policy of O(policies) restricting the account; empty inherits the user's., type: str}
"""

EXAMPLES = r"""
- name: Buckets and the app's user
  appstack.platform.minio_provision:
    container: appstack-minio
    root_user: appstack-admin
    root_password: "{{ minio_root_password }}"
    buckets:
      - name: user-uploads
        versioning: true
        lifecycle: [{noncurrent_expire_days: 7}]
        quota: 10GiB
    policies:
      app-uploads:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: ["s3:GetObject", "s3:PutObject"], Resource: ["arn:aws:s3:::user-uploads/*"]}
    users:
      - name: app
        secret_key: "{{ vault_minio_app_secret }}"
        policies: [app-uploads]
"""

RETURN = r"""
actions:
  description: What was changed, one line per change (empty when the server already matched).
  returned: always
  type: list
  elements: str
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.appstack.platform.plugins.module_utils import exec_session
from ansible_collections.appstack.platform.plugins.module_utils.host_files import RECORD_SPEC, write_record
from ansible_collections.appstack.platform.plugins.module_utils.minio_commands import read_commands, session
from ansible_collections.appstack.platform.plugins.module_utils.minio_model import MinioStateError, error_text
from ansible_collections.appstack.platform.plugins.module_utils.minio_plan import plan

_LIFECYCLE = dict(id=dict(type="str"), prefix=dict(type="str", default=""), expire_days=dict(type="int"),
                  noncurrent_expire_days=dict(type="int"))
_BUCKET = dict(name=dict(type="str", required=True), versioning=dict(type="bool", default=False),
               object_lock=dict(type="bool", default=False),
               anonymous=dict(type="str", default="none", choices=["none", "download", "upload", "public"]),
               lifecycle=dict(type="list", elements="dict", default=[], options=_LIFECYCLE),
               quota=dict(type="str", default=""))
_ACCOUNT = dict(access_key=dict(type="str", required=True, no_log=False),
                secret_key=dict(type="str", required=True, no_log=True), policy=dict(type="str"))
_USER = dict(name=dict(type="str", required=True), secret_key=dict(type="str", required=True, no_log=True),
             policies=dict(type="list", elements="str", default=[]),
             service_accounts=dict(type="list", elements="dict", default=[], options=_ACCOUNT))


def provision(module: AnsibleModule) -> list[str]:
    """Read the server's state, plan the differences and run them: what was changed."""
    params = module.params
    users: list[dict[str, Any]] = params["users"]
    login = (params["endpoint"], params["root_user"], params["root_password"], params["config_dir"])
    reads = session(read_commands(params["endpoint"], params["buckets"], params["policies"], users), "reading", *login)
    state = exec_session.run(module, params["container"], params["user"], reads, error_text)
    changes = plan(params["buckets"], params["policies"], users, state)
    if not changes:
        return []
    return exec_session.apply(module, params["container"], params["user"], session(changes, "provisioning", *login),
                              error_text)


def secrets(params: dict) -> list[str]:
    """The root password and every declared secret key."""
    users = params["users"]
    return [params["root_password"]] + [u["secret_key"] for u in users] + [
        a["secret_key"] for u in users for a in u.get("service_accounts") or []]


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            container=dict(type="str", required=True),
            user=dict(type="str", default="1000"),
            endpoint=dict(type="str", default="http://127.0.0.1:9000"),
            config_dir=dict(type="str", default="/tmp/.mc"),
            root_user=dict(type="str", required=True, no_log=False),
            root_password=dict(type="str", required=True, no_log=True),
            buckets=dict(type="list", elements="dict", default=[], options=_BUCKET),
            policies=dict(type="dict", default={}),
            users=dict(type="list", elements="dict", default=[], options=_USER),
            record=RECORD_SPEC,
        ),
        supports_check_mode=False,
    )
    params = module.params
    done: list[str] = []
    try:
        done = provision(module)
    except (exec_session.SessionError, MinioStateError, ValueError) as exc:
        exec_session.fail(module, params["container"], exc, secrets(params))
    write_record(params["record"])
    module.exit_json(changed=bool(done), actions=done)


if __name__ == "__main__":
    main()
