# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""The one rule that keeps secrets out of what the collection prints (error messages of modules and plugins).

Every non-empty secret is replaced by ``********`` wherever it occurs, longest first (so a secret that
contains another is masked whole), together with the forms a tool may print it in: URL-quoted (the
credentials of an ``MC_HOST_<alias>`` URL) and JSON-escaped. A JSON field that names a secret
(``"secretKey": "..."``, mc's answers) is masked even when its value is not among the known ones.
There is no minimum length: like Ansible's own masking of a module's ``no_log`` values, a short
secret is masked too, at the price of a garbled word in the message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

MASK = "********"
#: A JSON string field whose name says it holds a secret, with its value (escaped quotes included).
_SECRET_FIELD = re.compile(r'("(?:secretKey|secret_key|password)"\s*:\s*")(?:[^"\\]|\\.)*"')


def secret_forms(value: str) -> set[str]:
    """VALUE as written and as a tool may print it: URL-quoted and JSON-escaped."""
    return {value, quote(value, safe=""), json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}


def redact(text: str, secrets: Iterable) -> str:
    """TEXT with every form of every non-empty string of SECRETS, and every secret JSON field, masked."""
    forms: set[str] = set()
    for secret in secrets:
        if isinstance(secret, str) and secret:
            forms |= secret_forms(secret)
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return _SECRET_FIELD.sub(rf'\g<1>{MASK}"', text)


def redact_data(value: Any, secrets: Iterable) -> Any:
    """VALUE (text, or lists and dicts of it, such as a diff) with :func:`redact` applied to every string in it."""
    secrets = list(secrets)
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {key: redact_data(item, secrets) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(item, secrets) for item in value]
    return value
