"""Contract of appstack/redis:8.0 - the parts of the official redis:8.0 image the roles rely on.

See docs/images.md for the contract and the known differences.
"""

from __future__ import annotations

from conftest import image_config, require_image

IMAGE = "appstack/redis:8.0"
PASSWORD = "c0ntract-S3cret"


def cli(container, *args, password=None, host=None, port=None, check=True):
    cmd = ["redis-cli"]
    if host:
        cmd += ["-h", host]
    if port:
        cmd += ["-p", str(port)]
    if password is not None:
        cmd += ["-a", password, "--no-auth-warning"]
    return container.exec(*cmd, *args, check=check)


def wait_ready(container, password=None, port=None):
    cmd = ["redis-cli"] + (["-p", str(port)] if port else []) + (["-a", password, "--no-auth-warning"] if password else []) + ["ping"]
    return container.wait_exec(*cmd, expect="PONG", timeout=30)


def uid_of_pid1(container):
    status = container.exec("cat", "/proc/1/status").stdout
    return next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1]


def test_image_metadata():
    require_image(IMAGE)
    cfg = image_config(IMAGE)
    assert cfg["Entrypoint"] == ["docker-entrypoint.sh"]
    assert cfg["Cmd"] == ["redis-server"]
    assert "6379/tcp" in cfg["ExposedPorts"]
    assert "/data" in cfg["Volumes"]
    assert cfg["WorkingDir"] == "/data"
    assert cfg["Labels"]["org.appstack.recipe-hash"]


def test_requirepass_flag_only(docker_resources):
    require_image(IMAGE)
    # Only flags: the entrypoint must prepend redis-server.
    c = docker_resources.run(IMAGE, "--requirepass", PASSWORD)
    wait_ready(c, password=PASSWORD)
    assert cli(c, "ping", password=PASSWORD).stdout.strip() == "PONG"
    refused = cli(c, "ping", check=False)
    assert "NOAUTH" in refused.stdout + refused.stderr
    wrong = cli(c, "ping", password="wrong", check=False)
    assert "WRONGPASS" in wrong.stdout + wrong.stderr or "invalid" in (wrong.stdout + wrong.stderr).lower()
    # Reachable over the container network with the password (not only loopback).
    assert cli(c, "ping", host=c.ip(), password=PASSWORD).stdout.strip() == "PONG"
    assert "redis_version:8.0." in cli(c, "info", "server", password=PASSWORD).stdout


def test_runs_as_uid_999_without_config_file(docker_resources):
    require_image(IMAGE)
    c = docker_resources.run(IMAGE)
    wait_ready(c)
    assert uid_of_pid1(c) == "999"
    assert c.exec("id", "-u", "redis").stdout.strip() == "999"
    assert c.exec("id", "-g", "redis").stdout.strip() == "999"
    assert c.exec("stat", "-c", "%u:%g", "/data").stdout.strip() == "999:999"
    info = cli(c, "info", "server").stdout
    assert "config_file:\r\n" in info or "config_file:\n" in info  # no config file, like the official image
    assert cli(c, "config", "get", "dir").stdout.split() == ["dir", "/data"]
    # Official default: protected mode off, so other containers reach a password-less server.
    assert cli(c, "config", "get", "protected-mode").stdout.split() == ["protected-mode", "no"]
    assert cli(c, "ping", host=c.ip()).stdout.strip() == "PONG"
    for tool in ("redis-server", "redis-cli"):
        assert c.exec("sh", "-c", f"command -v {tool}").returncode == 0


def test_appendonly_data_persists_across_restart(docker_resources):
    require_image(IMAGE)
    vol = docker_resources.volume("data")
    c = docker_resources.run(IMAGE, "redis-server", "--appendonly", "yes", volumes=[f"{vol}:/data"])
    wait_ready(c)
    assert cli(c, "set", "contract:key", "kept").stdout.strip() == "OK"
    c.restart()
    wait_ready(c)
    assert cli(c, "get", "contract:key").stdout.strip() == "kept"
    owners = c.sh("find /data -mindepth 1 -exec stat -c %u {} + | sort -u").stdout.split()
    assert owners == ["999"]
    assert c.exec("test", "-d", "/data/appendonlydir").returncode == 0


def test_config_file_as_first_argument(docker_resources):
    require_image(IMAGE)
    conf = "port 6380\nprotected-mode yes\nrequirepass " + PASSWORD + "\n"
    c = docker_resources.run(IMAGE, "/usr/local/etc/redis/redis.conf", files={"/usr/local/etc/redis/redis.conf": conf})
    wait_ready(c, password=PASSWORD, port=6380)
    info = cli(c, "info", "server", password=PASSWORD, port=6380).stdout
    assert "config_file:/usr/local/etc/redis/redis.conf" in info
    # The config file's own protected-mode wins over the image default.
    assert cli(c, "config", "get", "protected-mode", password=PASSWORD, port=6380).stdout.split() == ["protected-mode", "yes"]


def test_started_as_user_999(docker_resources):
    require_image(IMAGE)
    vol = docker_resources.volume("data")
    c = docker_resources.run(IMAGE, "redis-server", "--appendonly", "yes", user="999:999", volumes=[f"{vol}:/data"])
    wait_ready(c)
    assert uid_of_pid1(c) == "999"
    assert cli(c, "set", "k", "v").stdout.strip() == "OK"


def test_other_commands_run_unchanged(docker_resources):
    require_image(IMAGE)
    c = docker_resources.run(IMAGE, "redis-cli", "--version")
    assert c.wait_exit(timeout=30) == 0
    assert "redis-cli 8.0" in c.logs(None)
