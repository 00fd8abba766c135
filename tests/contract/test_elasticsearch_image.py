"""Contract tests for appstack/elasticsearch (stands in for
docker.elastic.co/elasticsearch/elasticsearch, 8.x)."""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request

import pytest

from conftest import DockerResources, image_config, require_image, wait_until

IMAGE = "appstack/elasticsearch:8.19"
VERSION = "8.19.21"
PASSWORD = "Contract-pw-123"
BASE_ENV = {
    "discovery.type": "single-node",
    "ES_JAVA_OPTS": "-Xms512m -Xmx512m",
}


@pytest.fixture
def env(docker_stack: DockerResources) -> DockerResources:
    """docker_stack (private network, removed in teardown), once the image exists."""
    require_image(IMAGE)
    return docker_stack


def call(
    port: int,
    path: str,
    method: str = "GET",
    user: str | None = "elastic",
    password: str = PASSWORD,
    body: object = None,
) -> tuple[int, object]:
    """HTTP request to 127.0.0.1:PORT (basic auth unless USER is None); return (status, JSON or text)."""
    headers = {"Content-Type": "application/json"}
    if user is not None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                 method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw)
        except ValueError:
            return err.code, raw.decode()


def test_image_metadata(docker_resources: DockerResources):
    require_image(IMAGE)
    cfg = image_config(IMAGE)
    assert cfg["User"] == "1000:0"
    assert {"9200/tcp", "9300/tcp"} <= set(cfg["ExposedPorts"])
    assert cfg["Entrypoint"] == ["/usr/bin/tini", "--", "/usr/local/bin/docker-entrypoint.sh"]
    assert cfg["Cmd"] == ["eswrapper"]
    out = docker_resources.run_once(
        IMAGE, "bash", "-c",
        "id; ls -d /usr/share/elasticsearch/data; stat -c '%u:%g' /usr/share/elasticsearch/data;"
        " ls /usr/share/elasticsearch/modules; elasticsearch-keystore --help >/dev/null && echo ks-ok").stdout
    assert "uid=1000(elasticsearch) gid=0(root)" in out
    assert "1000:0" in out
    assert "ks-ok" in out
    assert "x-pack-security" in out


def test_security_on_index_search_and_settings_from_env(env: DockerResources):
    c = env.run(IMAGE, env={
        **BASE_ENV,
        "xpack.security.enabled": "true",
        "xpack.security.http.ssl.enabled": "false",
        "xpack.security.transport.ssl.enabled": "false",
        "cluster.name": "ct-cluster",
        "ES_SETTING_NODE_NAME": "ct-node-1",
        "ELASTIC_PASSWORD": PASSWORD,
    }, args=["-p", "127.0.0.1::9200"])
    c.wait_healthy(timeout=240, interval=2)
    port = c.host_port(9200)

    # (GET / lives in the rest-root module, which the integ-test zip lacks)
    status, nodes = call(port, "/_nodes/_local")
    assert status == 200, nodes
    node = list(nodes["nodes"].values())[0]
    assert node["version"] == VERSION
    assert nodes["cluster_name"] == "ct-cluster"     # dotted env name
    assert node["name"] == "ct-node-1"               # ES_SETTING_* env name
    assert call(port, "/_cluster/health", password="wrong")[0] == 401
    assert call(port, "/_cluster/health", user=None)[0] == 401
    # While Elasticsearch moves `elastic` from the bootstrap password (ELASTIC_PASSWORD) to its
    # security index, a right password can briefly answer 401 too; the official image does the same.
    status, me = wait_until(lambda: (lambda r: r if r[0] == 200 else None)(call(port, "/_security/_authenticate")),
                            timeout=60, interval=2, what="elastic to authenticate with its password")
    assert status == 200 and me["username"] == "elastic"

    status, _ = call(port, "/books/_doc/1?refresh=true", method="PUT",
                     body={"title": "Contract testing", "pages": 42})
    assert status in (200, 201)
    status, res = call(port, "/books/_search", method="POST",
                       body={"query": {"match": {"title": "contract"}}})
    assert status == 200, res
    assert res["hits"]["total"]["value"] == 1
    assert res["hits"]["hits"][0]["_source"]["pages"] == 42
    # wrong password cannot write either
    assert call(port, "/books/_doc/2", method="PUT", password="nope", body={"x": 1})[0] == 401

    # native realm works (the security index can be created): API-made user,
    # built-in user password change
    status, res = call(port, "/_security/user/app1", method="POST",
                       body={"password": "app1-pass-123", "roles": ["viewer"]})
    assert status == 200, res
    status, me = call(port, "/_security/_authenticate", user="app1", password="app1-pass-123")
    assert status == 200 and me["username"] == "app1", me
    status, res = call(port, "/_security/user/kibana_system/_password", method="POST",
                       body={"password": "kibana-pass-123"})
    assert status == 200, res
    assert call(port, "/_security/_authenticate", user="kibana_system",
                password="kibana-pass-123")[0] == 200

    # ES_JAVA_OPTS applied: 512m heap
    status, nodes = call(port, "/_nodes/jvm")
    heap = [n["jvm"]["mem"]["heap_max_in_bytes"] for n in nodes["nodes"].values()]
    assert heap == [512 * 1024 * 1024]
    # the bootstrap password went through the keystore like the official image
    keys = c.exec("elasticsearch-keystore", "list", timeout=120).stdout.split()
    assert "bootstrap.password" in keys
    # data lives in /usr/share/elasticsearch/data, process runs as uid 1000
    assert c.exec("bash", "-c", "ls /usr/share/elasticsearch/data", timeout=120).stdout.strip()
    status_lines = c.exec("bash", "-c",
                          "grep -l elasticsearch /proc/[0-9]*/cmdline | head -1 | "
                          "xargs dirname | xargs -I{} grep '^Uid:' {}/status", timeout=120).stdout
    assert status_lines.split()[1] == "1000"
    # logs go to stdout as ECS JSON
    assert '"ecs.version"' in c.logs(None) or '"@timestamp"' in c.logs(None)


def test_elastic_password_file(env: DockerResources, tmp_path):
    secret = tmp_path / "elastic-pw"
    secret.write_text(PASSWORD)
    os.chown(secret, 1000, 0)
    secret.chmod(0o600)
    c = env.run(IMAGE, env={
        **BASE_ENV,
        "xpack.security.enabled": "true",
        "xpack.security.http.ssl.enabled": "false",
        "ELASTIC_PASSWORD_FILE": "/run/secrets/elastic-pw",
    }, args=["-p", "127.0.0.1::9200"], volumes=[f"{secret}:/run/secrets/elastic-pw:ro"])
    c.wait_healthy(timeout=240, interval=2)
    port = c.host_port(9200)
    assert call(port, "/_cluster/health")[0] == 200
    assert call(port, "/_cluster/health", password="wrong")[0] == 401

    # like the official image: a secret file readable by others is refused
    loose = tmp_path / "loose-pw"
    loose.write_text(PASSWORD)
    loose.chmod(0o644)
    proc = env.run_once(IMAGE, args=["-e", "ELASTIC_PASSWORD_FILE=/run/secrets/pw",
                                     "-v", f"{loose}:/run/secrets/pw:ro"], check=False, timeout=120)
    assert proc.returncode != 0
    assert "must have file permissions 400 or 600" in proc.stdout + proc.stderr


def test_security_disabled(env: DockerResources):
    c = env.run(IMAGE, env={**BASE_ENV, "xpack.security.enabled": "false"},
                args=["-p", "127.0.0.1::9200"])
    c.wait_healthy(timeout=240, interval=2)
    port = c.host_port(9200)
    status, health = call(port, "/_cluster/health", user=None)
    assert status == 200 and health["status"] in ("green", "yellow")


def test_security_autoconfiguration_like_official_image(env: DockerResources):
    # no xpack.security.* setting: the node auto-configures security with TLS
    # on HTTP (as the official image does); ELASTIC_PASSWORD still applies.
    c = env.run(IMAGE, env={**BASE_ENV, "ELASTIC_PASSWORD": PASSWORD})
    c.wait_healthy(timeout=240, interval=2)
    yml = c.exec("cat", "config/elasticsearch.yml").stdout
    assert "xpack.security.http.ssl:" in yml and "certs/http.p12" in yml

    def code(*args: str) -> str:
        """HTTP status code of a curl inside the container."""
        return c.exec("curl", "-s", "-k", "-o", "/dev/null", "-w", "%{http_code}",
                      *args, check=False, timeout=120).stdout

    assert code("-u", f"elastic:{PASSWORD}", "https://127.0.0.1:9200/_cluster/health") == "200"
    assert code("-u", "elastic:wrong", "https://127.0.0.1:9200/_cluster/health") == "401"
    assert code("-u", f"elastic:{PASSWORD}", "http://127.0.0.1:9200/_cluster/health") != "200"
