"""A role used alone refuses bad input before any container, volume or file changes, naming the variable.

Each case is a real ansible-playbook run of one role; the refusal must come from the role's own
checks (no argument spec dump) and leave no trace of the project on the Docker host.
"""

import shutil

import pytest
from conftest import project_resources, run_playbook, unique_project

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
    "bad_database_name": ("postgres", {"postgres_databases": [{"name": "Bad-Name"}]},
                          ["postgres_databases: every name must be a lower-case SQL identifier", "'Bad-Name'"]),
    "wrong_type_list": ("postgres", {"postgres_databases": "app"}, ["option 'postgres_databases' is of type str", "dict"]),
    "unknown_eviction_policy": ("redis", {"redis_maxmemory_policy": "random"}, ["redis_maxmemory_policy", "allkeys-lru"]),
    "maxmemory_above_limit": ("redis", {"redis_memory": "256m", "redis_maxmemory": "1g"}, ["redis_maxmemory: must stay below redis_memory"]),
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
    "tls_without_certificate": ("postgres", {"postgres_tls_enabled": True}, ["postgres_tls_cert: ", "PEM"]),
    "factory_cannot_build_tag": ("redis", {"redis_image_tag": "7.2"},
                                 ["redis_image_tag: '7.2' cannot come from the image factory", "builds redis 8.0"]),
    "publish_address_is_a_host_name": ("redis", {"appstack_publish_address": "db.example.internal"},
                                       ["appstack_publish_address: 'db.example.internal' must be an IPv4 or IPv6 address"]),
    "several_errors_at_once": ("postgres", {"postgres_memory": "lots", "postgres_max_connections": 0, "postgres_environment": "staging"},
                               ["postgres_memory: 'lots'", "postgres_max_connections: 0", "postgres_environment must be one of"]),
    "unknown_service_named": ("stack", {"appstack_services": ["postgres", "mysql"]},
                              ["appstack_services: 'mysql' is not a service of this collection; known: "]),
    "docker_pool_not_cidr": ("docker_host", {"docker_host_address_pools": [{"base": "nonsense", "size": 24}]},
                             ["docker_host_address_pools: every base must be a CIDR network"]),
}


@pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI to check nothing was created")
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_before_anything_changes(case, tmp_path):
    role, variables, expected = CASES[case]
    project = unique_project("badinput")
    result = run_playbook("tests/integration/playbooks/apply_role.yml",
                          {"role_under_test": role, "appstack_project": project, **variables}, tmp_path, timeout=300)
    output = result.stdout
    assert result.returncode != 0, output
    for fragment in expected:
        assert fragment in output, f"{fragment!r} not in the error:\n{output[-3000:]}"
    assert "nothing was changed" in output, "the role's own checks must refuse it, before Ansible's spec validation"
    assert "argument_spec_data" not in output, "the argument spec must not be dumped"
    assert project_resources(project) == []
    assert STRONG not in output


def test_the_shared_path_refuses_to_run_without_a_calling_role(tmp_path):
    project = unique_project("alone")
    result = run_playbook("tests/integration/playbooks/apply_role.yml",
                          {"role_under_test": "service", "appstack_project": project}, tmp_path, timeout=300)
    assert result.returncode != 0
    assert "appstack.platform.service is the shared path of the service roles and runs only from one of them" in result.stdout
    assert project_resources(project) == []
