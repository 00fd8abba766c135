"""Contract tests for appstack/nginx (stands in for library/nginx)."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from conftest import DockerResources, docker, image_config, require_image, wait_until

IMAGE = "appstack/nginx:1.26"


@pytest.fixture
def env(docker_stack: DockerResources) -> DockerResources:
    """docker_stack (private network, removed in teardown), once the image exists."""
    require_image(IMAGE)
    return docker_stack


def test_image_metadata():
    require_image(IMAGE)

    cfg = image_config(IMAGE)
    assert cfg["Cmd"] == ["nginx", "-g", "daemon off;"]
    assert set(cfg["ExposedPorts"]) == {"80/tcp", "443/tcp"}
    assert cfg["StopSignal"] == "SIGQUIT"
    assert cfg["Healthcheck"]["Test"][0] == "CMD-SHELL"


def test_nginx_t_and_layout(docker_resources: DockerResources):
    require_image(IMAGE)
    proc = docker_resources.run_once(IMAGE, "nginx", "-t")
    assert "test is successful" in proc.stderr
    out = docker_resources.run_once(
        IMAGE, "-c",
        "id nginx; readlink /var/log/nginx/access.log /var/log/nginx/error.log;"
        " grep -c 'include /etc/nginx/conf.d/\\*.conf;' /etc/nginx/nginx.conf;"
        " test -f /etc/nginx/conf.d/default.conf && echo has-default;"
        " test -f /usr/share/nginx/html/index.html && echo has-index;"
        " command -v curl",
        args=["--entrypoint", "sh"],
    ).stdout
    assert "uid=101(nginx) gid=101(nginx)" in out
    assert "/dev/stdout" in out and "/dev/stderr" in out
    assert "has-default" in out and "has-index" in out
    assert "/usr/bin/curl" in out
    assert "\n1\n" in out


def test_serves_default_page_logs_and_health(env: DockerResources):
    c = env.run(IMAGE, args=["-p", "127.0.0.1::80"])
    c.wait_healthy(timeout=60, interval=2)
    port = c.host_port(80)
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read().decode()
    assert "Welcome to nginx!" in body
    # access log goes to the container's stdout
    wait_until(lambda: '"GET / HTTP/1.1" 200' in docker("logs", c.name).stdout,
               timeout=20, interval=1, what="access log line on stdout", diagnostics=c.diagnostics)
    # workers run as uid 101 (master as root), like the official image
    uids = c.exec("sh", "-c",
                  "for p in /proc/[0-9]*; do n=$(cat $p/comm); "
                  "u=$(awk '/^Uid:/{print $2}' $p/status); echo \"$n $u\"; done").stdout
    assert any(line.split() == ["nginx", "101"] for line in uids.splitlines()), uids
    assert any(line.split() == ["nginx", "0"] for line in uids.splitlines()), uids
    # a 404 is served by nginx and logged to stdout too
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/missing", timeout=10)
    assert err.value.code == 404


def test_conf_d_and_templates_change_behaviour(env: DockerResources, tmp_path):
    confd = tmp_path / "conf.d"
    confd.mkdir()
    (confd / "default.conf").write_text(
        "server { listen 80; location / { return 200 'from-conf-d\\n'; } }\n")
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "api.conf.template").write_text(
        "server { listen ${API_PORT}; location / { return 200 '${GREETING} $host\\n'; } }\n")
    c = env.run(
        IMAGE,
        env={"API_PORT": "8081", "GREETING": "hello-from-env"},
        volumes=[f"{confd}/default.conf:/etc/nginx/conf.d/default.conf:ro",
                 f"{templates}:/etc/nginx/templates:ro"],
    )
    c.wait_healthy(timeout=60, interval=2)
    assert c.exec("curl", "-fsS", "http://127.0.0.1/").stdout == "from-conf-d\n"
    # envsubst replaced only defined variables; nginx's own $host survived
    assert c.exec("curl", "-fsS", "http://127.0.0.1:8081/").stdout == "hello-from-env 127.0.0.1\n"
    assert "test is successful" in c.exec("nginx", "-t").stderr
    # nginx -s reload picks up a changed conf.d file
    c.exec("sh", "-c",
           "printf 'server { listen 8082; location / { return 200 \"reloaded\\\\n\"; } }\\n'"
           " > /etc/nginx/conf.d/extra.conf && nginx -s reload")
    out = wait_until(
        lambda: c.exec("curl", "-fsS", "http://127.0.0.1:8082/", check=False).stdout,
        timeout=20, interval=1, what="reloaded server", diagnostics=c.diagnostics)
    assert out == "reloaded\n"


def test_client_from_another_container(env: DockerResources):
    c = env.run(IMAGE)
    c.wait_healthy(timeout=60, interval=2)
    client = env.run(IMAGE, "sleep", "300")
    out = client.exec("curl", "-fsS", f"http://{c.name}/").stdout
    assert "Welcome to nginx!" in out
