"""Contract tests for appstack/nginx (stands in for library/nginx)."""

import json
import urllib.error
import urllib.request

import pytest

from _stack_helpers import docker, require_image, stack, wait_until

IMAGE = "appstack/nginx:1.26"


@pytest.fixture
def env():
    require_image(IMAGE)
    with stack("nginx") as s:
        yield s


def test_image_metadata():
    require_image(IMAGE)

    cfg = json.loads(docker("image", "inspect", IMAGE).stdout)[0]["Config"]
    assert cfg["Cmd"] == ["nginx", "-g", "daemon off;"]
    assert set(cfg["ExposedPorts"]) == {"80/tcp", "443/tcp"}
    assert cfg["StopSignal"] == "SIGQUIT"
    assert cfg["Healthcheck"]["Test"][0] == "CMD-SHELL"


def test_nginx_t_and_layout():
    require_image(IMAGE)
    proc = docker("run", "--rm", IMAGE, "nginx", "-t")
    assert "test is successful" in proc.stderr
    out = docker(
        "run", "--rm", "--entrypoint", "sh", IMAGE, "-c",
        "id nginx; readlink /var/log/nginx/access.log /var/log/nginx/error.log;"
        " grep -c 'include /etc/nginx/conf.d/\\*.conf;' /etc/nginx/nginx.conf;"
        " test -f /etc/nginx/conf.d/default.conf && echo has-default;"
        " test -f /usr/share/nginx/html/index.html && echo has-index;"
        " command -v curl",
    ).stdout
    assert "uid=101(nginx) gid=101(nginx)" in out
    assert "/dev/stdout" in out and "/dev/stderr" in out
    assert "has-default" in out and "has-index" in out
    assert "/usr/bin/curl" in out
    assert "\n1\n" in out


def test_serves_default_page_logs_and_health(env):
    c = env.run(IMAGE, args=["-p", "127.0.0.1::80"])
    env.wait_healthy(c, timeout=60)
    port = env.host_port(c, 80)
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read().decode()
    assert "Welcome to nginx!" in body
    # access log goes to the container's stdout
    wait_until(lambda: '"GET / HTTP/1.1" 200' in docker("logs", c).stdout,
               timeout=20, interval=1, what="access log line on stdout")
    # workers run as uid 101 (master as root), like the official image
    uids = env.exec(c, "sh", "-c",
                    "for p in /proc/[0-9]*; do n=$(cat $p/comm); "
                    "u=$(awk '/^Uid:/{print $2}' $p/status); echo \"$n $u\"; done").stdout
    assert any(line.split() == ["nginx", "101"] for line in uids.splitlines()), uids
    assert any(line.split() == ["nginx", "0"] for line in uids.splitlines()), uids
    # a 404 is served by nginx and logged to stdout too
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/missing", timeout=10)
    assert err.value.code == 404


def test_conf_d_and_templates_change_behaviour(env, tmp_path):
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
        args=["-v", f"{confd}/default.conf:/etc/nginx/conf.d/default.conf:ro",
              "-v", f"{templates}:/etc/nginx/templates:ro"],
    )
    env.wait_healthy(c, timeout=60)
    assert env.exec(c, "curl", "-fsS", "http://127.0.0.1/").stdout == "from-conf-d\n"
    # envsubst replaced only defined variables; nginx's own $host survived
    assert env.exec(c, "curl", "-fsS", "http://127.0.0.1:8081/").stdout == "hello-from-env 127.0.0.1\n"
    assert "test is successful" in env.exec(c, "nginx", "-t").stderr
    # nginx -s reload picks up a changed conf.d file
    env.exec(c, "sh", "-c",
             "printf 'server { listen 8082; location / { return 200 \"reloaded\\\\n\"; } }\\n'"
             " > /etc/nginx/conf.d/extra.conf && nginx -s reload")
    out = wait_until(
        lambda: env.exec(c, "curl", "-fsS", "http://127.0.0.1:8082/", check=False).stdout,
        timeout=20, interval=1, what="reloaded server")
    assert out == "reloaded\n"


def test_client_from_another_container(env):
    c = env.run(IMAGE)
    env.wait_healthy(c, timeout=60)
    client = env.run(IMAGE, "sleep", "300")
    out = env.exec(client, "curl", "-fsS", f"http://{c}/").stdout
    assert "Welcome to nginx!" in out
