"""The shared path never leaves a service down for a change that fails, and a run heals or fails, never both.

- A container replaced by a change is set aside while its replacement starts; a replacement that Docker refuses
  or that never gets healthy is removed and the previous container comes back with its files (same Id).
- A container that runs as described but is unhealthy is restarted once (health-gated); still unhealthy, the
  run fails naming it with what its health check said. One whose data volume is full is not restarted at all.

Fixtures: `pair` (a Redis primary and replica) and `slow` (healthy once ready, unless a marker file on the host
says it is broken) in tests/integration/playbooks/roles. Docker's health-check staleness after a daemon restart
is proven in the prod_vm scenario, which has a daemon of its own to restart.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import CONFIG_ROOT, deployed, docker_health, exists, inspect, project_state, remove_project, run_playbook, unique_project

ROLE = "tests/integration/playbooks/role.yml"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    variables = {"role_under_test": "pair", "appstack_project": unique_project("undo")}
    with deployed(ROLE, variables, tmp_path_factory.mktemp("pair")):
        yield variables["appstack_project"]


@pytest.mark.parametrize("change, said", [
    ({"pair_replica_config": {"no-such-directive": "yes"}}, ">>> 'no-such-directive yes'"),
    ({"pair_replica_memory": "4m"}, "Minimum memory limit allowed is 6MB"),
], ids=["never_healthy", "refused_by_docker"])
def test_a_change_that_fails_is_undone_and_the_previous_container_serves_again(pair, tmp_path, change, said):
    replica = f"{pair}-pair-b"
    assert docker_health(replica, "healthy") == "healthy"
    before, config = inspect(replica), (CONFIG_ROOT / replica / "config" / "redis.conf").read_text()
    result = run_playbook(ROLE, {"role_under_test": "pair", "appstack_project": pair, **change}, tmp_path)
    assert result.returncode != 0, result.stdout[-3000:]
    assert f"pair: {replica} did not become healthy after the change of" in result.stdout, result.stdout[-3000:]
    assert "so the change was undone: its previous container and files are back and healthy" in result.stdout
    assert said in result.stdout, "the failure must carry what the new container (or Docker) said"
    down = re.search(r"the service was down for (\d+) s", result.stdout)
    assert down, result.stdout[-3000:]
    print(f"{replica} was down for {down.group(1)} s")
    after = inspect(replica)
    assert after["Id"] == before["Id"] and after["State"]["Running"], "the previous container itself came back"
    assert after["State"]["StartedAt"] != before["State"]["StartedAt"]
    assert (CONFIG_ROOT / replica / "config" / "redis.conf").read_text() == config
    assert not exists(f"{replica}-previous") and not (CONFIG_ROOT / replica / "config.previous").exists()
    assert docker_health(replica, "healthy") == "healthy"
    again = run_playbook(ROLE, {"role_under_test": "pair", "appstack_project": pair}, tmp_path)
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-3000:]


def test_a_copy_left_by_a_run_that_stopped_half_way_is_the_last_good_one_until_a_run_succeeds(pair, tmp_path):
    """A run that stopped between setting a container aside and starting its replacement (the controller killed)
    leaves <name>-previous and no container: a next run whose container fails brings that copy back; one that
    succeeds drops it."""
    replica = f"{pair}-pair-b"
    original = inspect(replica)["Id"]

    def stop_half_way() -> None:
        subprocess.run(["docker", "stop", replica], check=True, capture_output=True, timeout=60)
        subprocess.run(["docker", "rename", replica, f"{replica}-previous"], check=True, capture_output=True, timeout=60)

    stop_half_way()
    failed = run_playbook(ROLE, {"role_under_test": "pair", "appstack_project": pair,
                                 "pair_replica_config": {"no-such-directive": "yes"}}, tmp_path)
    said = " ".join(failed.stdout.split())
    assert failed.returncode != 0
    assert f"{replica} did not become healthy after an earlier run that stopped half-way, so the change was undone" in said, said[-3000:]
    assert inspect(replica)["Id"] == original and not exists(f"{replica}-previous")
    assert docker_health(replica) == "healthy"
    stop_half_way()
    healed = run_playbook(ROLE, {"role_under_test": "pair", "appstack_project": pair}, tmp_path)
    assert healed.returncode == 0, healed.stdout[-3000:]
    assert inspect(replica)["Id"] != original and not exists(f"{replica}-previous"), "the copy goes once a run succeeded"


def test_files_changed_by_hand_are_written_back_and_read_by_a_restart(pair, tmp_path):
    """A live file that is not what the container was deployed with is put back, and the container restarted to
    read it (its description did not change, so nothing else would)."""
    primary = f"{pair}-pair-a"
    conf = CONFIG_ROOT / primary / "config" / "redis.conf"
    deployed, started = conf.read_text(), inspect(primary)["State"]["StartedAt"]
    conf.write_text(deployed + "maxclients 7\n")
    fixed = run_playbook(ROLE, {"role_under_test": "pair", "appstack_project": pair}, tmp_path)
    assert fixed.returncode == 0, fixed.stdout[-3000:]
    assert f"{primary} had live files other than those it was deployed with; wrote them back; restarted it once" in " ".join(
        fixed.stdout.split())
    assert conf.read_text() == deployed and inspect(primary)["State"]["StartedAt"] != started
    again = run_playbook(ROLE, {"role_under_test": "pair", "appstack_project": pair}, tmp_path)
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-3000:]


@pytest.fixture
def slow(tmp_path):
    project = unique_project("heal")
    marker = tmp_path / "marker"
    marker.mkdir()
    marker.chmod(0o755)
    variables = {"role_under_test": "slow", "appstack_project": project, "slow_marker_dir": str(marker), "slow_seconds": 1}
    try:
        yield project, marker, variables
    finally:
        remove_project(project)
        subprocess.run(["docker", "volume", "rm", "-f", f"{project}-small"], capture_output=True, timeout=60)


def test_an_unhealthy_container_is_restarted_once_and_the_run_succeeds(slow, tmp_path):
    project, _marker, variables = slow
    name = f"{project}-slow"
    assert run_playbook(ROLE, variables, tmp_path).returncode == 0
    subprocess.run(["docker", "exec", name, "rm", "/tmp/ready"], check=True)
    assert docker_health(name, "unhealthy") == "unhealthy"
    started = inspect(name)["State"]["StartedAt"]
    healed = run_playbook(ROLE, variables, tmp_path)
    assert healed.returncode == 0, healed.stdout[-3000:]
    assert f"{name} was unhealthy (its last health check said: exit code 1: not ready yet); restarted it once" in healed.stdout
    assert inspect(name)["State"]["StartedAt"] != started
    assert docker_health(name, "healthy") == "healthy"
    settled = run_playbook(ROLE, variables, tmp_path)
    assert settled.returncode == 0 and "changed=0" in settled.stdout, settled.stdout[-3000:]


def test_a_container_still_unhealthy_after_its_restart_fails_the_run_naming_it(slow, tmp_path):
    project, marker, variables = slow
    name = f"{project}-slow"
    variables = {**variables, "slow_healthy_timeout": 15}
    assert run_playbook(ROLE, variables, tmp_path).returncode == 0
    (marker / "broken").write_text("")
    assert docker_health(name, "unhealthy") == "unhealthy"
    failed = run_playbook(ROLE, variables, tmp_path)
    assert failed.returncode != 0
    assert f"{name} was unhealthy (its last health check said: exit code 1: the host says broken); restarted it once" in failed.stdout
    assert f"{name} failed to start or to become healthy within 15s" in failed.stdout, failed.stdout[-3000:]
    assert "its last health check said: exit code 1: the host says broken" in failed.stdout
    (marker / "broken").unlink()
    assert docker_health(name, "healthy") == "healthy"
    assert run_playbook(ROLE, variables, tmp_path).returncode == 0


def test_an_unhealthy_container_whose_volume_is_full_is_not_restarted(slow, tmp_path):
    """A restart of a data service whose disk is full could lose what it holds in memory: the run names the
    volume instead, and once there is room the next run heals."""
    project, marker, variables = slow
    name, volume = f"{project}-slow", f"{project}-small"
    subprocess.run(["docker", "volume", "create", "--driver", "local", "--opt", "type=tmpfs", "--opt", "device=tmpfs",
                    "--opt", "o=size=1m,uid=999", volume], check=True, capture_output=True)
    variables = {**variables, "slow_volume": volume}
    assert run_playbook(ROLE, variables, tmp_path).returncode == 0
    filled = subprocess.run(["docker", "exec", name, "dd", "if=/dev/zero", "of=/data/filler", "bs=64k", "count=64"],
                            capture_output=True, text=True)
    assert "No space left on device" in filled.stderr, filled.stderr
    (marker / "broken").write_text("")
    assert docker_health(name, "unhealthy") == "unhealthy"
    before = project_state(project)
    refused = run_playbook(ROLE, variables, tmp_path)
    said = " ".join(refused.stdout.split())
    assert refused.returncode != 0
    assert f"{name}: not restarted: its volume {volume} (" in said, refused.stdout[-3000:]
    assert "is full; a restart could lose what it holds in memory" in said
    assert project_state(project)["containers"] == before["containers"], "nothing was restarted"
    subprocess.run(["docker", "exec", name, "rm", "/data/filler"], check=True)
    (marker / "broken").unlink()
    subprocess.run(["docker", "exec", name, "rm", "/tmp/ready"], check=True)
    assert docker_health(name, "unhealthy") == "unhealthy"
    healed = run_playbook(ROLE, variables, tmp_path)
    assert healed.returncode == 0 and "restarted it once" in healed.stdout, healed.stdout[-3000:]
