# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""mc's answers read into data, and the normal forms both sides compare in (appstack.platform.minio_provision).

mc ``--json`` prints one JSON object per line; the readers here take what one command of the reading
session (minio_commands) printed. Policies and lifecycle rules, declared or stored, are compared in
canonical form, so a different spelling of the same thing is no change.
"""

from __future__ import annotations

import json
from typing import Any

#: mc answers for a request whose credentials are wrong (unknown key, wrong secret).
_BAD_CREDENTIALS = ("SignatureDoesNotMatch", "InvalidAccessKeyId", "XMinioInvalidIAMCredentials", "InvalidToken")


class MinioStateError(Exception):
    """The server cannot be brought to the declared state (for example object locking on an existing bucket)."""


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


def answer(state: dict, key: str) -> tuple[int, str]:
    """The read KEY's answer (exit code, output); MinioStateError when the session ended before it."""
    if key not in state:
        raise MinioStateError(f"no answer to the state query {key!r} (the mc session ended early)")
    return state[key]


def answer_json(state: dict, key: str, what: str) -> dict:
    """The first JSON object the read KEY printed; MinioStateError naming WHAT when it failed."""
    code, text = answer(state, key)
    if code != 0:
        raise MinioStateError(f"cannot read {what}: {error_text(text)}")
    return first_json(text)


def credentials_work(result: tuple[int, str]) -> bool:
    """Whether a credentials check was accepted (success or AccessDenied, not a credentials error)."""
    code, text = result
    return code == 0 or not any(marker in text for marker in _BAD_CREDENTIALS)


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
    normal = [_canonical_statement(statement) for statement in statements]
    normal.sort(key=lambda s: json.dumps(s, sort_keys=True))
    return json.dumps({"Version": document.get("Version") or "2012-10-17", "Statement": normal}, sort_keys=True)


def _canonical_statement(statement: dict) -> dict:
    """One policy statement with its lists sorted and an empty Sid left out."""
    entry = {}
    for key, value in dict(statement).items():
        if key in ("Action", "NotAction", "Resource", "NotResource"):
            value = sorted([value] if isinstance(value, str) else list(value))
        elif key == "Principal" and isinstance(value, dict):
            value = {k: sorted([v] if isinstance(v, str) else list(v)) for k, v in value.items()}
        if key == "Sid" and not value:
            continue
        entry[key] = value
    return entry


def canonical_lifecycle(config: Any) -> list[tuple]:
    """Lifecycle rules (declared as minio_plan.lifecycle_document or read back from the server) in a comparable form."""
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
