# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""PostgreSQL SCRAM-SHA-256 verifiers (RFC 7677), so passwords reach the server only hashed.

Each role's salt is derived - HMAC-SHA-256 under a random per-deployment key kept on the Docker host,
over the role name and the password - so the same password gives the same verifier on every run
(a re-run changes nothing and needs no look at the server first), a new password a new salt, two
roles with one password different salts, and nobody without the key can precompute verifiers.
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


def derived_salt(key: bytes, role: str, password: str) -> bytes:
    """The 16-byte salt of ROLE's verifier: HMAC-SHA-256 under KEY over the role name and the password."""
    return hmac.new(key, f"{role}\0{password}".encode(), hashlib.sha256).digest()[:16]


def role_verifier(key: bytes, role: str, password: str) -> str:
    """The verifier a role gets: the same for the same key, role and password."""
    return verifier(password, derived_salt(key, role, password))


def new_key() -> bytes:
    """A random per-deployment key for derived_salt."""
    return os.urandom(32)
