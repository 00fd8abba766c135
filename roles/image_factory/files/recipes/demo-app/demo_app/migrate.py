"""``demo-app migrate``: create or upgrade the PostgreSQL schema, idempotently.

Everything runs in one transaction under an advisory lock, so concurrent runs wait for each
other and a failure leaves the schema as it was. Exit 0 when the schema is at the latest
version, 1 (with a message on stderr) otherwise.
"""

from __future__ import annotations

import sys
import time

import psycopg

from demo_app import schema
from demo_app.config import Config
from demo_app.postgres import describe_url


def _connect(url: str, wait: float) -> psycopg.Connection:
    """Connect, retrying for up to WAIT seconds while the server is not reachable yet."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return psycopg.connect(url, connect_timeout=5, application_name="demo-app migrate")
        except psycopg.OperationalError as exc:
            if time.monotonic() >= deadline:
                raise
            print(f"migrate: postgres not reachable yet ({str(exc).strip().splitlines()[0]}); retrying", file=sys.stderr)
            time.sleep(1)


def migrate(cfg: Config, wait: float = 30.0) -> int:
    """Apply the missing migrations; return the exit code."""
    if cfg.fault == "migrate":
        print("migrate: FAILED on purpose (DEMO_FAULT=migrate); nothing was changed", file=sys.stderr)
        return 1
    if not cfg.database_url:
        print("migrate: DATABASE_URL (or DATABASE_URL_FILE) is not set; nothing to migrate", file=sys.stderr)
        return 1
    where = describe_url(cfg.database_url)
    try:
        with _connect(cfg.database_url, wait) as conn, conn.transaction():
            conn.execute(schema.LOCK)
            conn.execute(schema.BOOKKEEPING)
            applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            done = []
            for version, description, sql in schema.MIGRATIONS:
                if version in applied:
                    continue
                conn.execute(sql)
                conn.execute("INSERT INTO schema_migrations (version, description, applied_by_version) VALUES (%s, %s, %s)",
                             (version, description, cfg.version))
                done.append(version)
    except psycopg.Error as exc:
        message = str(exc).strip().replace("\n", " ") or type(exc).__name__
        print(f"migrate: FAILED against postgres {where}: {message}", file=sys.stderr)
        return 1
    if done:
        print(f"migrate: applied {', '.join(map(str, done))}; schema at version {schema.LATEST} ({where})")
    else:
        print(f"migrate: schema already at version {schema.LATEST}, nothing to do ({where})")
    return 0
