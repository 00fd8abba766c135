"""Shared fixtures and helpers for the image contract tests.

The contract tests check that an image built by the image factory behaves like
the official image it stands in for, as far as the appstack roles rely on it.
They drive the docker CLI through subprocess (no Python Docker SDK needed).

Generic building blocks, reusable for any image:

* ``docker(*args)``           run the docker CLI, bounded by a timeout
* ``require_image(ref)``      skip the test (with the reason) if docker or the image is missing
* ``wait_until(fn, ...)``     bounded polling loop (attempts *and* wall time)
* fixtures ``docker_resources`` (function scope) and ``docker_resources_module``
  (module scope): a ``DockerResources`` that creates uniquely named containers,
  volumes and networks and always removes them in teardown
* ``Container``               exec / logs / inspect / ip / restart / wait helpers

Example::

    def test_something(docker_resources):
        require_image("appstack/redis:8.0")
        c = docker_resources.run("appstack/redis:8.0", "--requirepass", "pw")
        c.wait_exec("redis-cli", "-a", "pw", "--no-auth-warning", "ping", expect="PONG")
        assert c.exec("id", "-u", "redis").stdout.strip() == "999"

Images are assumed to exist (CI builds them first with the image factory:
``ansible-playbook playbooks/images.yml``); a missing image is a skip, not a
failure. Traffic stays on the Docker host: tests reach containers through
``docker exec`` or the containers' own bridge addresses.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
import uuid
from typing import Callable, Iterable, Mapping

import pytest

DOCKER = os.environ.get("DOCKER", "docker")
#: Default bound for one docker CLI call (seconds).
DOCKER_CALL_TIMEOUT = float(os.environ.get("CONTRACT_DOCKER_TIMEOUT", "60"))
#: Default bound for a container to become ready (seconds).
READY_TIMEOUT = float(os.environ.get("CONTRACT_READY_TIMEOUT", "60"))
#: Every resource name starts with this, so leftovers are easy to find.
NAME_PREFIX = "ct"


class DockerCommandError(AssertionError):
    """A docker CLI call failed (an AssertionError, so pytest shows it as a failure)."""


def docker(
    *args: str,
    check: bool = True,
    timeout: float = DOCKER_CALL_TIMEOUT,
    input: str | bytes | None = None,
    text: bool = True,
) -> subprocess.CompletedProcess:
    """Run ``docker ARGS``; return the CompletedProcess; raise on failure if ``check``."""
    cmd = [DOCKER, *[str(a) for a in args]]
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            timeout=timeout,
            input=input,
            text=text,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise DockerCommandError(f"timed out after {timeout}s: {' '.join(cmd)}") from exc
    if check and proc.returncode != 0:
        out, err = proc.stdout, proc.stderr
        if not text:
            out, err = out.decode(errors="replace"), err.decode(errors="replace")
        raise DockerCommandError(
            f"{' '.join(cmd)} failed (rc={proc.returncode})\nstdout: {out[-3000:]}\nstderr: {err[-3000:]}"
        )
    return proc


_docker_ok: bool | None = None


def docker_available() -> bool:
    """True if the docker CLI exists and the daemon answers (cached)."""
    global _docker_ok
    if _docker_ok is None:
        if shutil.which(DOCKER) is None:
            _docker_ok = False
        else:
            try:
                _docker_ok = docker("version", "--format", "{{.Server.Version}}", check=False, timeout=20).returncode == 0
            except DockerCommandError:
                _docker_ok = False
    return _docker_ok


def image_exists(ref: str) -> bool:
    return docker("image", "inspect", ref, check=False, timeout=30).returncode == 0


def require_image(ref: str) -> None:
    """Skip the calling test unless docker works and image REF exists locally.

    With APPSTACK_REQUIRE_IMAGES=1 (the project's test command) a missing image fails instead:
    CI builds every image first, so a skip there would hide a broken factory.
    """
    missing = pytest.fail if os.environ.get("APPSTACK_REQUIRE_IMAGES") == "1" else pytest.skip
    if not docker_available():
        missing(f"docker CLI/daemon not available (needed for {ref})")
    if not image_exists(ref):
        missing(f"image {ref} is not present; build it first: ansible-playbook playbooks/images.yml")


def image_config(ref: str) -> dict:
    """``docker image inspect`` of REF, the ``Config`` part."""
    return json.loads(docker("image", "inspect", ref).stdout)[0]["Config"]


def unique_name(label: str) -> str:
    """A docker-safe unique name: ct-<label>-<8 hex>."""
    label = re.sub(r"[^a-zA-Z0-9_.-]+", "-", label).strip("-.").lower()[:40] or "x"
    return f"{NAME_PREFIX}-{label}-{uuid.uuid4().hex[:8]}"


def wait_until(
    predicate: Callable[[], object],
    timeout: float = READY_TIMEOUT,
    interval: float = 0.5,
    what: str = "condition",
    diagnostics: Callable[[], str] | None = None,
):
    """Poll PREDICATE until it returns something truthy and return that.

    Bounded both in wall time (TIMEOUT) and in attempts; exceptions raised by
    the predicate count as "not yet". On timeout raise AssertionError with the
    last result and, if given, the output of DIAGNOSTICS (e.g. container logs).
    """
    deadline = time.monotonic() + timeout
    attempts = max(1, int(timeout / interval) + 1)
    last: object = None
    for _ in range(attempts):
        try:
            last = predicate()
        except Exception as exc:  # noqa: BLE001 - keep polling; reported at the end
            last = exc
        else:
            if last:
                return last
        if time.monotonic() + interval > deadline:
            break
        time.sleep(interval)
    extra = ""
    if diagnostics is not None:
        try:
            extra = "\n" + diagnostics()
        except Exception as exc:  # noqa: BLE001
            extra = f"\n(diagnostics failed: {exc})"
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last result: {last!r}{extra}")


def _tar_of(files: Mapping[str, object]) -> bytes:
    """Tar (in memory) FILES: {absolute path: content | (content, mode)}; parents get 0755."""
    buf = io.BytesIO()
    now = int(time.time())
    with tarfile.open(fileobj=buf, mode="w") as tar:
        dirs: set[str] = set()
        for path in sorted(files):
            parts = path.strip("/").split("/")
            for i in range(1, len(parts)):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    info = tarfile.TarInfo(d)
                    info.type = tarfile.DIRTYPE
                    info.mode = 0o755
                    info.mtime = now
                    tar.addfile(info)
        for path, spec in files.items():
            content, mode = (spec if isinstance(spec, tuple) else (spec, 0o644))
            data = content.encode() if isinstance(content, str) else bytes(content)
            info = tarfile.TarInfo(path.strip("/"))
            info.size = len(data)
            info.mode = mode
            info.mtime = now
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class Container:
    """A container created by DockerResources.run()."""

    def __init__(self, name: str, image: str):
        self.name = name
        self.image = image

    def __repr__(self) -> str:
        return f"Container({self.name!r}, {self.image!r})"

    # -- inspection -------------------------------------------------------
    def inspect(self) -> dict:
        return json.loads(docker("container", "inspect", self.name).stdout)[0]

    def state(self) -> dict:
        return self.inspect()["State"]

    def running(self) -> bool:
        return bool(self.state().get("Running"))

    def ip(self) -> str:
        """The container's address on its (first) network."""
        nets = self.inspect()["NetworkSettings"]["Networks"]
        for net in nets.values():
            if net.get("IPAddress"):
                return net["IPAddress"]
        raise AssertionError(f"{self.name} has no IP address: {nets}")

    def logs(self, tail: int | None = 200) -> str:
        args = ["logs"] + (["--tail", str(tail)] if tail else []) + [self.name]
        proc = docker(*args, check=False)
        return proc.stdout + proc.stderr

    def diagnostics(self) -> str:
        try:
            st = self.state()
            status = f"status={st.get('Status')} exit={st.get('ExitCode')} health={st.get('Health', {}).get('Status')}"
        except Exception as exc:  # noqa: BLE001
            status = f"(inspect failed: {exc})"
        return f"--- {self.name} ({self.image}) {status}; last logs:\n{self.logs(60)}"

    # -- exec ---------------------------------------------------------------
    def exec(
        self,
        *cmd: str,
        user: str | None = None,
        env: Mapping[str, str] | None = None,
        workdir: str | None = None,
        check: bool = True,
        timeout: float = 30,
        input: str | None = None,
    ) -> subprocess.CompletedProcess:
        """``docker exec`` CMD in the container; raises on failure if CHECK."""
        args = ["exec"]
        if input is not None:
            args.append("-i")
        if user:
            args += ["--user", user]
        if workdir:
            args += ["--workdir", workdir]
        for key, value in (env or {}).items():
            args += ["-e", f"{key}={value}"]
        args += [self.name, *cmd]
        proc = docker(*args, check=False, timeout=timeout, input=input)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"exec {list(cmd)} in {self.name} failed (rc={proc.returncode})\n"
                f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}"
            )
        return proc

    def sh(self, script: str, **kwargs) -> subprocess.CompletedProcess:
        """Run a /bin/sh -c SCRIPT in the container."""
        return self.exec("sh", "-c", script, **kwargs)

    # -- waiting --------------------------------------------------------
    def wait_exec(self, *cmd: str, expect: str | None = None, timeout: float = READY_TIMEOUT, interval: float = 0.5, **kwargs):
        """Wait until CMD exits 0 (and its stdout contains EXPECT, if given); return its result.

        Fails early if the container stops running.
        """

        def attempt():
            proc = self.exec(*cmd, check=False, timeout=min(30, timeout), **kwargs)
            if proc.returncode == 0 and (expect is None or expect in proc.stdout):
                return proc
            if not self.running():
                raise _Stopped(f"{self.name} is not running")
            return None

        try:
            return wait_until(attempt, timeout=timeout, interval=interval, what=f"{list(cmd)} in {self.name}", diagnostics=self.diagnostics)
        except _Stopped as exc:  # pragma: no cover - diagnostic path
            raise AssertionError(f"{exc}\n{self.diagnostics()}") from None

    def wait_log(self, pattern: str, timeout: float = READY_TIMEOUT, interval: float = 0.5) -> str:
        """Wait until the logs match the regex PATTERN; return the logs."""
        rx = re.compile(pattern)
        return wait_until(
            lambda: (lambda text: text if rx.search(text) else None)(self.logs(None)),
            timeout=timeout,
            interval=interval,
            what=f"log /{pattern}/ from {self.name}",
            diagnostics=self.diagnostics,
        )

    def wait_healthy(self, timeout: float = READY_TIMEOUT, interval: float = 1.0) -> None:
        """Wait for Docker's health status 'healthy' (image or run must define a healthcheck)."""
        wait_until(
            lambda: self.state().get("Health", {}).get("Status") == "healthy",
            timeout=timeout,
            interval=interval,
            what=f"{self.name} healthy",
            diagnostics=self.diagnostics,
        )

    def wait_exit(self, timeout: float = READY_TIMEOUT, interval: float = 0.5) -> int:
        """Wait until the container has stopped; return its exit code."""
        state = wait_until(
            lambda: (lambda st: st if not st.get("Running") and st.get("Status") in ("exited", "dead") else None)(self.state()),
            timeout=timeout,
            interval=interval,
            what=f"{self.name} to exit",
            diagnostics=self.diagnostics,
        )
        return int(state["ExitCode"])

    # -- lifecycle ------------------------------------------------------
    def restart(self, stop_timeout: int = 20) -> None:
        docker("restart", "-t", str(stop_timeout), self.name, timeout=stop_timeout + 30)

    def stop(self, stop_timeout: int = 20) -> None:
        docker("stop", "-t", str(stop_timeout), self.name, timeout=stop_timeout + 30)

    def start(self) -> None:
        docker("start", self.name)


class _Stopped(Exception):
    pass


class DockerResources:
    """Creates uniquely named containers/volumes/networks; ``cleanup()`` removes them all."""

    def __init__(self, label: str):
        self.label = label
        self.containers: list[Container] = []
        self.volumes: list[str] = []
        self.networks: list[str] = []

    def run(
        self,
        image: str,
        *command: str,
        env: Mapping[str, str] | None = None,
        user: str | None = None,
        volumes: Iterable[str] = (),
        files: Mapping[str, object] | None = None,
        network: str | None = None,
        args: Iterable[str] = (),
        name: str | None = None,
        start: bool = True,
    ) -> Container:
        """Create (and start) a detached container of IMAGE running COMMAND.

        ENV values are passed as strings. VOLUMES are ``-v`` specs. FILES
        ({absolute path: content or (content, mode)}) are copied into the
        container before it starts (``docker cp``; owned by root, so make them
        world-readable for non-root images). ARGS are extra ``docker create``
        options.
        """
        name = name or unique_name(f"{self.label}")
        create = ["create", "--name", name, "--label", "org.appstack.contract-test=1"]
        for key, value in (env or {}).items():
            create += ["-e", f"{key}={value}"]
        if user:
            create += ["--user", user]
        for spec in volumes:
            create += ["-v", spec]
        if network:
            create += ["--network", network]
        create += list(args)
        create += [image, *command]
        container = Container(name, image)
        self.containers.append(container)  # before create: cleanup is idempotent
        docker(*create)
        if files:
            docker("cp", "-", f"{name}:/", input=_tar_of(files), text=False)
        if start:
            container.start()
        return container

    def volume(self, label: str = "vol") -> str:
        name = unique_name(f"{self.label}-{label}")
        self.volumes.append(name)
        docker("volume", "create", "--label", "org.appstack.contract-test=1", name)
        return name

    def network(self, label: str = "net") -> str:
        name = unique_name(f"{self.label}-{label}")
        self.networks.append(name)
        docker("network", "create", "--label", "org.appstack.contract-test=1", name)
        return name

    def cleanup(self) -> None:
        """Remove everything created, ignoring what is already gone."""
        for container in reversed(self.containers):
            docker("rm", "-f", "-v", container.name, check=False, timeout=60)
        for net in reversed(self.networks):
            docker("network", "rm", net, check=False, timeout=60)
        for vol in reversed(self.volumes):
            docker("volume", "rm", "-f", vol, check=False, timeout=60)
        self.containers.clear()
        self.networks.clear()
        self.volumes.clear()


@pytest.fixture
def docker_resources(request):
    """Function-scoped DockerResources; everything is removed after the test, pass or fail."""
    if not docker_available():
        pytest.skip("docker CLI/daemon not available")
    res = DockerResources(request.node.name)
    try:
        yield res
    finally:
        res.cleanup()


@pytest.fixture(scope="module")
def docker_resources_module(request):
    """Module-scoped DockerResources, for one container shared by several tests."""
    if not docker_available():
        pytest.skip("docker CLI/daemon not available")
    res = DockerResources(request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_"))
    try:
        yield res
    finally:
        res.cleanup()
