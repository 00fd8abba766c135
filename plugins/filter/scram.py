"""PostgreSQL SCRAM-SHA-256 verifiers, so passwords reach the server only hashed.

`scram_sha256(password, current)` returns `current` unchanged when it is a verifier
of `password` (so a re-run changes nothing) and a fresh verifier with a random salt
otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

DOCUMENTATION = r"""
name: scram_sha256
short_description: PostgreSQL SCRAM-SHA-256 verifier for a password, reusing a matching current verifier
options:
  _input:
    description: The clear-text password.
    type: str
    required: true
  current:
    description: The role's current C(pg_authid.rolpassword), or empty.
    type: str
"""

_ITERATIONS = 4096


def _verifier(password: str, salt: bytes, iterations: int) -> str:
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def scram_matches(password: str, verifier: str | None) -> bool:
    try:
        method, rest = (verifier or "").split("$", 1)
        params, _keys = rest.split("$", 1)
        iterations, salt = params.split(":", 1)
        expected = _verifier(password, base64.b64decode(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return method == "SCRAM-SHA-256" and hmac.compare_digest(expected, verifier)


def scram_sha256(password: str, current: str | None = None) -> str:
    if current and scram_matches(password, current):
        return current
    return _verifier(password, os.urandom(16), _ITERATIONS)


class FilterModule:
    def filters(self):
        return {"scram_sha256": scram_sha256, "scram_matches": scram_matches}
