# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""PostgreSQL SCRAM-SHA-256 verifiers (RFC 7677), so passwords reach the server only hashed.

``scram_sha256(password, current)`` returns ``current`` unchanged when it is a verifier of
``password`` (so a re-run changes nothing) and a fresh verifier with a random salt otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

ITERATIONS = 4096


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def verifier(password: str, salt: bytes, iterations: int = ITERATIONS) -> str:
    """The SCRAM-SHA-256 verifier of PASSWORD with SALT, as pg_authid.rolpassword stores it."""
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return f"SCRAM-SHA-256${iterations}:{_b64(salt)}${_b64(stored_key)}:{_b64(server_key)}"


def scram_matches(password: str, current: str | None) -> bool:
    """True when CURRENT is a SCRAM-SHA-256 verifier of PASSWORD."""
    try:
        method, rest = (current or "").split("$", 1)
        params, _keys = rest.split("$", 1)
        iterations, salt = params.split(":", 1)
        expected = verifier(password, base64.b64decode(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return method == "SCRAM-SHA-256" and hmac.compare_digest(expected, current or "")


def scram_sha256(password: str, current: str | None = None) -> str:
    """CURRENT when it already verifies PASSWORD, else a new verifier with a random salt."""
    if current and scram_matches(password, current):
        return current
    return verifier(password, os.urandom(16))
