"""Contract tests for the exporter images built from Debian packages:

- appstack/postgres-exporter (stands in for prometheuscommunity/postgres-exporter)
- appstack/redis-exporter    (stands in for oliver006/redis_exporter)
- appstack/nginx-exporter    (stands in for nginx/nginx-prometheus-exporter)

The parts that need a real database use appstack/postgres:17 / appstack/redis:8.0
and are skipped when those images are not built.
"""

from __future__ import annotations

import json
from typing import Callable

import pytest

from conftest import (
    Container, DockerResources, image_config, image_exists, metric, parse_metrics, require_image, wait_until,
)

PG_EXPORTER = "appstack/postgres-exporter:0.17"
REDIS_EXPORTER = "appstack/redis-exporter:1.69"
NGINX_EXPORTER = "appstack/nginx-exporter:1.4"
POSTGRES = "appstack/postgres:17"
REDIS = "appstack/redis:8.0"
NGINX = "appstack/nginx:1.26"


@pytest.fixture
def env(docker_stack: DockerResources) -> DockerResources:
    """docker_stack: containers on a private network, removed in teardown."""
    return docker_stack


def scrape(container: Container, port: int) -> dict[str, float]:
    """Metrics of an exporter, fetched with curl inside the exporter container."""
    out = container.exec("curl", "-fsS", f"http://127.0.0.1:{port}/metrics").stdout
    return parse_metrics(out)


def wait_metric(
    container: Container,
    port: int,
    name: str,
    predicate: Callable[[list[float]], bool],
    timeout: float = 60,
) -> list[float]:
    """Wait until metric NAME has values and PREDICATE(values) holds; return the values."""

    def check() -> list[float] | None:
        values = metric(scrape(container, port), name)
        return values if values and predicate(values) else None

    return wait_until(check, timeout=timeout, interval=2, what=f"{name} on {container.name}",
                      diagnostics=container.diagnostics)


@pytest.mark.parametrize(
    "image,port,binary",
    [
        (PG_EXPORTER, 9187, "/usr/bin/prometheus-postgres-exporter"),
        (REDIS_EXPORTER, 9121, "/usr/bin/prometheus-redis-exporter"),
        (NGINX_EXPORTER, 9113, "/usr/bin/prometheus-nginx-exporter"),
    ],
)
def test_metadata_nonroot_and_port(env: DockerResources, image: str, port: int, binary: str):
    require_image(image)
    cfg = image_config(image)
    assert cfg["User"] == "65534:65534"
    assert cfg["Entrypoint"] == [binary]
    assert f"{port}/tcp" in cfg["ExposedPorts"]
    c = env.run(image, args=["--health-cmd", f"curl -fsS -o /dev/null http://127.0.0.1:{port}/metrics",
                             "--health-interval", "2s", "--health-retries", "10"])
    c.wait_healthy(timeout=60, interval=2)
    assert c.exec("id", "-u").stdout.strip() == "65534"
    # the process itself runs as nobody
    status = c.exec("cat", "/proc/1/status").stdout
    assert any(line.split()[:2] == ["Uid:", "65534"] for line in status.splitlines())
    m = scrape(c, port)
    assert metric(m, "process_start_time_seconds")


# --------------------------------------------------------------------------- postgres

def test_postgres_exporter_reports_down_without_database(env: DockerResources):
    require_image(PG_EXPORTER)
    c = env.run(PG_EXPORTER, env={
        "DATA_SOURCE_NAME": "postgresql://postgres:x@no-such-host:5432/postgres?sslmode=disable"})
    wait_metric(c, 9187, "pg_up", lambda v: v == [0.0])


@pytest.fixture
def postgres(env: DockerResources) -> Container:
    """appstack/postgres on the stack network as "pg", with a database appdb."""
    if not image_exists(POSTGRES):
        pytest.skip(f"{POSTGRES} not built: real-database part skipped")
    pg = env.run(POSTGRES, env={"POSTGRES_PASSWORD": "s3cret-pg"}, aliases=["pg"])
    pg.wait_exec("pg_isready", "-h", "127.0.0.1", "-U", "postgres", timeout=90, interval=2)
    # pg_isready succeeds on the init-time server too: wait until the final server answers
    wait_until(lambda: pg.exec("psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "select 1",
                               check=False, user="postgres").stdout.strip() == "1",
               timeout=90, interval=2, what="postgres query", diagnostics=pg.diagnostics)
    pg.exec("psql", "-U", "postgres", "-c", "CREATE DATABASE appdb", user="postgres", check=False)
    return pg


def test_postgres_exporter_data_source_name(env: DockerResources, postgres: Container):
    c = env.run(PG_EXPORTER, env={
        "DATA_SOURCE_NAME": "postgresql://postgres:s3cret-pg@pg:5432/postgres?sslmode=disable"})
    wait_metric(c, 9187, "pg_up", lambda v: v == [1.0], timeout=90)
    m = scrape(c, 9187)
    assert any(k.startswith("pg_stat_database_") and 'datname="appdb"' in k for k in m), \
        "no per-database stats for appdb"
    assert any(k.startswith("pg_static{") and "short_version=\"17" in k for k in m)


def test_postgres_exporter_uri_user_pass_file(env: DockerResources, postgres: Container, tmp_path):
    secret = tmp_path / "pgpass"
    secret.write_text("s3cret-pg\n")
    secret.chmod(0o644)
    c = env.run(PG_EXPORTER, env={
        "DATA_SOURCE_URI": "pg:5432/postgres?sslmode=disable",
        "DATA_SOURCE_USER": "postgres",
        "DATA_SOURCE_PASS_FILE": "/run/secrets/pgpass",
    }, volumes=[f"{secret}:/run/secrets/pgpass:ro"])
    wait_metric(c, 9187, "pg_up", lambda v: v == [1.0], timeout=90)
    # a wrong password gives pg_up 0: the env really drives the connection
    bad = env.run(PG_EXPORTER, env={
        "DATA_SOURCE_URI": "pg:5432/postgres?sslmode=disable",
        "DATA_SOURCE_USER": "postgres",
        "DATA_SOURCE_PASS": "wrong",
    })
    wait_metric(bad, 9187, "pg_up", lambda v: v == [0.0], timeout=60)


# --------------------------------------------------------------------------- redis

def test_redis_exporter_reports_down_without_redis(env: DockerResources):
    require_image(REDIS_EXPORTER)
    c = env.run(REDIS_EXPORTER, env={"REDIS_ADDR": "redis://no-such-host:6379"})
    wait_metric(c, 9121, "redis_up", lambda v: v == [0.0])


@pytest.fixture
def redis(env: DockerResources) -> Container:
    """appstack/redis on the stack network as "rd", password-protected, with one key."""
    if not image_exists(REDIS):
        pytest.skip(f"{REDIS} not built: real-redis part skipped")
    rd = env.run(REDIS, "redis-server", "--requirepass", "s3cret-rd", aliases=["rd"])
    wait_until(lambda: rd.exec("redis-cli", "-a", "s3cret-rd", "--no-auth-warning", "ping",
                               check=False).stdout.strip() == "PONG",
               timeout=60, interval=1, what="redis ping", diagnostics=rd.diagnostics)
    rd.exec("redis-cli", "-a", "s3cret-rd", "--no-auth-warning", "set", "contract", "1")
    return rd


def test_redis_exporter_addr_and_password(env: DockerResources, redis: Container):
    c = env.run(REDIS_EXPORTER, env={"REDIS_ADDR": "redis://rd:6379",
                                     "REDIS_PASSWORD": "s3cret-rd"})
    wait_metric(c, 9121, "redis_up", lambda v: v == [1.0], timeout=60)
    m = scrape(c, 9121)
    assert any(k.startswith("redis_instance_info{") and 'redis_version="8.' in k for k in m)
    assert metric(m, "redis_db_keys") and max(metric(m, "redis_db_keys")) >= 1
    # wrong password -> redis_up 0
    bad = env.run(REDIS_EXPORTER, env={"REDIS_ADDR": "redis://rd:6379", "REDIS_PASSWORD": "nope"})
    wait_metric(bad, 9121, "redis_up", lambda v: v == [0.0], timeout=60)


def test_redis_exporter_password_file_is_json_map(env: DockerResources, redis: Container, tmp_path):
    # Upstream semantics (kept): REDIS_PASSWORD_FILE is a JSON map {redis-uri: password}.
    pwfile = tmp_path / "redis-passwords.json"
    pwfile.write_text(json.dumps({"redis://rd:6379": "s3cret-rd"}))
    pwfile.chmod(0o644)
    c = env.run(REDIS_EXPORTER, env={"REDIS_ADDR": "redis://rd:6379",
                                     "REDIS_PASSWORD_FILE": "/run/secrets/redis-passwords.json"},
                volumes=[f"{pwfile}:/run/secrets/redis-passwords.json:ro"])
    wait_metric(c, 9121, "redis_up", lambda v: v == [1.0], timeout=60)


# --------------------------------------------------------------------------- nginx

STUB_STATUS_CONF = """server {
    listen 8080;
    location = /stub_status { stub_status; }
}
"""


@pytest.fixture
def nginx(env: DockerResources, tmp_path) -> Container:
    """appstack/nginx on the stack network as "ngx", with stub_status on port 8080."""
    require_image(NGINX)
    conf = tmp_path / "status.conf"
    conf.write_text(STUB_STATUS_CONF)
    conf.chmod(0o644)
    ngx = env.run(NGINX, aliases=["ngx"], volumes=[f"{conf}:/etc/nginx/conf.d/status.conf:ro"])
    ngx.wait_healthy(timeout=60, interval=2)
    return ngx


def test_nginx_exporter_scrape_uri_flag(env: DockerResources, nginx: Container):
    require_image(NGINX_EXPORTER)
    c = env.run(NGINX_EXPORTER, "--nginx.scrape-uri=http://ngx:8080/stub_status")
    wait_metric(c, 9113, "nginx_up", lambda v: v == [1.0])
    # make some traffic, the counters come from the real nginx
    for _ in range(3):
        nginx.exec("curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1/")
    wait_metric(c, 9113, "nginx_http_requests_total", lambda v: v[0] >= 3)
    assert metric(scrape(c, 9113), "nginx_connections_accepted")[0] >= 1


def test_nginx_exporter_scrape_uri_env_and_down(env: DockerResources, nginx: Container):
    require_image(NGINX_EXPORTER)
    c = env.run(NGINX_EXPORTER, env={"SCRAPE_URI": "http://ngx:8080/stub_status"})
    wait_metric(c, 9113, "nginx_up", lambda v: v == [1.0])
    bad = env.run(NGINX_EXPORTER, "--nginx.scrape-uri=http://ngx:8080/nope")
    wait_metric(bad, 9113, "nginx_up", lambda v: v == [0.0])
