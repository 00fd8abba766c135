# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""What must change on a MinIO server: the declaration against its state (appstack.platform.minio_provision).

:func:`plan` compares the declared policies, buckets, users and service accounts with the answers of
the reading session (read by minio_model) and turns only the differences into mc commands. What
cannot change on an existing bucket (object locking) is refused before any command runs.
"""

from __future__ import annotations

import json
from typing import Any

from ansible_collections.appstack.platform.plugins.module_utils.exec_session import Command
from ansible_collections.appstack.platform.plugins.module_utils.minio_commands import ALIAS
from ansible_collections.appstack.platform.plugins.module_utils.minio_model import (
    MinioStateError, answer, answer_json, canonical_lifecycle, canonical_policy, credentials_work, error_text,
    first_json, json_lines)
from ansible_collections.appstack.platform.plugins.module_utils.sizes import parse_size


# -- the declaration --------------------------------------------------------------------------------
def lifecycle_document(rules: list[dict]) -> dict:
    """The declared lifecycle rules as the S3 lifecycle configuration ``mc ilm rule import`` reads."""
    out = []
    for index, rule in enumerate(rules or []):
        entry: dict[str, Any] = {"ID": rule.get("id") or f"rule-{index + 1}", "Status": "Enabled"}
        if rule.get("prefix"):
            entry["Filter"] = {"Prefix": rule["prefix"]}
        if rule.get("expire_days"):
            entry["Expiration"] = {"Days": int(rule["expire_days"])}
        if rule.get("noncurrent_expire_days"):
            entry["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(rule["noncurrent_expire_days"])}
        out.append(entry)
    return {"Rules": out}


def quota_bytes(value: Any) -> int:
    """A declared quota (size such as 10GiB or 500m, empty for none) in bytes; 0 is no quota."""
    if value in (None, "", 0, "0"):
        return 0
    size = parse_size(value)
    if size is None:
        raise MinioStateError(f"quota {value!r} is not a size (e.g. 500m, 10GiB)")
    return size


# -- planning ---------------------------------------------------------------------------------------
def plan(buckets: list[dict], policies: dict, users: list[dict], state: dict[str, tuple[int, str]]) -> list[Command]:
    """The mc commands that bring the server from STATE (the reading session's answers) to the declaration."""
    changes: list[Command] = []
    changes += _policy_changes(policies, state)
    changes += _bucket_changes(buckets, state)
    changes += _user_changes(users, policies, state)
    return changes


def _policy_changes(policies: dict, state: dict) -> list[Command]:
    """Create the declared policies that are missing, replace those whose canonical form differs."""
    changes = []
    for number, name in enumerate(sorted(policies)):
        code, text = answer(state, f"policy.{number}")
        wanted = canonical_policy(policies[name])
        if code == 0:
            stored = ((first_json(text).get("policyInfo") or {}).get("Policy"))
            if stored is not None and canonical_policy(stored) == wanted:
                continue
        elif "XMinioAdminNoSuchPolicy" not in text and "does not exist" not in text:
            raise MinioStateError(f"cannot read policy {name}: {error_text(text)}")
        changes.append(Command(f"policy-create.{number}", ["mc", "admin", "policy", "create", ALIAS, name, "/dev/stdin"],
                               stdin=wanted, what=f"policy {name}: {'updated' if code == 0 else 'created'}"))
    return changes


def _existing_buckets(state: dict) -> set[str]:
    code, text = answer(state, "buckets")
    if code != 0:
        raise MinioStateError(f"cannot list buckets: {error_text(text)}")
    return {entry.get("key", "").rstrip("/") for entry in json_lines(text) if entry.get("status") == "success"}


def _bucket_changes(buckets: list[dict], state: dict) -> list[Command]:
    """Each declared bucket created, or its versioning, anonymous access, lifecycle rules and quota set."""
    existing = _existing_buckets(state) if buckets else set()
    changes = []
    for number, bucket in enumerate(buckets):
        path = f"{ALIAS}/{bucket['name']}"
        if bucket["name"] in existing:
            live = _live_bucket(number, bucket, state)
            changes += _versioning_changes(number, bucket, path, live["versioning"])
        else:
            changes += _new_bucket(number, bucket, path)
            live = {"anonymous": "private", "rules": [], "quota": 0}
        changes += _settings_changes(number, bucket, path, live)
    return changes


def _live_bucket(number: int, bucket: dict, state: dict) -> dict:
    """An existing bucket's versioning status, anonymous access, lifecycle rules and quota.

    MinioStateError when its object locking is not the declared one: that is chosen at creation only.
    """
    name = bucket["name"]
    lock = bool(bucket.get("object_lock"))
    info = answer_json(state, f"stat.{number}", f"bucket {name}")
    has_lock = (info.get("ObjectLock") or {}).get("enabled") == "Enabled"
    if has_lock != lock:
        raise MinioStateError(
            f"bucket {name} exists {'with' if has_lock else 'without'} object locking and is declared "
            f"object_lock: {str(lock).lower()}; object locking is chosen only when a bucket is created "
            "(create a new bucket and copy the objects over)")
    return {"versioning": (info.get("Versioning") or {}).get("status") or "",
            "rules": canonical_lifecycle((info.get("ilm") or {}).get("config")),
            "anonymous": answer_json(state, f"anonymous.{number}", f"the anonymous access of {name}").get("permission")
            or "private",
            "quota": int(answer_json(state, f"quota.{number}", f"the quota of {name}").get("quota") or 0)}


def _versioning(bucket: dict) -> bool:
    """Whether a bucket is declared versioned (object locking needs versioning)."""
    return bool(bucket.get("versioning")) or bool(bucket.get("object_lock"))


def _new_bucket(number: int, bucket: dict, path: str) -> list[Command]:
    name = bucket["name"]
    lock = bool(bucket.get("object_lock"))
    changes = [Command(f"mb.{number}", ["mc", "mb", *(["--with-lock"] if lock else []), path],
                       what=f"bucket {name}: created{' with object locking' if lock else ''}")]
    if _versioning(bucket) and not lock:
        changes.append(Command(f"version.{number}", ["mc", "version", "enable", path],
                               what=f"bucket {name}: versioning enabled"))
    return changes


def _versioning_changes(number: int, bucket: dict, path: str, status: str) -> list[Command]:
    name = bucket["name"]
    if _versioning(bucket) and status != "Enabled":
        return [Command(f"version.{number}", ["mc", "version", "enable", path], what=f"bucket {name}: versioning enabled")]
    if not _versioning(bucket) and status == "Enabled":
        return [Command(f"version.{number}", ["mc", "version", "suspend", path],
                        what=f"bucket {name}: versioning suspended")]
    return []


def _settings_changes(number: int, bucket: dict, path: str, live: dict) -> list[Command]:
    """Anonymous access, lifecycle rules and quota of a bucket where they differ from LIVE."""
    name = bucket["name"]
    changes = []
    anonymous = bucket.get("anonymous") or "none"
    if live["anonymous"] != ("private" if anonymous == "none" else anonymous):
        changes.append(Command(f"anonymous.{number}", ["mc", "anonymous", "set", anonymous, path],
                               what=f"bucket {name}: anonymous access {anonymous} (was {live['anonymous']})"))
    rules = lifecycle_document(bucket.get("lifecycle") or [])
    if canonical_lifecycle(rules) != live["rules"]:
        if rules["Rules"]:
            changes.append(Command(f"ilm.{number}", ["mc", "ilm", "rule", "import", path], stdin=json.dumps(rules),
                                   what=f"bucket {name}: lifecycle rules set"))
        else:
            changes.append(Command(f"ilm.{number}", ["mc", "ilm", "rule", "rm", "--all", "--force", path],
                                   what=f"bucket {name}: lifecycle rules removed"))
    quota = quota_bytes(bucket.get("quota"))
    if quota != live["quota"]:
        argv = ["mc", "quota", "set", path, "--size", str(quota)] if quota else ["mc", "quota", "clear", path]
        changes.append(Command(f"quota.{number}", argv,
                               what=f"bucket {name}: quota {quota or 'none'} (was {live['quota'] or 'none'})"))
    return changes


def _user_changes(users: list[dict], policies: dict, state: dict) -> list[Command]:
    """Each declared user created or its secret and status set, its policies attached and detached to match."""
    if not users:
        return []
    code, text = answer(state, "users")
    if code != 0:
        raise MinioStateError(f"cannot list users: {error_text(text)}")
    known = {entry.get("accessKey"): entry for entry in json_lines(text) if entry.get("accessKey")}
    changes = []
    for number, user in enumerate(users):
        current = known.get(user["name"])
        changes += _credential_changes(number, user, current, state)
        changes += _policy_attachments(number, user["name"], current, set(user.get("policies") or []))
        for index, account in enumerate(user.get("service_accounts") or []):
            changes += _service_account_changes(f"{number}.{index}", user["name"], account, policies, state)
    return changes


def _credential_changes(number: int, user: dict, current: dict | None, state: dict) -> list[Command]:
    """Add a missing user; set the secret key again when it fails (the read secret.<number>), enable a disabled user."""
    name = user["name"]
    enabled = current is not None and current.get("userStatus") == "enabled"
    if enabled and credentials_work(answer(state, f"secret.{number}")):
        return []
    changes = [Command(f"user.{number}", ["mc", "admin", "user", "add", ALIAS, name], stdin=user["secret_key"],
                       what=f"user {name}: {'created' if current is None else 'secret key or status set'}")]
    if current is not None and not enabled:
        changes.append(Command(f"enable.{number}", ["mc", "admin", "user", "enable", ALIAS, name],
                               what=f"user {name}: enabled"))
    return changes


def _policy_attachments(number: int, name: str, current: dict | None, wanted: set[str]) -> list[Command]:
    attached = {p for p in (current or {}).get("policyName", "").split(",") if p}
    changes = []
    if wanted - attached:
        changes.append(Command(f"attach.{number}", ["mc", "admin", "policy", "attach", ALIAS,
                                                    *sorted(wanted - attached), "--user", name],
                               what=f"user {name}: attached {', '.join(sorted(wanted - attached))}"))
    if attached - wanted:
        changes.append(Command(f"detach.{number}", ["mc", "admin", "policy", "detach", ALIAS,
                                                    *sorted(attached - wanted), "--user", name],
                               what=f"user {name}: detached {', '.join(sorted(attached - wanted))}"))
    return changes


def _service_account_changes(key: str, parent: str, account: dict, policies: dict, state: dict) -> list[Command]:
    """A service account that differs in any way (parent, policy, secret, status) is removed and added again."""
    access_key = account["access_key"]
    code, text = answer(state, f"svcacct.{key}")
    policy = account.get("policy")
    if policy and policy not in policies:
        raise MinioStateError(f"service account {access_key}: policy {policy} is not among the declared policies")
    wanted_policy = canonical_policy(policies[policy]) if policy else None
    exists = code == 0
    if exists:
        info = first_json(text)
        stored = None if info.get("impliedPolicy") else canonical_policy(info.get("policy") or {})
        same = (info.get("parentUser") == parent and stored == wanted_policy
                and info.get("accountStatus") in ("on", "enabled")
                and credentials_work(answer(state, f"svcsecret.{key}")))
        if same:
            return []
    elif not any(marker in text for marker in ("does not exist", "not found", "XMinioInvalidIAMCredentials")):
        raise MinioStateError(f"cannot read service account {access_key}: {error_text(text)}")
    changes = []
    if exists:
        changes.append(Command(f"svcacct-rm.{key}", ["mc", "admin", "user", "svcacct", "rm", ALIAS, access_key],
                               what=f"service account {access_key}: removed to be added again"))
    argv = ["mc", "admin", "user", "svcacct", "add", ALIAS, parent, "--access-key", access_key,
            "--secret-key", account["secret_key"]]
    if wanted_policy:
        argv += ["--policy", "/dev/stdin"]
    changes.append(Command(f"svcacct-add.{key}", argv, stdin=wanted_policy,
                           what=f"service account {access_key} of {parent}: {'re-created' if exists else 'created'}"))
    return changes
