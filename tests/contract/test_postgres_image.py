"""Contract of appstack/postgres:17 - the parts of the official postgres:17 image the roles rely on.

See docs/images.md for the contract and the known differences.
"""

from __future__ import annotations

import gzip

import pytest

from conftest import image_config, require_image

IMAGE = "appstack/postgres:17"
PGDATA = "/var/lib/postgresql/data"
PASSWORD = "c0ntract-S3cret"
USER = "appuser"
DB = "appdb"


def wait_ready(container, user="postgres", db="postgres", timeout=60):
    """pg_isready over TCP: true only for the final server (the init server listens on the socket only)."""
    return container.wait_exec("pg_isready", "-h", "127.0.0.1", "-p", "5432", "-U", user, "-d", db, expect="accepting connections", timeout=timeout)


def psql(container, sql, user=USER, db=DB, host=None, password=None, check=True):
    """psql -Atc SQL inside the container; HOST None = unix socket."""
    cmd = ["psql", "-v", "ON_ERROR_STOP=1", "-X", "-At", "-U", user, "-d", db, "-c", sql]
    if host:
        cmd += ["-h", host]
    env = {"PGPASSWORD": password} if password is not None else None
    return container.exec(*cmd, env=env, check=check)


INIT_SQL = """
CREATE TABLE contract (id int PRIMARY KEY, source text NOT NULL);
INSERT INTO contract VALUES (1, 'sql');
"""
INIT_SQL_GZ = gzip.compress(b"INSERT INTO contract VALUES (2, 'sql.gz');\n")
# Not executable: the entrypoint sources it (and provides "${psql[@]}").
INIT_SH = """
"${psql[@]}" -c "INSERT INTO contract VALUES (3, 'sh:' || current_user || '@' || current_database());"
echo "ran once" >> "$PGDATA/initdb-sh-runs"
"""


@pytest.fixture(scope="module")
def pg(docker_resources_module):
    """One server, started as root (default), with every init knob set."""
    require_image(IMAGE)
    c = docker_resources_module.run(
        IMAGE,
        "-c", "max_connections=42",  # a flag first: the entrypoint prepends "postgres"
        env={
            "POSTGRES_USER": USER,
            "POSTGRES_DB": DB,
            "POSTGRES_PASSWORD_FILE": "/run/secrets/pg_password",
            "POSTGRES_INITDB_ARGS": "--data-checksums",
        },
        files={
            "/run/secrets/pg_password": PASSWORD + "\n",  # trailing newline is stripped
            "/docker-entrypoint-initdb.d/10-schema.sql": INIT_SQL,
            "/docker-entrypoint-initdb.d/20-more.sql.gz": INIT_SQL_GZ,
            "/docker-entrypoint-initdb.d/30-more.sh": INIT_SH,
        },
    )
    wait_ready(c, user=USER, db=DB)
    return c


def test_image_metadata():
    require_image(IMAGE)
    cfg = image_config(IMAGE)
    assert cfg["Entrypoint"] == ["docker-entrypoint.sh"]
    assert cfg["Cmd"] == ["postgres"]
    assert cfg["StopSignal"] == "SIGINT"
    assert "5432/tcp" in cfg["ExposedPorts"]
    assert PGDATA in cfg["Volumes"]
    env = dict(e.split("=", 1) for e in cfg["Env"])
    assert env["PGDATA"] == PGDATA
    assert "/usr/lib/postgresql/17/bin" in env["PATH"].split(":")
    assert cfg["Labels"]["org.appstack.recipe-hash"]


def test_pg_isready_and_version(pg):
    out = pg.exec("pg_isready", "-h", "127.0.0.1", "-U", USER, "-d", DB).stdout
    assert "accepting connections" in out
    assert psql(pg, "SHOW server_version_num").stdout.strip().startswith("17")


def test_password_file_sets_password_over_tcp(pg):
    # Non-loopback TCP: the container's own bridge address hits "host all all all scram-sha-256".
    ip = pg.ip()
    out = psql(pg, "SELECT current_user || '|' || current_database()", host=ip, password=PASSWORD).stdout.strip()
    assert out == f"{USER}|{DB}"


def test_wrong_or_missing_password_refused_over_tcp(pg):
    ip = pg.ip()
    wrong = psql(pg, "SELECT 1", host=ip, password="not-the-password", check=False)
    assert wrong.returncode != 0
    assert "password authentication failed" in wrong.stderr
    missing = pg.exec("psql", "-X", "-w", "-h", ip, "-U", USER, "-d", DB, "-c", "SELECT 1", check=False)
    assert missing.returncode != 0
    assert "password" in missing.stderr


def test_user_is_superuser_and_db_exists(pg):
    assert psql(pg, f"SELECT rolsuper FROM pg_roles WHERE rolname = '{USER}'").stdout.strip() == "t"
    # Like the official image: POSTGRES_USER *is* the bootstrap superuser; no "postgres" role.
    assert psql(pg, "SELECT count(*) FROM pg_roles WHERE rolname = 'postgres'").stdout.strip() == "0"
    assert psql(pg, f"SELECT count(*) FROM pg_database WHERE datname = '{DB}'").stdout.strip() == "1"
    assert psql(pg, "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()").stdout.strip() == "UTF8"


def test_initdb_scripts_ran_in_order(pg):
    rows = psql(pg, "SELECT id || ':' || source FROM contract ORDER BY id").stdout.split()
    assert rows == ["1:sql", "2:sql.gz", f"3:sh:{USER}@{DB}"]
    assert pg.exec("cat", f"{PGDATA}/initdb-sh-runs").stdout.count("ran once") == 1


def test_data_directory_and_ownership(pg):
    assert psql(pg, "SHOW data_directory").stdout.strip() == PGDATA
    assert pg.exec("stat", "-c", "%u:%g %a", PGDATA).stdout.strip() == "999:999 700"
    assert pg.exec("id", "-u", "postgres").stdout.strip() == "999"
    assert pg.exec("id", "-g", "postgres").stdout.strip() == "999"
    # Started as root, the entrypoint dropped to postgres: PID 1 is the server as uid 999.
    status = pg.exec("cat", "/proc/1/status").stdout
    uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
    assert uid_line.split()[1:] == ["999"] * 4
    assert "postgres" in pg.exec("cat", "/proc/1/cmdline").stdout


def test_server_settings_from_args_and_initdb(pg):
    assert psql(pg, "SHOW max_connections").stdout.strip() == "42"  # -c passed through
    assert psql(pg, "SHOW listen_addresses").stdout.strip() == "*"
    assert psql(pg, "SHOW data_checksums").stdout.strip() == "on"  # POSTGRES_INITDB_ARGS
    assert psql(pg, "SHOW password_encryption").stdout.strip() == "scram-sha-256"
    last_rule = psql(
        pg,
        "SELECT type || ' ' || array_to_string(database, ',') || ' ' || array_to_string(user_name, ',')"
        " || ' ' || address || ' ' || auth_method FROM pg_hba_file_rules ORDER BY rule_number DESC LIMIT 1",
    ).stdout.strip()
    assert last_rule == "host all all all scram-sha-256"


def test_client_tools_on_path(pg):
    for tool in ("psql", "pg_dump", "pg_restore", "pg_isready", "postgres", "initdb", "pg_ctl"):
        assert pg.exec("sh", "-c", f"command -v {tool}").returncode == 0, tool
    assert "17." in pg.exec("pg_dump", "--version").stdout
    dump = pg.exec("pg_dump", "-U", USER, "-d", DB, "-t", "contract").stdout
    assert "CREATE TABLE public.contract" in dump


def test_runs_as_user_999_and_keeps_data_across_restart(docker_resources):
    require_image(IMAGE)
    vol = docker_resources.volume("pgdata")
    c = docker_resources.run(
        IMAGE,
        user="999:999",
        env={"POSTGRES_PASSWORD": PASSWORD},
        volumes=[f"{vol}:{PGDATA}"],
    )
    wait_ready(c)
    status = c.exec("cat", "/proc/1/status").stdout
    assert next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1] == "999"
    psql(c, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')", user="postgres", db="postgres")
    assert psql(c, "SELECT 1", user="postgres", db="postgres", host=c.ip(), password=PASSWORD).stdout.strip() == "1"

    c.restart()
    wait_ready(c)
    assert psql(c, "SELECT v FROM kept", user="postgres", db="postgres").stdout.strip() == "survives"
    logs = c.logs(None)
    assert logs.count("PostgreSQL init process complete") == 1
    assert "Skipping initialization" in logs


def test_config_file_argument(docker_resources):
    require_image(IMAGE)
    conf = "listen_addresses = '*'\nmax_connections = 77\nshared_buffers = 32MB\n"
    c = docker_resources.run(
        IMAGE,
        "postgres", "-c", "config_file=/etc/postgresql/custom.conf",
        env={"POSTGRES_PASSWORD": PASSWORD},
        files={"/etc/postgresql/custom.conf": conf},
    )
    wait_ready(c)
    assert psql(c, "SHOW config_file", user="postgres", db="postgres").stdout.strip() == "/etc/postgresql/custom.conf"
    assert psql(c, "SHOW max_connections", user="postgres", db="postgres").stdout.strip() == "77"
    assert psql(c, "SHOW shared_buffers", user="postgres", db="postgres").stdout.strip() == "32MB"


def test_missing_password_is_refused(docker_resources):
    require_image(IMAGE)
    c = docker_resources.run(IMAGE)
    assert c.wait_exit(timeout=30) != 0
    assert "superuser password is not specified" in c.logs(None)


def test_host_auth_method_trust(docker_resources):
    require_image(IMAGE)
    c = docker_resources.run(IMAGE, env={"POSTGRES_HOST_AUTH_METHOD": "trust"})
    wait_ready(c)
    out = c.exec("psql", "-X", "-w", "-At", "-h", c.ip(), "-U", "postgres", "-c", "SELECT 'in'").stdout.strip()
    assert out == "in"
