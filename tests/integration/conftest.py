"""Helpers of the integration tests: real ansible-playbook runs and what a project left on the Docker host."""

from __future__ import annotations

import contextlib
import hashlib
import os
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = ROOT / "tests/integration/inventory.yml"
CONFIG_ROOT = Path("/etc/appstack")
#: Host files the docker_host role writes; a refused run must leave them alone too.
HOST_FILES = [Path("/etc/docker/daemon.json"), Path("/etc/sysctl.d/90-appstack.conf")]


def unique_project(prefix: str) -> str:
    """A project name no other test or stack uses."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def run_playbook(playbook: str, variables: dict, tmp_path: Path, timeout: int = 900,
                 extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """ansible-playbook PLAYBOOK (relative to the checkout) with VARIABLES as extra vars; all output in .stdout."""
    extra_vars = tmp_path / f"vars-{uuid.uuid4().hex[:6]}.json"
    extra_vars.write_text(json.dumps(variables))
    result = subprocess.run(
        ["ansible-playbook", "-i", str(INVENTORY), str(ROOT / playbook), "-e", f"@{extra_vars}", *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"})
    result.stdout = result.stdout + result.stderr
    return result


def _docker(*args: str) -> list[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True, timeout=60).stdout.split()


def project_state(project: str) -> dict:
    """Every trace of PROJECT: containers (Id, StartedAt, restarts), volumes, networks, config files, host files."""
    label = f"label=org.appstack.project={project}"
    ids = _docker("ps", "-aq", "--no-trunc", "--filter", label)
    containers = sorted(subprocess.run(
        ["docker", "inspect", "--format", "{{.Name}} {{.Id}} {{.State.StartedAt}} {{.RestartCount}}", *ids],
        capture_output=True, text=True, check=True, timeout=60).stdout.splitlines()) if ids else []
    files = {str(path): hashlib.sha256(path.read_bytes()).hexdigest()
             for directory in CONFIG_ROOT.glob(f"{project}-*") for path in sorted(directory.rglob("*")) if path.is_file()}
    files.update({str(path): hashlib.sha256(path.read_bytes()).hexdigest() for path in HOST_FILES if path.exists()})
    return {
        "containers": containers,
        "volumes": sorted(_docker("volume", "ls", "-q", "--filter", label)),
        "networks": sorted(_docker("network", "ls", "-q", "--filter", label)),
        "files": files,
    }


def project_resources(project: str) -> list[str]:
    """What PROJECT created on the host (empty when it never ran)."""
    state = project_state(project)
    return state["containers"] + state["volumes"] + state["networks"] + [
        path for path in state["files"] if path.startswith(f"{CONFIG_ROOT}/")]


def volumes_holding(marker: str) -> list[str]:
    """Dangling volumes (used by no container) with a file named MARKER at their top: what a removed container
    left behind in an anonymous volume."""
    return [volume for volume in _docker("volume", "ls", "-q", "--filter", "dangling=true")
            if (Path(_docker("volume", "inspect", "--format", "{{.Mountpoint}}", volume)[0]) / marker).exists()]


def remove_project(project: str) -> None:
    """Remove PROJECT's containers, volumes, network and config directories."""
    label = f"label=org.appstack.project={project}"
    ids = _docker("ps", "-aq", "--filter", label)
    if ids:
        subprocess.run(["docker", "rm", "-f", "-v", *ids], capture_output=True, timeout=120)
    for volume in _docker("volume", "ls", "-q", "--filter", label):
        subprocess.run(["docker", "volume", "rm", "-f", volume], capture_output=True, timeout=60)
    for network in _docker("network", "ls", "-q", "--filter", label):
        subprocess.run(["docker", "network", "rm", network], capture_output=True, timeout=60)
    for directory in CONFIG_ROOT.glob(f"{project}-*"):
        subprocess.run(["rm", "-rf", str(directory)], timeout=60)


def inspect(name: str) -> dict:
    """docker inspect NAME."""
    return json.loads(subprocess.run(["docker", "inspect", name], capture_output=True, text=True, check=True).stdout)[0]


def exists(name: str) -> bool:
    return subprocess.run(["docker", "inspect", name], capture_output=True).returncode == 0


def docker_health(name: str, wanted: str = "healthy", looks: int = 60) -> str:
    """Docker's own health verdict, waited for (60 looks, 0.5 s apart) until it is WANTED; its first check comes one
    interval after a start, later than the deploy's."""
    status = ""
    for _ in range(looks):
        status = inspect(name)["State"]["Health"]["Status"]
        if status == wanted:
            break
        time.sleep(0.5)
    return status


@contextlib.contextmanager
def deployed(playbook: str, variables: dict, tmp_path: Path) -> Iterator[dict]:
    """PLAYBOOK run once with VARIABLES (a project of their own) and succeeded; the project's state is yielded and
    the project removed afterwards."""
    try:
        result = run_playbook(playbook, variables, tmp_path)
        assert result.returncode == 0, result.stdout[-4000:]
        yield project_state(variables["appstack_project"])
    finally:
        remove_project(variables["appstack_project"])


def assert_refused(result: subprocess.CompletedProcess, expected: list[str], project: str, before: dict) -> None:
    """RESULT is a run the whole-stack preflight refused, naming every fragment of EXPECTED, and PROJECT is as BEFORE."""
    said = " ".join(result.stdout.split())
    assert result.returncode != 0, result.stdout[-4000:]
    assert "nothing was changed" in said, result.stdout[-4000:]
    for fragment in expected:
        assert " ".join(fragment.split()) in said, f"{fragment!r} not in the run's output:\n{result.stdout[-4000:]}"
    assert "argument_spec_data" not in said
    assert project_state(project) == before
