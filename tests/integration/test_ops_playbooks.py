"""The ops playbooks on a real stack: status (like `docker compose ps`), backup, teardown (like `docker compose down`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import CONFIG_ROOT, project_state, remove_project, run_playbook, unique_project, volumes_holding

BACKUP_ROOT = Path("/tmp/appstack-test-backups")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """PostgreSQL and Redis with their exporters (asked for: no prometheus_grafana in this stack), a project of its
    own on ports of its own; removed afterwards."""
    project = unique_project("ops")
    base = {"appstack_project": project, "appstack_services": ["postgres", "redis"],
            "postgres_host_port": 55432, "redis_host_port": 56379, "postgres_databases": [{"name": "app"}],
            "postgres_exporter_enabled": True, "redis_exporter_enabled": True,
            "appstack_backup_root": str(BACKUP_ROOT / project)}
    try:
        deployed = run_playbook("site.yml", base, tmp_path_factory.mktemp("deploy"))
        assert deployed.returncode == 0, deployed.stdout[-4000:]
        yield base
    finally:
        remove_project(project)
        shutil.rmtree(BACKUP_ROOT / project, ignore_errors=True)


def psql(project: str, sql: str) -> str:
    """SQL as the superuser inside the project's PostgreSQL container."""
    return subprocess.run(["docker", "exec", f"{project}-postgres", "psql", "-U", "postgres", "-tAc", sql],
                          capture_output=True, text=True, check=True, timeout=60).stdout.strip()


def test_status_lists_every_container_and_fails_when_one_is_down(stack, tmp_path):
    project = stack["appstack_project"]
    result = run_playbook("playbooks/status.yml", stack, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    assert re.search(rf"postgres\s+{project}-postgres\s+appstack/postgres:\S+\s+(healthy|starting)\s+Up .*"
                     r"127\.0\.0\.1:55432->5432/tcp", result.stdout), result.stdout[-4000:]
    for name in ("postgres-exporter", "redis", "redis-exporter"):
        assert re.search(rf"\s{project}-{name}\s+\S+\s+(healthy|starting)\s+Up ", result.stdout), (name, result.stdout[-4000:])
    assert "4 container(s), every one running, none unhealthy or stale" in result.stdout

    subprocess.run(["docker", "stop", f"{project}-redis"], check=True, capture_output=True, timeout=60)
    try:
        stopped = run_playbook("playbooks/status.yml", stack, tmp_path)
        assert stopped.returncode != 0, stopped.stdout[-4000:]
        assert re.search(rf"redis\s+{project}-redis\s+\S+\s+exited\s+Exited ", stopped.stdout), stopped.stdout[-4000:]
        assert f"not running, unhealthy or stale: {project}-redis" in stopped.stdout
    finally:
        subprocess.run(["docker", "start", f"{project}-redis"], check=True, capture_output=True, timeout=60)


def test_backup_writes_a_dump_of_each_database_and_a_redis_snapshot(stack, tmp_path):
    project = stack["appstack_project"]
    result = run_playbook("playbooks/backup.yml", stack, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    files = sorted(path.relative_to(BACKUP_ROOT / project).as_posix() for path in (BACKUP_ROOT / project).rglob("*")
                   if path.is_file())
    assert [re.sub(r"\d{8}T\d{6}Z", "STAMP", name) for name in files] == [
        f"{project}-postgres/app-STAMP.dump", f"{project}-redis/dump-STAMP.rdb"], files
    assert all((BACKUP_ROOT / project / name).stat().st_size > 0 for name in files)


def test_teardown_keeps_the_data_until_removal_is_confirmed(stack, tmp_path):
    project = stack["appstack_project"]
    psql(project, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
    volumes = project_state(project)["volumes"]
    assert volumes
    # A client container of the project (as the scenarios start) with the redis image's VOLUME /data not
    # mounted: Docker gives it an anonymous volume, which no later container can reach. Teardown removes it.
    marker = f"client-marker-{project}"
    subprocess.run(["docker", "run", "-d", "--name", f"{project}-client", "--label", f"org.appstack.project={project}",
                    "--entrypoint", "sh", "appstack/redis:8.0", "-c", f"touch /data/{marker} && sleep 600"],
                   capture_output=True, check=True, timeout=60)

    down = run_playbook("playbooks/teardown.yml", stack, tmp_path)
    assert down.returncode == 0, down.stdout[-4000:]
    after = project_state(project)
    assert after["containers"] == [] and after["networks"] == [] and after["volumes"] == volumes, after
    assert volumes_holding(marker) == [], "teardown left the client container's anonymous volume behind"
    assert list(CONFIG_ROOT.glob(f"{project}-*")), "the config and secrets were kept"

    up = run_playbook("site.yml", stack, tmp_path)
    assert up.returncode == 0, up.stdout[-4000:]
    assert psql(project, "SELECT n FROM kept") == "42"

    refused = run_playbook("playbooks/teardown.yml", {**stack, "teardown_remove_data": True}, tmp_path)
    assert refused.returncode != 0
    assert f"set teardown_confirm={project} to confirm. Nothing was removed." in refused.stdout, refused.stdout[-4000:]
    assert len(project_state(project)["containers"]) == 4

    gone = run_playbook("playbooks/teardown.yml",
                        {**stack, "teardown_remove_data": True, "teardown_confirm": project}, tmp_path)
    assert gone.returncode == 0, gone.stdout[-4000:]
    state = project_state(project)
    assert state["containers"] == [] and state["volumes"] == [] and state["networks"] == [], state
    assert not list(CONFIG_ROOT.glob(f"{project}-*"))
