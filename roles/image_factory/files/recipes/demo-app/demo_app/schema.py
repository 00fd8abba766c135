"""The PostgreSQL schema, as numbered migrations applied in order by ``demo-app migrate``.

Migrations are only ever appended. Each statement is idempotent on its own as well, so a
schema created by hand or by an interrupted run converges.
"""

from __future__ import annotations

#: (version, description, SQL). Never change an applied entry; add a new one.
MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "items and events", """
CREATE TABLE IF NOT EXISTS items (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    category text NOT NULL,
    price numeric(12, 2) NOT NULL CHECK (price >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by_version text NOT NULL
);
CREATE INDEX IF NOT EXISTS items_category_idx ON items (category);
CREATE TABLE IF NOT EXISTS events (
    id uuid PRIMARY KEY,
    type text NOT NULL,
    item_id bigint,
    payload jsonb NOT NULL,
    kafka_partition integer,
    kafka_offset bigint,
    received_at timestamptz NOT NULL DEFAULT now(),
    worker_version text NOT NULL
);
"""),
]

#: The version a fully migrated database is at.
LATEST = MIGRATIONS[-1][0]

#: Bookkeeping table, created first.
BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    description text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by_version text NOT NULL
)
"""

#: Serialises concurrent ``migrate`` runs (transaction-scoped advisory lock).
LOCK = "SELECT pg_advisory_xact_lock(hashtext('demo-app migrate'))"
