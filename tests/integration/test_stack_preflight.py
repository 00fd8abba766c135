"""A site run checks the whole stack before anything changes on any host.

The stack (postgres + redis) is deployed once; then every case runs site.yml with a valid change to an
earlier role (postgres, which a per-role check would already have applied) plus bad input in a later
role or in the stack-wide settings. Each run must fail, name every bad variable of the run in its one
output, and leave every container (Id, StartedAt), volume, network and file exactly as it was.
"""

from __future__ import annotations

import pytest
from conftest import assert_refused, deployed, project_state, run_playbook, unique_project

STRONG = "x9-very-long-prod-secret"
#: Valid changes to postgres; alone, each would recreate its container.
PG_CHANGE = {"postgres_max_connections": 120}
PROD = {"appstack_env": "prod", "appstack_publish_ports": False, "postgres_superuser_password": STRONG,
        "postgres_users": [{"name": "app", "password": STRONG}], "postgres_databases": [{"name": "app", "owner": "app"}]}

CASES = {
    "later_role_bad_choice": ({**PG_CHANGE, "redis_maxmemory_policy": "lru"}, ["redis_maxmemory_policy must be one of"]),
    "later_role_bad_size": ({"postgres_memory": "768m", "redis_memory": "lots"}, ["redis_memory: 'lots' must be a size"]),
    "later_role_bad_port": ({**PG_CHANGE, "redis_host_port": 70000}, ["redis_host_port: 70000 is not a port number"]),
    "later_role_cross_field": ({**PG_CHANGE, "redis_memory": "256m", "redis_maxmemory": "1g"},
                               ["redis_maxmemory: must stay below redis_memory"]),
    "later_role_bad_list_entry": ({"postgres_databases": [{"name": "app"}, {"name": "extra"}], "redis_save": ["often"]},
                                  ["redis_save: every entry must be '<seconds> <changes>'", "'often'"]),
    "two_services_one_host_port": ({**PG_CHANGE, "redis_host_port": 35432},
                                   ["redis_host_port: host port 35432/tcp on 127.0.0.1 is already published by postgres_host_port"]),
    "factory_cannot_build_tag": ({**PG_CHANGE, "redis_image_tag": "7.2"}, ["redis_image_tag: '7.2' cannot come from the image factory"]),
    "docker_host_input": ({**PG_CHANGE, "docker_host_address_pools": [{"base": "nonsense", "size": 24}]},
                          ["docker_host_address_pools: every base must be a CIDR network"]),
    "publish_address_is_a_host_name": ({**PG_CHANGE, "appstack_publish_address": "db.example.internal"},
                                       ["appstack_publish_address: 'db.example.internal' must be an IPv4 or IPv6 address"]),
    "unknown_service": ({**PG_CHANGE, "appstack_services": ["postgres", "redis", "mysql"]},
                        ["appstack_services: 'mysql' is not a service of this collection"]),
    "start_order_cycle": ({**PG_CHANGE, "redis_start_after": ["postgres"], "postgres_start_after": ["redis"]},
                          ["appstack_services: the start order of postgres, redis has a cycle"]),
    "prod_short_redis_password": ({**PROD, "redis_password": "short-one"},
                                  ["redis_password: prod needs a real secret of at least 16 characters"]),
    "prod_every_role_reports": ({**PROD, "postgres_superuser_password": "appstack-dev-postgres", "redis_password": "short-one",
                                 "postgres_publish": True},
                                ["postgres_superuser_password: prod needs a real secret", "redis_password: prod needs a real secret",
                                 "postgres_publish: prod publishes no port"]),
    "prod_secret_from_a_missing_vault": ({**PROD, "redis_password": "{{ vault_redis_password }}"},
                                         ["redis_password: cannot be evaluated: 'vault_redis_password' is undefined"]),
    "every_error_at_once": ({"postgres_memory": "lots", "redis_maxmemory_policy": "lru", "redis_host_port": 0,
                             "appstack_publish_address": "myhost", "docker_host_daemon_log_max_files": 0},
                            ["postgres_memory: 'lots'", "redis_maxmemory_policy must be one of", "redis_host_port: 0 is not a port",
                             "appstack_publish_address: 'myhost'", "docker_host_daemon_log_max_files: 0 must be"]),
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """The dev stack of a project of its own, on ports of its own; removed afterwards."""
    # The exporters are asked for (no prometheus_grafana in this stack): more containers that must stay as they were.
    base = {"appstack_project": unique_project("xrole"), "appstack_services": ["postgres", "redis"],
            "postgres_host_port": 35432, "redis_host_port": 36379,
            "postgres_exporter_enabled": True, "redis_exporter_enabled": True}
    with deployed("site.yml", base, tmp_path_factory.mktemp("deploy")) as state:
        # PostgreSQL and Redis, each with its Prometheus exporter.
        assert len(state["containers"]) == 4 and len(state["volumes"]) == 2, state
        yield base, state


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_input_anywhere_changes_nothing_anywhere(stack, case, tmp_path):
    base, before = stack
    variables, expected = CASES[case]
    result = run_playbook("site.yml", {**base, **variables}, tmp_path)
    assert_refused(result, expected, base["appstack_project"], before)
    assert STRONG not in result.stdout


def test_the_same_change_alone_is_applied(stack, tmp_path):
    """The postgres change the cases carry is valid: alone, it recreates postgres and nothing else."""
    base, before = stack
    result = run_playbook("site.yml", {**base, **PG_CHANGE}, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    after = project_state(base["appstack_project"])
    changed = [line.split()[0] for line in set(after["containers"]) - set(before["containers"])]
    assert changed == [f"/{base['appstack_project']}-postgres"], (before, after)
