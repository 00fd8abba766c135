"""Small helpers for the stack image contract tests (docker CLI via subprocess).

Every container and network a test creates has a unique name and is removed
in teardown; every wait loop is bounded both in attempts and in wall time.
Containers are reached only through ``docker exec`` or a port published on
127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from contextlib import contextmanager

import pytest


def docker(*args, check=True, timeout=120, input=None):
    """Run the docker CLI; return the CompletedProcess (text mode)."""
    proc = subprocess.run(
        ["docker", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"docker {' '.join(args)} failed rc={proc.returncode}\n"
            f"stdout: {proc.stdout[-3000:]}\nstderr: {proc.stderr[-3000:]}"
        )
    return proc


def image_exists(ref):
    return docker("image", "inspect", ref, check=False, timeout=30).returncode == 0


def require_image(ref):
    """Skip without the image; fail instead under APPSTACK_REQUIRE_IMAGES=1 (CI builds every image first)."""
    if not image_exists(ref):
        missing = pytest.fail if os.environ.get("APPSTACK_REQUIRE_IMAGES") == "1" else pytest.skip
        missing(f"image {ref} is not built: ansible-playbook playbooks/images.yml")


def unique(prefix):
    return f"ct-{prefix}-{uuid.uuid4().hex[:8]}"


def wait_until(predicate, timeout=60.0, interval=1.0, what="condition"):
    """Call predicate until it returns a truthy value; bounded in tries and time."""
    deadline = time.monotonic() + timeout
    tries = max(1, int(timeout / interval) + 1)
    last = None
    for _ in range(tries):
        try:
            last = predicate()
        except Exception as exc:  # noqa: BLE001 - keep polling, report at the end
            last = exc
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last result: {last!r}")


class Stack:
    """Tracks the containers/networks/volumes a test creates and removes them."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.containers = []
        self.networks = []
        self.volumes = []
        self.paths = []
        self.network = self.new_network()

    def new_network(self):
        name = unique(f"{self.prefix}-net")
        docker("network", "create", name)
        self.networks.append(name)
        return name

    def new_volume(self):
        name = unique(f"{self.prefix}-vol")
        docker("volume", "create", name)
        self.volumes.append(name)
        return name

    def run(self, image, *cmd, name=None, env=None, args=(), network=True, alias=None):
        """docker run -d on the stack's private network; returns the container name."""
        name = name or unique(self.prefix)
        argv = ["run", "-d", "--name", name]
        if network:
            argv += ["--network", self.network if network is True else network]
            argv += ["--network-alias", alias or name]
        for key, value in (env or {}).items():
            argv += ["-e", f"{key}={value}"]
        argv += list(args)
        argv.append(image)
        argv += list(cmd)
        self.containers.append(name)
        docker(*argv)
        return name

    def exec(self, container, *cmd, check=True, timeout=120, user=None, input=None):
        argv = ["exec"]
        if input is not None:
            argv.append("-i")
        if user:
            argv += ["-u", user]
        argv += [container, *cmd]
        return docker(*argv, check=check, timeout=timeout, input=input)

    def logs(self, container):
        proc = docker("logs", container, check=False, timeout=30)
        return proc.stdout + proc.stderr

    def inspect(self, container):
        return json.loads(docker("inspect", container).stdout)[0]

    def running(self, container):
        return self.inspect(container)["State"]["Running"]

    def health(self, container):
        state = self.inspect(container)["State"]
        return (state.get("Health") or {}).get("Status")

    def wait_healthy(self, container, timeout=120):
        def check():
            state = self.inspect(container)["State"]
            if not state["Running"]:
                raise AssertionError(f"{container} exited: {self.logs(container)[-3000:]}")
            return (state.get("Health") or {}).get("Status") == "healthy"

        try:
            wait_until(check, timeout=timeout, interval=2, what=f"{container} healthy")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nlogs:\n{self.logs(container)[-3000:]}") from None

    def host_port(self, container, port):
        out = docker("port", container, str(port)).stdout.strip().splitlines()
        for line in out:
            if line.startswith("127.0.0.1:"):
                return int(line.rsplit(":", 1)[1])
        raise AssertionError(f"no 127.0.0.1 port for {container}:{port}: {out}")

    def cleanup(self):
        for name in reversed(self.containers):
            docker("rm", "-f", "-v", name, check=False, timeout=60)
        for name in self.networks:
            docker("network", "rm", name, check=False, timeout=60)
        for name in self.volumes:
            docker("volume", "rm", "-f", name, check=False, timeout=60)


@contextmanager
def stack(prefix):
    s = Stack(prefix)
    try:
        yield s
    finally:
        s.cleanup()


def parse_metrics(text):
    """Prometheus text format -> {metric_name_with_labels: float} (simple parser)."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        try:
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
        except ValueError:
            continue
    return out


def metric(metrics, name):
    """Values of all series of a metric name (any labels)."""
    return [v for k, v in metrics.items() if k == name or k.startswith(name + "{")]
