"""Contract tests for appstack/minio (stands in for minio/minio) and
appstack/mc (stands in for minio/mc)."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import Container, DockerResources, image_config, image_exists, require_image, wait_until

IMAGE = "appstack/minio:2025-10-15"
MC_IMAGE = "appstack/mc:2025-08-13"
MINIO_RELEASE = "RELEASE.2025-10-15T17-29-55Z"
MC_RELEASE = "RELEASE.2025-08-13T08-35-41Z"
USER = "contract-admin"
PASSWORD = "contract-secret-123"


@pytest.fixture
def env(docker_stack: DockerResources) -> DockerResources:
    """docker_stack (private network, removed in teardown), once the image exists."""
    require_image(IMAGE)
    return docker_stack


def status_of(port: int, path: str) -> int:
    """HTTP status of GET http://127.0.0.1:PORT/PATH."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def mc_client(env: DockerResources) -> Container:
    """A container with mc on the stack network (appstack/mc if built, else the minio image)."""
    image = MC_IMAGE if image_exists(MC_IMAGE) else IMAGE
    return env.run(image, "600", args=["--entrypoint", "sleep"])


def client_exec(client: Container, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    """``docker exec`` CMD (an mc call or a shell) in the mc client container."""
    return client.exec(*cmd, check=check, timeout=120)


def test_image_metadata_and_versions(docker_resources: DockerResources):
    require_image(IMAGE)
    cfg = image_config(IMAGE)
    assert cfg["User"] == "1000:1000"
    assert {"9000/tcp", "9001/tcp"} <= set(cfg["ExposedPorts"])
    assert "/data" in cfg["Volumes"]
    assert cfg["Cmd"] == ["minio"]
    assert "MINIO_ROOT_USER_FILE=access_key" in cfg["Env"]
    out = docker_resources.run_once(IMAGE, "--version").stdout
    assert f"minio version {MINIO_RELEASE}" in out
    out = docker_resources.run_once(IMAGE, "--version", args=["--entrypoint", "mc"]).stdout
    assert f"mc version {MC_RELEASE}" in out
    out = docker_resources.run_once(IMAGE, "-c", "id; stat -c %u:%g /data", args=["--entrypoint", "sh"]).stdout
    assert "uid=1000(minio) gid=1000(minio)" in out and "1000:1000" in out


def test_mc_image(docker_resources: DockerResources):
    require_image(MC_IMAGE)
    cfg = image_config(MC_IMAGE)
    assert cfg["Entrypoint"] == ["mc"]
    out = docker_resources.run_once(MC_IMAGE, "--version").stdout
    assert f"mc version {MC_RELEASE}" in out


def test_server_health_console_bucket_and_object(env: DockerResources):
    vol = env.volume("data")
    c = env.run(IMAGE, "server", "/data", "--console-address", ":9001",
                env={"MINIO_ROOT_USER": USER, "MINIO_ROOT_PASSWORD": PASSWORD},
                aliases=["objstore"], volumes=[f"{vol}:/data"],
                args=["-p", "127.0.0.1::9000", "-p", "127.0.0.1::9001"])
    c.wait_healthy(timeout=90, interval=2)
    port = c.host_port(9000)
    assert status_of(port, "/minio/health/live") == 200
    assert status_of(port, "/minio/health/ready") == 200
    console = c.host_port(9001)
    wait_until(lambda: status_of(console, "/") == 200, timeout=30, interval=1, what="console")
    # anonymous S3 access is refused
    assert status_of(port, "/") == 403

    client = mc_client(env)
    client_exec(client, "mc", "alias", "set", "store", "http://objstore:9000", USER, PASSWORD)
    client_exec(client, "mc", "mb", "store/contract-bucket")
    client_exec(client, "sh", "-c", "echo contract-payload > /tmp/obj.txt")
    client_exec(client, "mc", "cp", "/tmp/obj.txt", "store/contract-bucket/dir/obj.txt")
    assert client_exec(client, "mc", "cat", "store/contract-bucket/dir/obj.txt").stdout == \
        "contract-payload\n"
    listing = client_exec(client, "mc", "ls", "--recursive", "store/contract-bucket").stdout
    assert "dir/obj.txt" in listing
    # wrong credentials are rejected
    bad = client_exec(client, "mc", "alias", "set", "bad", "http://objstore:9000", USER,
                      "wrong-password-1", check=False)
    assert bad.returncode != 0 and "signature" in bad.stderr.lower()
    # MC_HOST_<alias> env configures an alias without a config file
    out = client_exec(client, "sh", "-c",
                      f"MC_HOST_envstore=http://{USER}:{PASSWORD}@objstore:9000 mc ls envstore").stdout
    assert "contract-bucket" in out
    # data on /data belongs to the image user and survives a new container
    owners = c.exec("sh", "-c", "find /data -newer /etc/hostname -printf '%u\\n' | sort -u").stdout
    assert owners.split() == ["minio"]
    env.remove(c)
    c2 = env.run(IMAGE, "server", "/data", env={"MINIO_ROOT_USER": USER,
                                                "MINIO_ROOT_PASSWORD": PASSWORD},
                 aliases=["objstore"], volumes=[f"{vol}:/data"])
    c2.wait_healthy(timeout=90, interval=2)
    assert client_exec(client, "mc", "cat", "store/contract-bucket/dir/obj.txt").stdout == \
        "contract-payload\n"


def test_root_credentials_from_secret_files(env: DockerResources, tmp_path):
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    secrets.chmod(0o755)
    (secrets / "access_key").write_text(USER + "\n")
    (secrets / "secret_key").write_text(PASSWORD + "\n")
    for f in secrets.iterdir():
        f.chmod(0o644)
    # the official image's defaults MINIO_ROOT_USER_FILE=access_key /
    # MINIO_ROOT_PASSWORD_FILE=secret_key resolve to /run/secrets/<name>
    c = env.run(IMAGE, "server", "/data", aliases=["objstore"],
                volumes=[f"{secrets}:/run/secrets:ro"])
    c.wait_healthy(timeout=90, interval=2)
    client = mc_client(env)
    client_exec(client, "mc", "alias", "set", "store", "http://objstore:9000", USER, PASSWORD)
    client_exec(client, "mc", "mb", "store/from-secrets")
    # an absolute *_FILE path works too
    c2 = env.run(IMAGE, "server", "/data", aliases=["objstore2"],
                 env={"MINIO_ROOT_USER_FILE": "/run/secrets/access_key",
                      "MINIO_ROOT_PASSWORD_FILE": "/run/secrets/secret_key"},
                 volumes=[f"{secrets}:/run/secrets:ro"])
    c2.wait_healthy(timeout=90, interval=2)
    client_exec(client, "mc", "alias", "set", "store2", "http://objstore2:9000", USER, PASSWORD)
    client_exec(client, "mc", "mb", "store2/abs-path")
    # without any credentials the server falls back to minioadmin (upstream behaviour)
    c3 = env.run(IMAGE, "server", "/data", aliases=["objstore3"])
    c3.wait_healthy(timeout=90, interval=2)
    client_exec(client, "mc", "alias", "set", "store3", "http://objstore3:9000",
                "minioadmin", "minioadmin")
    client_exec(client, "mc", "ls", "store3")
