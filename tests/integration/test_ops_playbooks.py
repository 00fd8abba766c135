"""The ops playbooks on a real stack: status (like `docker compose ps`), backup and restore, teardown (like
`docker compose down`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import CONFIG_ROOT, docker_health, inspect, project_state, remove_project, run_playbook, unique_project, volumes_holding

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


def psql(project: str, sql: str, database: str = "postgres") -> str:
    """SQL as the superuser inside the project's PostgreSQL container, in DATABASE."""
    return subprocess.run(["docker", "exec", f"{project}-postgres", "psql", "-U", "postgres", "-d", database, "-tAc", sql],
                          capture_output=True, text=True, check=True, timeout=60).stdout.strip()


def backup_files(root: Path) -> set[str]:
    """Every file under ROOT, relative to it."""
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def stamped(names: set[str]) -> list[str]:
    """NAMES sorted, their UTC stamps replaced by STAMP."""
    return sorted(re.sub(r"\d{8}T\d{6}Z", "STAMP", name) for name in names)


def one_line(output: str) -> str:
    """OUTPUT with every run of white space made one space (the YAML callback wraps long messages)."""
    return " ".join(output.split())


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
    files = backup_files(BACKUP_ROOT / project)
    assert stamped(files) == [f"{project}-postgres/app-STAMP.dump", f"{project}-redis/dump-STAMP.rdb"], files
    assert all((BACKUP_ROOT / project / name).stat().st_size > 0 for name in files)


def test_one_named_service_is_backed_up_and_restored(stack, tmp_path):
    """backup.yml with service=postgres dumps PostgreSQL only; restore.yml with service=postgres and the dump brings
    a dropped table back."""
    project, root = stack["appstack_project"], BACKUP_ROOT / stack["appstack_project"]
    psql(project, "CREATE TABLE restored (n int); INSERT INTO restored VALUES (7)", database="app")
    before = backup_files(root)

    backed_up = run_playbook("playbooks/backup.yml", {**stack, "service": "postgres"}, tmp_path)
    assert backed_up.returncode == 0, backed_up.stdout[-4000:]
    new = backup_files(root) - before
    assert stamped(new) == [f"{project}-postgres/app-STAMP.dump"], new

    psql(project, "DROP TABLE restored", database="app")
    restored = run_playbook("playbooks/restore.yml", {**stack, "service": "postgres",
                                                      "postgres_restore_file": Path(new.pop()).name}, tmp_path)
    assert restored.returncode == 0, restored.stdout[-4000:]
    assert psql(project, "SELECT n FROM restored", database="app") == "7"


def test_an_old_playbook_name_backs_up_its_own_service_only(stack, tmp_path):
    """redis_backup.yml, kept for existing commands, is backup.yml with service=redis."""
    project, root = stack["appstack_project"], BACKUP_ROOT / stack["appstack_project"]
    before = backup_files(root)
    result = run_playbook("playbooks/redis_backup.yml", stack, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    new = backup_files(root) - before
    assert stamped(new) == [f"{project}-redis/dump-STAMP.rdb"], new


@pytest.mark.parametrize("service", [None, "kafka"])
def test_restore_without_a_known_service_is_refused_naming_the_variable_and_the_services(service, tmp_path):
    """Nothing is restored without a service to restore; the refusal names the variable, every service and what
    each one's restore takes."""
    variables = {"appstack_project": unique_project("norestore")} | ({"service": service} if service else {})
    result = run_playbook("playbooks/restore.yml", variables, tmp_path)
    assert result.returncode != 0
    output = one_line(result.stdout)
    assert (f"service: '{service or ''}' - restore.yml restores one service: set service to one of "
            "postgres, redis, minio, elasticsearch, grafana, app (-e service=NAME)") in output.replace("''", "'"), output[-4000:]
    for variable in ("postgres_restore_file", "redis_restore_file", "minio_restore_backup", "elasticsearch_restore_snapshot",
                     "prometheus_grafana_restore_file", "app_restore_backup"):
        assert variable in output, variable


def test_backup_of_a_service_that_is_not_backed_up_is_refused(tmp_path):
    result = run_playbook("playbooks/backup.yml", {"appstack_project": unique_project("nobackup"), "service": "kafka"},
                          tmp_path)
    assert result.returncode != 0
    assert ("service: 'kafka' is not a service backup.yml backs up; set service to one of postgres, redis, minio, "
            "elasticsearch, grafana, app") in one_line(result.stdout).replace("''", "'"), result.stdout[-4000:]


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


def test_app_volumes_are_backed_up_and_restored(tmp_path):
    """An app component with a named volume: backup.yml archives it (with the stack's other services, retention
    applied), restore.yml with service=app puts the archived files back - content, owner and mode - into the volume, the web
    process stopped meanwhile and healthy again afterwards; a backup that does not exist is refused by name."""
    project = unique_project("appvol")
    backups = BACKUP_ROOT / project
    component = {"name": "app", "image": "demo-app", "uid": 10001,
                 "healthcheck": {"test": ["CMD", "demo-app", "health"], "interval": "2s", "timeout": "5s", "retries": 3,
                                 "start_period": "20s"},
                 "volumes": [{"name": "media", "path": "/srv/media", "writer": "web"}],
                 "processes": [{"name": "web", "command": ["web"], "port": 8000}]}
    # Redis first: the project network exists before the app's volume is handed to its user.
    variables = {"appstack_project": project, "appstack_services": ["redis", "app"], "redis_publish": False,
                 "appstack_backup_root": str(backups), "app_components": [component], "app_backup_retention": 1}
    web = f"{project}-app-web-blue-1"

    def in_web(script: str) -> str:
        return subprocess.run(["docker", "exec", web, "sh", "-ec", script], capture_output=True, text=True,
                              check=True, timeout=60).stdout.strip()

    try:
        deployed = run_playbook("site.yml", variables, tmp_path)
        assert deployed.returncode == 0, deployed.stdout[-4000:]
        in_web("echo original > /srv/media/a.txt; chmod 600 /srv/media/a.txt; mkdir /srv/media/sub; echo b > /srv/media/sub/b.txt")
        # An older archive of the volume, beyond the retention of 1 once the new one exists.
        (backups / f"{project}-app").mkdir(parents=True)
        (backups / f"{project}-app" / "app-media-20000101T000000Z.tar.gz").write_bytes(b"old")

        backed_up = run_playbook("playbooks/backup.yml", variables, tmp_path)
        assert backed_up.returncode == 0, backed_up.stdout[-4000:]
        files = stamped(backup_files(backups))
        assert files == [f"{project}-app/app-media-STAMP.tar.gz", f"{project}-redis/dump-STAMP.rdb"], files

        in_web("echo changed > /srv/media/a.txt; rm -r /srv/media/sub; echo new > /srv/media/c.txt")
        refused = run_playbook("playbooks/restore.yml", {**variables, "service": "app", "app_restore_backup": "20000101T000000Z"}, tmp_path)
        assert refused.returncode != 0
        assert "app_restore_backup: '20000101T000000Z' must name an existing backup" in one_line(refused.stdout)
        assert in_web("cat /srv/media/a.txt") == "changed"

        started = inspect(web)["State"]["StartedAt"]
        # The newest backup (app_restore_backup unset), the volume named as on a command line.
        restored = run_playbook("playbooks/restore.yml", {**variables, "service": "app", "app_restore_volumes": "app/media"}, tmp_path)
        assert restored.returncode == 0, restored.stdout[-4000:]
        assert inspect(web)["State"]["StartedAt"] != started, "the web process was not stopped during the restore"
        assert docker_health(web) == "healthy"
        assert in_web("cat /srv/media/a.txt /srv/media/sub/b.txt") == "original\nb"
        assert in_web("ls -A /srv/media") == "a.txt\nsub"
        assert in_web("stat -c '%u:%g %a' /srv/media /srv/media/a.txt /srv/media/sub/b.txt") == (
            "10001:10001 755\n10001:10001 600\n10001:10001 644")
    finally:
        remove_project(project)
        shutil.rmtree(backups, ignore_errors=True)
