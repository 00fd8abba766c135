"""The shared path with real containers: several containers and jobs per role, starts that overlap,
start order between services, and a start that fails.

The `pair` fixture role (tests/integration/playbooks/roles/pair) runs a Redis primary and its replica
through appstack.platform.service, as a team's own role would; the stack tests run site.yml.
"""

from __future__ import annotations

import datetime
import re
import subprocess
import time

import pytest
from conftest import (deployed, docker_health, exists, inspect, project_state, remove_project, run_playbook, unique_project,
                      volumes_holding)

ROLE = "tests/integration/playbooks/role.yml"
PASSWORD = "pair-secret-one"


def redis_cli(container: str, *args: str) -> str:
    return subprocess.run(["docker", "exec", "-e", f"REDISCLI_AUTH={PASSWORD}", container, "redis-cli", "--no-auth-warning", *args],
                          capture_output=True, text=True, check=True, timeout=30).stdout.strip()


def moment(text: str) -> datetime.datetime:
    """Docker's RFC 3339 timestamps carry nanoseconds; Python takes microseconds."""
    head, _, rest = text.rstrip("Z").partition(".")
    return datetime.datetime.fromisoformat(f"{head}.{(rest + '000000')[:6]}+00:00")


def ready_at(name: str, line: str) -> datetime.datetime:
    """When the server said LINE (its "ready to accept connections") last: the final server, not an init one."""
    logs = subprocess.run(["docker", "logs", "--timestamps", name], capture_output=True, text=True, check=True)
    stamps = [entry.split(" ", 1)[0] for entry in (logs.stdout + logs.stderr).splitlines() if line in entry]
    assert stamps, f"{name} never said {line!r}"
    return max(moment(stamp) for stamp in stamps)


def docker_says_healthy(name: str) -> bool:
    return docker_health(name) == "healthy"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    variables = {"role_under_test": "pair", "appstack_project": unique_project("pair")}
    with deployed(ROLE, variables, tmp_path_factory.mktemp("pair")):
        yield variables["appstack_project"]


def test_every_container_of_a_role_is_hardened_and_health_gated(pair):
    hashes = set()
    for name in (f"{pair}-pair-a", f"{pair}-pair-b"):
        assert docker_says_healthy(name)
        info = inspect(name)
        assert info["Config"]["User"] == "999:999" and info["HostConfig"]["ReadonlyRootfs"]
        assert info["HostConfig"]["CapDrop"] == ["ALL"] and "no-new-privileges:true" in info["HostConfig"]["SecurityOpt"]
        assert info["HostConfig"]["Memory"] == info["HostConfig"]["MemorySwap"] == 128 * 1024**2
        assert info["Config"]["Labels"]["org.appstack.role"] == "pair"
        hashes.add(info["Config"]["Labels"]["org.appstack.config-hash"])
    assert len(hashes) == 2, "each container's hash covers its own files"


def test_the_containers_of_a_role_work_together(pair):
    assert redis_cli(f"{pair}-pair-a", "SET", "greeting", "hello") == "OK"
    for _ in range(40):
        if redis_cli(f"{pair}-pair-b", "GET", "greeting") == "hello":
            break
        time.sleep(0.25)
    assert redis_cli(f"{pair}-pair-b", "GET", "greeting") == "hello"


def test_a_change_to_one_container_recreates_only_it(pair, tmp_path):
    before = project_state(pair)
    changed = run_playbook(ROLE, {"role_under_test": "pair", "appstack_project": pair, "pair_replica_maxmemory": "32mb"}, tmp_path)
    assert changed.returncode == 0, changed.stdout[-4000:]
    after = project_state(pair)
    recreated = sorted(line.split()[0] for line in set(after["containers"]) - set(before["containers"]))
    assert recreated == [f"/{pair}-pair-b"]
    again = run_playbook(ROLE, {"role_under_test": "pair", "appstack_project": pair, "pair_replica_maxmemory": "32mb"}, tmp_path)
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-3000:]
    assert project_state(pair) == after


def test_a_job_runs_hardened_on_the_project_network_and_is_removed(pair, tmp_path):
    # The redis image declares VOLUME /data, which the job does not mount: Docker gives it an anonymous
    # volume, and the job leaves a marker there so that a volume left behind would be found.
    marker = f"job-marker-{pair}"
    job = {"name": f"{pair}-pair-job", "image": "redis", "uid": 999, "entrypoint": ["sh", "-c"],
           "command": [f"grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; touch /data/{marker}; "
                       f"REDISCLI_AUTH={PASSWORD} redis-cli --no-auth-warning -h pair-a PING"]}
    result = run_playbook("tests/integration/playbooks/job.yml", {"job": job, "appstack_project": pair}, tmp_path, extra=("-v",))
    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(r"CapEff:\s+0{16}\b", result.stdout) and re.search(r"NoNewPrivs:\s+1\b", result.stdout), result.stdout[-2000:]
    assert "PONG" in result.stdout
    assert not exists(f"{pair}-pair-job")
    assert volumes_holding(marker) == [], "the job's anonymous volume was left behind"


def test_a_failing_job_fails_with_its_output(pair, tmp_path):
    job = {"name": f"{pair}-pair-job", "image": "redis", "uid": 999, "entrypoint": ["sh", "-c"],
           "command": ["echo the-job-says-why >&2; exit 3"]}
    result = run_playbook("tests/integration/playbooks/job.yml", {"job": job, "appstack_project": pair}, tmp_path)
    assert result.returncode != 0
    assert f"job {pair}-pair-job failed" in result.stdout and "the-job-says-why" in result.stdout
    assert not exists(f"{pair}-pair-job")


@pytest.fixture
def stack_project():
    project = unique_project("waves")
    try:
        yield {"appstack_project": project, "appstack_services": ["postgres", "redis"],
               "postgres_host_port": 45432, "redis_host_port": 46379}
    finally:
        remove_project(project)


def test_services_of_one_wave_start_side_by_side(tmp_path):
    """The pair started while the slow starter (healthy only 4 s after its start) was still starting: the
    deploy did not wait for one service before starting the other."""
    project = unique_project("wave")
    try:
        result = run_playbook("tests/integration/playbooks/wave.yml", {"wave": ["slow", "pair"], "appstack_project": project},
                              tmp_path)
        assert result.returncode == 0, result.stdout[-4000:]
        slow_ready = ready_at(f"{project}-slow", "ready")
        for name in (f"{project}-pair-a", f"{project}-pair-b"):
            assert moment(inspect(name)["State"]["StartedAt"]) < slow_ready
    finally:
        remove_project(project)


def test_a_service_starts_once_what_it_names_is_healthy(stack_project, tmp_path):
    result = run_playbook("site.yml", {**stack_project, "redis_start_after": ["postgres"]}, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    project = stack_project["appstack_project"]
    pg_ready = ready_at(f"{project}-postgres", "database system is ready to accept connections")
    assert moment(inspect(f"{project}-redis")["State"]["StartedAt"]) > pg_ready


def test_a_service_that_never_gets_healthy_fails_the_run_and_what_needs_it_never_starts(stack_project, tmp_path):
    broken = {**stack_project, "redis_start_after": ["postgres"], "postgres_healthy_timeout": 60,
              "postgres_parameters": {"no_such_setting": 1}}
    result = run_playbook("site.yml", broken, tmp_path)
    project = stack_project["appstack_project"]
    assert result.returncode != 0
    assert f"{project}-postgres failed to start or to become healthy within 60s" in result.stdout, result.stdout[-4000:]
    assert "Last 40 log lines" in result.stdout and "no_such_setting" in result.stdout
    assert not exists(f"{project}-redis")


def test_a_change_made_outside_ansible_is_corrected_by_a_full_compare(pair, tmp_path):
    """A run leaves alone a container deployed exactly as described; service_full_compare hands every
    container to docker_container's comparison, which undoes a `docker update` made by hand."""
    name = f"{pair}-pair-a"
    settled = run_playbook(ROLE, {"role_under_test": "pair", "appstack_project": pair}, tmp_path)
    assert settled.returncode == 0, settled.stdout[-3000:]
    subprocess.run(["docker", "update", "--memory", "200m", "--memory-swap", "200m", name], check=True, capture_output=True)
    quick = run_playbook(ROLE, {"role_under_test": "pair", "appstack_project": pair}, tmp_path)
    assert quick.returncode == 0 and "changed=0" in quick.stdout, quick.stdout[-3000:]
    assert inspect(name)["HostConfig"]["Memory"] == 200 * 1024**2
    full = run_playbook(ROLE, {"role_under_test": "pair", "appstack_project": pair, "service_full_compare": True}, tmp_path)
    assert full.returncode == 0, full.stdout[-3000:]
    assert inspect(name)["HostConfig"]["Memory"] == 128 * 1024**2
    assert docker_says_healthy(name)


def test_check_mode_reports_changes_with_their_diff_and_changes_nothing(pair, tmp_path):
    settled = run_playbook(ROLE, {"role_under_test": "pair", "appstack_project": pair}, tmp_path)
    assert settled.returncode == 0, settled.stdout[-3000:]
    before = project_state(pair)
    checked = run_playbook(ROLE, {"role_under_test": "pair", "appstack_project": pair, "pair_replica_maxmemory": "48mb"},
                           tmp_path, extra=("--check", "--diff"))
    assert checked.returncode == 0, checked.stdout[-3000:]
    assert "-maxmemory 64mb" in checked.stdout and "+maxmemory 48mb" in checked.stdout
    assert "changed=1" in checked.stdout and "pair-secret-one" not in checked.stdout
    assert project_state(pair) == before


def test_check_mode_on_a_new_project_creates_nothing(tmp_path):
    project = unique_project("pairnew")
    try:
        checked = run_playbook(ROLE, {"role_under_test": "pair", "appstack_project": project}, tmp_path, extra=("--check",))
        assert checked.returncode == 0 and "changed=1" in checked.stdout, checked.stdout[-3000:]
        state = project_state(project)
        assert state["containers"] == state["volumes"] == state["networks"] == []
        assert [path for path in state["files"] if project in path] == []
    finally:
        remove_project(project)
