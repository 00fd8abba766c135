# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""MinIO's declared state against its actual state, as mc commands (appstack.platform.minio_provision).

The module reads the server's state with ``mc ... --json`` in one shell session inside the server
container (:func:`read_commands`), compares it with what the role declares and turns only the
differences into mc commands (:func:`plan`), run in a second session. Secrets reach mc through
the session's standard input (here-documents, ``MC_HOST_<alias>`` variables of one command), not
through the command line - except a service account's secret key, which ``mc admin user svcacct
add`` takes only as a flag (it is on the command line inside the container while that command runs).
"""

from __future__ import annotations

import json
import re
import secrets
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ansible_collections.appstack.platform.plugins.module_utils.sizes import parse_size

#: The policies every MinIO server has built in.
CANNED_POLICIES = ("readonly", "readwrite", "writeonly", "diagnostics", "consoleAdmin")
#: The mc alias of the root credentials inside the provisioning session.
ALIAS = "appstack"
#: mc answers for a request whose credentials are wrong (unknown key, wrong secret).
_BAD_CREDENTIALS = ("SignatureDoesNotMatch", "InvalidAccessKeyId", "XMinioInvalidIAMCredentials", "InvalidToken")
_MARK = "@@APPSTACK-MC@@"


class MinioStateError(Exception):
    """The server cannot be brought to the declared state (for example object locking on an existing bucket)."""


@dataclass
class Command:
    """One mc call: its arguments, optional standard input and optional one-command environment."""

    key: str
    argv: list[str]
    stdin: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    what: str = ""


def alias_url(endpoint: str, access_key: str, secret_key: str) -> str:
    """An ``MC_HOST_<alias>`` value: the endpoint with URL-quoted credentials."""
    scheme, _, rest = endpoint.partition("://")
    return f"{scheme}://{quote(access_key, safe='')}:{quote(secret_key, safe='')}@{rest}"


def script(commands: list[Command], endpoint: str, root_user: str, root_password: str, config_dir: str) -> str:
    """A POSIX shell script running COMMANDS one after another, each followed by a marker line with its exit code."""
    lines = [f"export MC_CONFIG_DIR={shlex.quote(config_dir)}",
             f"export MC_HOST_{ALIAS}={shlex.quote(alias_url(endpoint, root_user, root_password))}"]
    for command in commands:
        env = " ".join(f"{name}={shlex.quote(value)}" for name, value in command.env.items())
        call = " ".join(shlex.quote(arg) for arg in command.argv)
        line = f"{env} {call} 2>&1".strip()
        if command.stdin is None:
            lines.append(f"{line} </dev/null")
        else:
            delimiter = f"APPSTACK_EOF_{secrets.token_hex(8)}"
            lines.append(f"{line} <<'{delimiter}'\n{command.stdin.rstrip(chr(10))}\n{delimiter}")
        lines.append(f'echo "{_MARK} {command.key} $?"')
    return "\n".join(lines) + "\n"


def parse(output: str) -> dict[str, tuple[int, str]]:
    """The output of :func:`script`: command key -> (exit code, what it printed)."""
    results: dict[str, tuple[int, str]] = {}
    chunk: list[str] = []
    for line in output.splitlines():
        if line.startswith(_MARK + " "):
            _, key, code = line.rsplit(" ", 2)
            results[key.strip()] = (int(code), "\n".join(chunk))
            chunk = []
        else:
            chunk.append(line)
    return results


def json_lines(text: str) -> list[dict]:
    """The JSON objects mc --json printed, one per line (other lines ignored)."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
    return found


def first_json(text: str) -> dict:
    """The first JSON object of an mc answer (``{}`` when there is none)."""
    objects = json_lines(text)
    if objects:
        return objects[0]
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def error_text(text: str) -> str:
    """mc's error message (with its cause) from a --json answer, else the text itself."""
    data = first_json(text)
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        cause = (error.get("cause") or {}).get("message") or ""
        return f"{error.get('message', '')} {cause}".strip()
    return text.strip()


# -- normal forms ----------------------------------------------------------------------------------
def canonical_policy(document: Any) -> str:
    """A policy document as canonical JSON, so a declared and a stored policy compare equal.

    MinIO stores Action and Resource as lists; single strings, ordering and a missing Version
    therefore must not count as differences.
    """
    if isinstance(document, str):
        document = json.loads(document)
    document = dict(document or {})
    statements = document.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    normal = []
    for statement in statements:
        entry = {}
        for key, value in dict(statement).items():
            if key in ("Action", "NotAction", "Resource", "NotResource"):
                value = sorted([value] if isinstance(value, str) else list(value))
            elif key == "Principal" and isinstance(value, dict):
                value = {k: sorted([v] if isinstance(v, str) else list(v)) for k, v in value.items()}
            if key == "Sid" and not value:
                continue
            entry[key] = value
        normal.append(entry)
    normal.sort(key=lambda s: json.dumps(s, sort_keys=True))
    return json.dumps({"Version": document.get("Version") or "2012-10-17", "Statement": normal}, sort_keys=True)


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


def canonical_lifecycle(config: Any) -> list[tuple]:
    """Lifecycle rules (declared as :func:`lifecycle_document` or read back from the server) in a comparable form."""
    rules = (config or {}).get("Rules") or [] if isinstance(config, dict) else []
    normal = []
    for rule in rules:
        rule_filter = rule.get("Filter") or {}
        prefix = rule_filter.get("Prefix") or rule.get("Prefix") or ""
        extra = {k: v for k, v in rule_filter.items() if k != "Prefix" and v}
        expiration = (rule.get("Expiration") or {}).get("Days") or 0
        noncurrent = (rule.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays") or 0
        others = sorted(k for k, v in rule.items()
                        if v and k not in ("ID", "Status", "Filter", "Prefix", "Expiration", "NoncurrentVersionExpiration"))
        normal.append((rule.get("ID") or "", rule.get("Status") or "", prefix, int(expiration), int(noncurrent),
                       json.dumps(extra, sort_keys=True), tuple(others)))
    return sorted(normal)


def quota_bytes(value: Any) -> int:
    """A declared quota (size such as 10GiB or 500m, empty for none) in bytes; 0 is no quota."""
    if value in (None, "", 0, "0"):
        return 0
    size = parse_size(value)
    if size is None:
        raise MinioStateError(f"quota {value!r} is not a size (e.g. 500m, 10GiB)")
    return size


# -- reading ----------------------------------------------------------------------------------------
def read_commands(endpoint: str, buckets: list[dict], policies: dict, users: list[dict]) -> list[Command]:
    """Everything the comparison needs, read in one session."""
    target = f"{ALIAS}/"
    commands = [Command("buckets", ["mc", "ls", "--json", ALIAS])]
    for number, bucket in enumerate(buckets):
        name = bucket["name"]
        commands += [Command(f"stat.{number}", ["mc", "stat", "--json", target + name]),
                     Command(f"anonymous.{number}", ["mc", "anonymous", "get", "--json", target + name]),
                     Command(f"quota.{number}", ["mc", "quota", "info", "--json", target + name])]
    for number, name in enumerate(sorted(policies)):
        commands.append(Command(f"policy.{number}", ["mc", "admin", "policy", "info", "--json", ALIAS, name]))
    if users:
        commands.append(Command("users", ["mc", "admin", "user", "list", "--json", ALIAS]))
    for number, user in enumerate(users):
        commands.append(_secret_check(f"secret.{number}", endpoint, user["name"], user["secret_key"]))
        for index, account in enumerate(user.get("service_accounts") or []):
            key = f"{number}.{index}"
            commands += [Command(f"svcacct.{key}", ["mc", "admin", "user", "svcacct", "info", "--json", ALIAS,
                                                    account["access_key"]]),
                         _secret_check(f"svcsecret.{key}", endpoint, account["access_key"], account["secret_key"])]
    return commands


def _secret_check(key: str, endpoint: str, access_key: str, secret_key: str) -> Command:
    """A signed request (list buckets) with these credentials: wrong ones fail with a credentials error."""
    return Command(key, ["mc", "ls", "--json", "appstackcheck"],
                   env={"MC_HOST_appstackcheck": alias_url(endpoint, access_key, secret_key)})


def credentials_work(result: tuple[int, str]) -> bool:
    """Whether a :func:`_secret_check` was accepted (success or AccessDenied, not a credentials error)."""
    code, text = result
    return code == 0 or not any(marker in text for marker in _BAD_CREDENTIALS)


# -- planning ---------------------------------------------------------------------------------------
def plan(buckets: list[dict], policies: dict, users: list[dict], state: dict[str, tuple[int, str]]) -> list[Command]:
    """The mc commands that bring the server from STATE (the answers to :func:`read_commands`) to the declaration."""
    changes: list[Command] = []
    changes += _policy_changes(policies, state)
    changes += _bucket_changes(buckets, state)
    changes += _user_changes(users, policies, state)
    return changes


def _require(state: dict, key: str) -> tuple[int, str]:
    if key not in state:
        raise MinioStateError(f"no answer to the state query {key!r} (the mc session ended early)")
    return state[key]


def _policy_changes(policies: dict, state: dict) -> list[Command]:
    changes = []
    for number, name in enumerate(sorted(policies)):
        code, text = _require(state, f"policy.{number}")
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
    code, text = _require(state, "buckets")
    if code != 0:
        raise MinioStateError(f"cannot list buckets: {error_text(text)}")
    return {entry.get("key", "").rstrip("/") for entry in json_lines(text) if entry.get("status") == "success"}


def _bucket_changes(buckets: list[dict], state: dict) -> list[Command]:
    existing = _existing_buckets(state) if buckets else set()
    changes = []
    for number, bucket in enumerate(buckets):
        name = bucket["name"]
        path = f"{ALIAS}/{name}"
        lock = bool(bucket.get("object_lock"))
        versioning = bool(bucket.get("versioning")) or lock
        anonymous = bucket.get("anonymous") or "none"
        rules = lifecycle_document(bucket.get("lifecycle") or [])
        quota = quota_bytes(bucket.get("quota"))
        if name not in existing:
            changes.append(Command(f"mb.{number}", ["mc", "mb", *(["--with-lock"] if lock else []), path],
                                   what=f"bucket {name}: created{' with object locking' if lock else ''}"))
            if versioning and not lock:
                changes.append(Command(f"version.{number}", ["mc", "version", "enable", path],
                                       what=f"bucket {name}: versioning enabled"))
            current_anonymous, current_rules, current_quota = "private", [], 0
        else:
            code, text = _require(state, f"stat.{number}")
            if code != 0:
                raise MinioStateError(f"cannot read bucket {name}: {error_text(text)}")
            info = first_json(text)
            has_lock = (info.get("ObjectLock") or {}).get("enabled") == "Enabled"
            if has_lock != lock:
                raise MinioStateError(
                    f"bucket {name} exists {'with' if has_lock else 'without'} object locking and is declared "
                    f"object_lock: {str(lock).lower()}; object locking is chosen only when a bucket is created "
                    "(create a new bucket and copy the objects over)")
            status = (info.get("Versioning") or {}).get("status") or ""
            if versioning and status != "Enabled":
                changes.append(Command(f"version.{number}", ["mc", "version", "enable", path],
                                       what=f"bucket {name}: versioning enabled"))
            elif not versioning and status == "Enabled":
                changes.append(Command(f"version.{number}", ["mc", "version", "suspend", path],
                                       what=f"bucket {name}: versioning suspended"))
            current_rules = canonical_lifecycle((info.get("ilm") or {}).get("config"))
            code, text = _require(state, f"anonymous.{number}")
            if code != 0:
                raise MinioStateError(f"cannot read the anonymous access of {name}: {error_text(text)}")
            current_anonymous = first_json(text).get("permission") or "private"
            code, text = _require(state, f"quota.{number}")
            if code != 0:
                raise MinioStateError(f"cannot read the quota of {name}: {error_text(text)}")
            current_quota = int(first_json(text).get("quota") or 0)
        wanted_anonymous = "private" if anonymous == "none" else anonymous
        if current_anonymous != wanted_anonymous:
            changes.append(Command(f"anonymous.{number}", ["mc", "anonymous", "set", anonymous, path],
                                   what=f"bucket {name}: anonymous access {anonymous} (was {current_anonymous})"))
        if canonical_lifecycle(rules) != current_rules:
            if rules["Rules"]:
                changes.append(Command(f"ilm.{number}", ["mc", "ilm", "rule", "import", path], stdin=json.dumps(rules),
                                       what=f"bucket {name}: lifecycle rules set"))
            else:
                changes.append(Command(f"ilm.{number}", ["mc", "ilm", "rule", "rm", "--all", "--force", path],
                                       what=f"bucket {name}: lifecycle rules removed"))
        if quota != current_quota:
            argv = ["mc", "quota", "set", path, "--size", str(quota)] if quota else ["mc", "quota", "clear", path]
            changes.append(Command(f"quota.{number}", argv,
                                   what=f"bucket {name}: quota {quota or 'none'} (was {current_quota or 'none'})"))
    return changes


def _user_changes(users: list[dict], policies: dict, state: dict) -> list[Command]:
    if not users:
        return []
    code, text = _require(state, "users")
    if code != 0:
        raise MinioStateError(f"cannot list users: {error_text(text)}")
    known = {entry.get("accessKey"): entry for entry in json_lines(text) if entry.get("accessKey")}
    changes = []
    for number, user in enumerate(users):
        name = user["name"]
        current = known.get(name)
        if current is None or not credentials_work(_require(state, f"secret.{number}")) \
                or current.get("userStatus") != "enabled":
            changes.append(Command(f"user.{number}", ["mc", "admin", "user", "add", ALIAS, name],
                                   stdin=user["secret_key"],
                                   what=f"user {name}: {'created' if current is None else 'secret key or status set'}"))
            if current is not None and current.get("userStatus") != "enabled":
                changes.append(Command(f"enable.{number}", ["mc", "admin", "user", "enable", ALIAS, name],
                                       what=f"user {name}: enabled"))
        attached = {p for p in (current or {}).get("policyName", "").split(",") if p}
        wanted = set(user.get("policies") or [])
        if wanted - attached:
            changes.append(Command(f"attach.{number}", ["mc", "admin", "policy", "attach", ALIAS,
                                                        *sorted(wanted - attached), "--user", name],
                                   what=f"user {name}: attached {', '.join(sorted(wanted - attached))}"))
        if attached - wanted:
            changes.append(Command(f"detach.{number}", ["mc", "admin", "policy", "detach", ALIAS,
                                                        *sorted(attached - wanted), "--user", name],
                                   what=f"user {name}: detached {', '.join(sorted(attached - wanted))}"))
        for index, account in enumerate(user.get("service_accounts") or []):
            changes += _service_account_changes(f"{number}.{index}", name, account, policies, state)
    return changes


def _service_account_changes(key: str, parent: str, account: dict, policies: dict, state: dict) -> list[Command]:
    """A service account that differs in any way (parent, policy, secret, status) is removed and added again."""
    access_key = account["access_key"]
    code, text = _require(state, f"svcacct.{key}")
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
                and credentials_work(_require(state, f"svcsecret.{key}")))
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


def redact(text: str, values: list[str]) -> str:
    """TEXT with every secret of VALUES (and mc's JSON secretKey fields) masked."""
    for value in sorted((v for v in values if v), key=len, reverse=True):
        text = text.replace(value, "********")
    return re.sub(r'("secretKey"\s*:\s*")[^"]*"', r'\1********"', text)
