"""Shared fixtures and helpers for the image contract tests.

The contract tests check that an image built by the image factory behaves like
the official image it stands in for, as far as the appstack roles rely on it.
They drive the docker CLI through subprocess (no Python Docker SDK needed).

Generic building blocks, reusable for any image:

* ``docker(*args)``           run the docker CLI, bounded by a timeout
* ``require_image(ref)``      skip the test (with the reason) if docker or the image is missing
* ``wait_until(fn, ...)``     bounded polling loop (attempts *and* wall time)
* ``unique_name(label)``     a unique, docker- and DNS-safe resource name
* fixtures ``docker_resources`` (function scope) and ``docker_resources_module``
  (module scope): a ``DockerResources`` that creates uniquely named containers,
  volumes and networks and always removes them in teardown
* fixture ``docker_stack``: a ``DockerResources`` whose containers all join one
  private network, where they reach each other by container name or by the
  ``aliases`` given to ``run()``
* ``DockerResources.run_once(...)``  a one-shot ``docker run --rm`` (stdout and
  stderr kept apart), uniquely named and removed even on timeout
* ``Container``               exec / logs / inspect / ip / host_port / restart / wait helpers
* ``parse_metrics(text)``, ``metric(metrics, name)``  read Prometheus text format

Example::

    def test_something(docker_resources):
        require_image("appstack/redis:8.0")
        c = docker_resources.run("appstack/redis:8.0", "--requirepass", "pw")
        c.wait_exec("redis-cli", "-a", "pw", "--no-auth-warning", "ping", expect="PONG")
        assert c.exec("id", "-u", "redis").stdout.strip() == "999"

Images are assumed to exist (CI builds them first with the image factory:
``ansible-playbook playbooks/images.yml``); a missing image is a skip, not a
failure. Traffic stays on the Docker host: tests reach containers through
``docker exec``, the containers' own bridge addresses, or a port published on
127.0.0.1 only (``args=["-p", "127.0.0.1::PORT"]`` and ``Container.host_port``).
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import tarfile
import time
import uuid
from typing import Any, Callable, Iterable, Iterator, Mapping, TypeVar

import pytest
# Shared with the unit test that runs promtool (tests/image_checks.py).
from image_checks import docker_available, image_exists, require_image  # noqa: F401

T = TypeVar("T")

DOCKER = os.environ.get("DOCKER", "docker")
#: Default bound for one docker CLI call (seconds).
DOCKER_CALL_TIMEOUT = float(os.environ.get("CONTRACT_DOCKER_TIMEOUT", "60"))
#: Default bound for a container to become ready (seconds).
READY_TIMEOUT = float(os.environ.get("CONTRACT_READY_TIMEOUT", "60"))
#: Default bound for a one-shot ``docker run --rm`` (seconds); JVM images start slowly.
RUN_ONCE_TIMEOUT = float(os.environ.get("CONTRACT_RUN_ONCE_TIMEOUT", "120"))
#: Every resource name starts with this, so leftovers are easy to find.
NAME_PREFIX = "ct"
#: Label on every container, volume and network the tests create.
LABEL = "org.appstack.contract-test=1"


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


def image_config(ref: str) -> dict:
    """``docker image inspect`` of REF, the ``Config`` part."""
    return json.loads(docker("image", "inspect", ref).stdout)[0]["Config"]


def unique_name(label: str) -> str:
    """A unique name: ct-<label>-<8 hex>.

    Only ``[a-z0-9-]``, at most 52 characters: valid for docker and usable as a
    host name, since other containers on a user-defined network resolve it.
    """
    label = re.sub(r"[^a-z0-9-]+", "-", label.lower())[:40].strip("-") or "x"
    return f"{NAME_PREFIX}-{label}-{uuid.uuid4().hex[:8]}"


class StopWaiting(Exception):
    """Raised by a ``wait_until`` predicate to give up at once (e.g. the container exited)."""


def wait_until(
    predicate: Callable[[], T],
    timeout: float = READY_TIMEOUT,
    interval: float = 0.5,
    what: str = "condition",
    diagnostics: Callable[[], str] | None = None,
) -> T:
    """Poll PREDICATE until it returns something truthy and return that.

    Bounded both in wall time (TIMEOUT) and in attempts; exceptions raised by
    the predicate count as "not yet", except ``StopWaiting``, which ends the
    wait at once (propagated). On timeout raise AssertionError with the last
    result and, if given, the output of DIAGNOSTICS (e.g. container logs).
    """
    deadline = time.monotonic() + timeout
    attempts = max(1, int(timeout / interval) + 1)
    last: object = None
    for _ in range(attempts):
        try:
            last = predicate()
        except StopWaiting:
            raise
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

    def __init__(self, name: str, image: str) -> None:
        self.name = name
        self.image = image

    def __repr__(self) -> str:
        return f"Container({self.name!r}, {self.image!r})"

    # -- inspection -------------------------------------------------------
    def inspect(self) -> dict:
        """``docker container inspect`` of this container."""
        return json.loads(docker("container", "inspect", self.name).stdout)[0]

    def state(self) -> dict:
        """The ``State`` part of ``inspect()``."""
        return self.inspect()["State"]

    def running(self) -> bool:
        """True while the container runs."""
        return bool(self.state().get("Running"))

    def ip(self) -> str:
        """The container's address on its (first) network."""
        nets = self.inspect()["NetworkSettings"]["Networks"]
        for net in nets.values():
            if net.get("IPAddress"):
                return net["IPAddress"]
        raise AssertionError(f"{self.name} has no IP address: {nets}")

    def host_port(self, port: int, proto: str = "tcp") -> int:
        """The 127.0.0.1 host port that container PORT is published on.

        Publish with ``args=["-p", "127.0.0.1::PORT"]``; only loopback
        bindings count, so tests never talk to an externally reachable port.
        """
        lines = docker("port", self.name, f"{port}/{proto}").stdout.strip().splitlines()
        for line in lines:
            if line.startswith("127.0.0.1:"):
                return int(line.rsplit(":", 1)[1])
        raise AssertionError(f"no 127.0.0.1 port published for {self.name}:{port}/{proto}: {lines}")

    def logs(self, tail: int | None = 200) -> str:
        """stdout + stderr of the container, the last TAIL lines (None: all)."""
        args = ["logs"] + (["--tail", str(tail)] if tail else []) + [self.name]
        proc = docker(*args, check=False)
        return proc.stdout + proc.stderr

    def diagnostics(self) -> str:
        """Status and the last log lines, for failure messages."""
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

    def sh(self, script: str, **kwargs: Any) -> subprocess.CompletedProcess:
        """Run a /bin/sh -c SCRIPT in the container."""
        return self.exec("sh", "-c", script, **kwargs)

    # -- waiting --------------------------------------------------------
    def wait_exec(
        self,
        *cmd: str,
        expect: str | None = None,
        timeout: float = READY_TIMEOUT,
        interval: float = 0.5,
        **kwargs: Any,
    ) -> subprocess.CompletedProcess:
        """Wait until CMD exits 0 (and its stdout contains EXPECT, if given); return its result.

        KWARGS go to ``exec()`` (user, env, ...). Fails early if the container stops running.
        """

        def attempt() -> subprocess.CompletedProcess | None:
            proc = self.exec(*cmd, check=False, timeout=min(30, timeout), **kwargs)
            if proc.returncode == 0 and (expect is None or expect in proc.stdout):
                return proc
            if not self.running():
                raise _Stopped(f"{self.name} is not running")
            return None

        try:
            return wait_until(attempt, timeout=timeout, interval=interval, what=f"{list(cmd)} in {self.name}", diagnostics=self.diagnostics)
        except _Stopped as exc:
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
        """Wait for Docker's health status 'healthy' (image or run must define a healthcheck).

        Fails early if the container stops running.
        """

        def healthy() -> bool:
            state = self.state()
            if not state.get("Running"):
                raise _Stopped(f"{self.name} is not running (status {state.get('Status')}, exit {state.get('ExitCode')})")
            return (state.get("Health") or {}).get("Status") == "healthy"

        try:
            wait_until(healthy, timeout=timeout, interval=interval, what=f"{self.name} healthy", diagnostics=self.diagnostics)
        except _Stopped as exc:
            raise AssertionError(f"{exc}\n{self.diagnostics()}") from None

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
        """``docker restart`` (SIGTERM, then SIGKILL after STOP_TIMEOUT seconds)."""
        docker("restart", "-t", str(stop_timeout), self.name, timeout=stop_timeout + 30)

    def stop(self, stop_timeout: int = 20) -> None:
        """``docker stop`` (SIGTERM, then SIGKILL after STOP_TIMEOUT seconds)."""
        docker("stop", "-t", str(stop_timeout), self.name, timeout=stop_timeout + 30)

    def start(self) -> None:
        """``docker start``."""
        docker("start", self.name)


class _Stopped(StopWaiting):
    """The container being waited on is no longer running."""


class DockerResources:
    """Creates uniquely named containers/volumes/networks; ``cleanup()`` removes them all.

    ``default_network``, if set, is the network ``run()`` attaches containers
    to when no ``network`` is given (see the ``docker_stack`` fixture).
    """

    def __init__(self, label: str, default_network: str | None = None) -> None:
        self.label = label
        self.default_network = default_network
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
        aliases: Iterable[str] = (),
        args: Iterable[str] = (),
        name: str | None = None,
        start: bool = True,
    ) -> Container:
        """Create (and start) a detached container of IMAGE running COMMAND.

        ENV values are passed as strings. VOLUMES are ``-v`` specs. FILES
        ({absolute path: content or (content, mode)}) are copied into the
        container before it starts (``docker cp``; owned by root, so make them
        world-readable for non-root images). NETWORK defaults to
        ``default_network``; ALIASES are extra DNS names on it
        (``--network-alias``; the container name resolves anyway). ARGS are
        extra ``docker create`` options (e.g. ``-p 127.0.0.1::PORT``).
        """
        name = name or unique_name(f"{self.label}")
        network = network or self.default_network
        aliases = list(aliases)
        if aliases and not network:
            raise ValueError("network aliases need a user-defined network (network= or docker_stack)")
        create = ["create", "--name", name, "--label", LABEL]
        for key, value in (env or {}).items():
            create += ["-e", f"{key}={value}"]
        if user:
            create += ["--user", user]
        for spec in volumes:
            create += ["-v", spec]
        if network:
            create += ["--network", network]
        for alias in aliases:
            create += ["--network-alias", alias]
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

    def run_once(
        self,
        image: str,
        *command: str,
        args: Iterable[str] = (),
        check: bool = True,
        timeout: float = RUN_ONCE_TIMEOUT,
    ) -> subprocess.CompletedProcess:
        """``docker run --rm`` IMAGE COMMAND in the foreground; return the CompletedProcess.

        stdout and stderr stay apart (unlike ``Container.logs``). The container
        is uniquely named and tracked, so ``cleanup()`` removes it even when the
        call times out. ARGS are extra ``docker run`` options (``--entrypoint``,
        ``-e``, ``-v``...); it runs on the default bridge network.
        """
        name = unique_name(f"{self.label}-once")
        self.containers.append(Container(name, image))
        return docker(
            "run", "--rm", "--name", name, "--label", LABEL, *args, image, *command,
            check=check, timeout=timeout,
        )

    def remove(self, container: Container) -> None:
        """Remove CONTAINER now (``docker rm -f -v``), e.g. to start a successor with its alias."""
        docker("rm", "-f", "-v", container.name, timeout=60)
        self.containers.remove(container)

    def volume(self, label: str = "vol") -> str:
        """Create a uniquely named volume; return its name."""
        name = unique_name(f"{self.label}-{label}")
        self.volumes.append(name)
        docker("volume", "create", "--label", LABEL, name)
        return name

    def network(self, label: str = "net") -> str:
        """Create a uniquely named bridge network; return its name."""
        name = unique_name(f"{self.label}-{label}")
        self.networks.append(name)
        docker("network", "create", "--label", LABEL, name)
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
def docker_resources(request: pytest.FixtureRequest) -> Iterator[DockerResources]:
    """Function-scoped DockerResources; everything is removed after the test, pass or fail."""
    if not docker_available():
        pytest.skip("docker CLI/daemon not available")
    res = DockerResources(request.node.name)
    try:
        yield res
    finally:
        res.cleanup()


@pytest.fixture(scope="module")
def docker_resources_module(request: pytest.FixtureRequest) -> Iterator[DockerResources]:
    """Module-scoped DockerResources, for one container shared by several tests."""
    if not docker_available():
        pytest.skip("docker CLI/daemon not available")
    res = DockerResources(request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_"))
    try:
        yield res
    finally:
        res.cleanup()


@pytest.fixture
def docker_stack(docker_resources: DockerResources) -> DockerResources:
    """``docker_resources`` with a private, uniquely named network as ``default_network``.

    Every container the test runs joins it, so containers reach each other by
    container name or by the ``aliases`` given to ``run()``; ``-p`` publishing
    still works. The network is removed in teardown with everything else.
    """
    docker_resources.default_network = docker_resources.network("net")
    return docker_resources


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text format -> {series (name with labels): value}.

    A simple parser: the value is the last space-separated field (samples
    with a timestamp are not supported); comments and unreadable lines are
    skipped.
    """
    out: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        try:
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
        except ValueError:
            continue
    return out


def metric(metrics: Mapping[str, float], name: str) -> list[float]:
    """Values of all series of metric NAME (any labels), from ``parse_metrics``."""
    return [v for k, v in metrics.items() if k == name or k.startswith(name + "{")]
