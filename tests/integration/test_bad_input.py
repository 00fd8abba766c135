"""Bad input fails before any container, volume or file changes, naming the variable."""

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "tests/integration/playbooks/apply_role.yml"
PROD = {"appstack_env": "prod", "appstack_publish_ports": False}
STRONG = "x9-very-long-prod-secret"

CASES = {
    "port_out_of_range": ("postgres", {"postgres_host_port": 70000}, ["postgres_host_port", "1 and 65535"]),
    "port_not_a_number": ("redis", {"redis_host_port": "six"}, ["redis_host_port", "int"]),
    "port_zero": ("redis", {"redis_host_port": 0}, ["redis_host_port", "1 and 65535"]),
    "memory_unparseable": ("postgres", {"postgres_memory": "lots"}, ["postgres_memory", "size"]),
    "buffers_unparseable": ("postgres", {"postgres_shared_buffers": "12 parsecs"}, ["postgres_shared_buffers", "size"]),
    "unknown_environment": ("postgres", {"postgres_environment": "staging"}, ["postgres_environment", "dev, prod"]),
    "unknown_privilege_level": (
        "postgres",
        {"postgres_databases": [{"name": "app"}],
         "postgres_users": [{"name": "app", "password": "pw", "privileges": [{"database": "app", "level": "god"}]}]},
        ["level", "connect, readonly, readwrite, all"]),
    "user_without_password": ("postgres", {"postgres_users": [{"name": "app"}]}, ["password", "required"]),
    "bad_database_name": ("postgres", {"postgres_databases": [{"name": "Bad-Name"}]}, ["postgres_databases", "identifier"]),
    "wrong_type_list": ("postgres", {"postgres_databases": "app"}, ["postgres_databases", "list"]),
    "unknown_eviction_policy": ("redis", {"redis_maxmemory_policy": "random"}, ["redis_maxmemory_policy", "allkeys-lru"]),
    "maxmemory_above_limit": ("redis", {"redis_memory": "256m", "redis_maxmemory": "1g"}, ["redis_maxmemory", "below redis_memory"]),
    "save_rule_garbage": ("redis", {"redis_save": ["often"]}, ["redis_save", "<seconds> <changes>"]),
    "prod_dev_default_postgres_password": ("postgres", {**PROD}, ["postgres_superuser_password", "dev default"]),
    "prod_empty_postgres_password": ("postgres", {**PROD, "postgres_superuser_password": ""}, ["postgres_superuser_password", "vault"]),
    "prod_dev_default_redis_password": ("redis", {**PROD}, ["redis_password", "dev default"]),
    "prod_published_database": (
        "postgres", {**PROD, "postgres_superuser_password": STRONG, "postgres_publish": True}, ["postgres_publish", "prod"]),
    "prod_short_user_password": (
        "postgres",
        {**PROD, "postgres_superuser_password": STRONG, "postgres_users": [{"name": "app", "password": "short"}]},
        ["postgres_users", "12 characters"]),
    "tls_without_certificate": ("postgres", {"postgres_tls_enabled": True}, ["postgres_tls_cert", "PEM"]),
    "factory_cannot_build_tag": ("redis", {"redis_image_tag": "7.2"}, ["redis tag '7.2'", "builds redis:8.0"]),
    "docker_pool_not_cidr": ("docker_host", {"docker_host_address_pools": [{"base": "nonsense", "size": 24}]},
                             ["docker_host_address_pools", "CIDR"]),
}


def _project_resources(project):
    containers = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=org.appstack.project={project}"],
        capture_output=True, text=True, check=True).stdout.split()
    volumes = subprocess.run(
        ["docker", "volume", "ls", "-q", "--filter", f"label=org.appstack.project={project}"],
        capture_output=True, text=True, check=True).stdout.split()
    directories = [str(p) for p in Path("/etc/appstack").glob(f"{project}-*")]
    return containers + volumes + directories


@pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI to check nothing was created")
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_before_anything_changes(case, tmp_path):
    role, variables, expected = CASES[case]
    project = f"badinput{uuid.uuid4().hex[:8]}"
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps({"role_under_test": role, "appstack_project": project, **variables}))
    result = subprocess.run(
        ["ansible-playbook", "-i", "tests/integration/inventory.yml", str(PLAYBOOK), "-e", f"@{extra}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for fragment in expected:
        assert fragment in output, f"{fragment!r} not in the error:\n{output[-3000:]}"
    assert _project_resources(project) == []
    assert STRONG not in output
