"""Contract tests for appstack/prometheus (stands in for prom/prometheus v3)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from conftest import DockerResources, image_config, image_exists, require_image, wait_until

IMAGE = "appstack/prometheus:3.13"
VERSION = "3.13.5"
NGINX = "appstack/nginx:1.26"
NGINX_EXPORTER = "appstack/nginx-exporter:1.4"


@pytest.fixture
def env(docker_stack: DockerResources) -> DockerResources:
    """docker_stack (private network, removed in teardown), once the image exists."""
    require_image(IMAGE)
    return docker_stack


def http(port: int, path: str, method: str = "GET") -> tuple[int, str]:
    """HTTP request to 127.0.0.1:PORT; return (status, body)."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def targets(port: int) -> list[dict]:
    """Prometheus' active scrape targets."""
    status, body = http(port, "/api/v1/targets")
    assert status == 200, body
    return json.loads(body)["data"]["activeTargets"]


def wait_target_up(port: int, job: str, timeout: float = 90) -> list[dict]:
    """Wait until every target of JOB is up; return them."""

    def check() -> list[dict] | None:
        found = [t for t in targets(port) if t["labels"].get("job") == job]
        return found if found and all(t["health"] == "up" for t in found) else None

    return wait_until(check, timeout=timeout, interval=2, what=f"target job={job} up")


def test_image_metadata_and_tools(docker_resources: DockerResources):
    require_image(IMAGE)
    cfg = image_config(IMAGE)
    assert cfg["User"] == "65534:65534"
    assert cfg["Entrypoint"] == ["/bin/prometheus"]
    assert cfg["Cmd"] == ["--config.file=/etc/prometheus/prometheus.yml",
                          "--storage.tsdb.path=/prometheus"]
    assert "9090/tcp" in cfg["ExposedPorts"]
    assert "/prometheus" in cfg["Volumes"]
    out = docker_resources.run_once(IMAGE, "--version").stdout
    assert f"prometheus, version {VERSION}" in out
    out = docker_resources.run_once(IMAGE, "--version", args=["--entrypoint", "promtool"]).stdout
    assert f"promtool, version {VERSION}" in out
    out = docker_resources.run_once(IMAGE, "check", "config", "/etc/prometheus/prometheus.yml",
                                    args=["--entrypoint", "promtool"]).stdout
    assert "SUCCESS" in out


def test_default_config_healthy_ready_self_scrape(env: DockerResources):
    c = env.run(IMAGE, args=["-p", "127.0.0.1::9090"])
    c.wait_healthy(timeout=90, interval=2)
    port = c.host_port(9090)
    assert http(port, "/-/healthy")[0] == 200
    assert http(port, "/-/ready")[0] == 200
    wait_target_up(port, "prometheus")
    # runs as nobody and writes its TSDB to /prometheus
    assert c.exec("id", "-u").stdout.strip() == "65534"
    listing = c.exec("ls", "-n", "/prometheus").stdout
    assert "wal" in listing
    # lifecycle API is off by default, like upstream
    assert http(port, "/-/reload", method="POST")[0] == 403
    # the query API works (UI assets are not built; the API is the contract)
    status, body = http(port, "/api/v1/query?query=up")
    assert status == 200 and json.loads(body)["status"] == "success"


CONFIG_ONE = """global:
  scrape_interval: 2s
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ["localhost:9090"]
"""

CONFIG_TWO = CONFIG_ONE + """  - job_name: nginx
    static_configs:
      - targets: ["ngxexp:9113"]
"""


def test_scrapes_real_target_and_reloads(env: DockerResources, tmp_path):
    have_target = image_exists(NGINX) and image_exists(NGINX_EXPORTER)
    confdir = tmp_path / "prom"
    confdir.mkdir()
    confdir.chmod(0o755)
    cfg = confdir / "prometheus.yml"
    cfg.write_text(CONFIG_ONE)
    cfg.chmod(0o644)
    if have_target:
        status_conf = tmp_path / "status.conf"
        status_conf.write_text("server { listen 8080; location = /stub_status { stub_status; } }\n")
        status_conf.chmod(0o644)
        env.run(NGINX, aliases=["ngx"], volumes=[f"{status_conf}:/etc/nginx/conf.d/status.conf:ro"])
        env.run(NGINX_EXPORTER, "--nginx.scrape-uri=http://ngx:8080/stub_status", aliases=["ngxexp"])
    c = env.run(IMAGE, "--config.file=/etc/prometheus/prometheus.yml",
                "--storage.tsdb.path=/prometheus", "--web.enable-lifecycle",
                args=["-p", "127.0.0.1::9090"], volumes=[f"{confdir}:/etc/prometheus:ro"])
    c.wait_healthy(timeout=90, interval=2)
    port = c.host_port(9090)
    wait_target_up(port, "self")
    assert not [t for t in targets(port) if t["labels"]["job"] == "nginx"]
    if not have_target:
        pytest.skip("nginx / nginx-exporter images absent: reload with a second job not tested")
    cfg.write_text(CONFIG_TWO)
    status, body = http(port, "/-/reload", method="POST")
    assert status == 200, body
    wait_target_up(port, "nginx")

    def nginx_up() -> bool:
        status, body = http(port, "/api/v1/query?query=nginx_up")
        result = json.loads(body)["data"]["result"]
        return bool(result) and result[0]["value"][1] == "1"

    wait_until(nginx_up, timeout=60, interval=2, what="nginx_up == 1 in Prometheus")
    # a broken config is rejected by reload and the old one stays active
    cfg.write_text("scrape_configs: [oops\n")
    assert http(port, "/-/reload", method="POST")[0] == 500
    assert http(port, "/-/healthy")[0] == 200
