"""How every container is run: hardening, labels, mounts, strict comparisons; jobs; the compose twin."""

import pytest
from ansible_collections.appstack.platform.plugins.module_utils import containers

STACK = {
    "project": "p", "network": "p", "config_root": "/etc/appstack", "publish_ports": True,
    "publish_address": "127.0.0.1", "restart_policy": "unless-stopped", "log_max_size": "10m",
    "log_max_files": 3, "stop_timeout": 30, "pull": "never",
}
SPEC = containers.normalize({
    "name": "p-db", "image": "postgres", "uid": 999, "command": ["postgres"],
    "env": {"A": True, "B": 3}, "secrets": {"pw": "x"},
    "config_files": [{"name": "a.conf", "template": "a.conf.j2", "mount": "/etc/a.conf"}, {"name": "b", "template": "b.j2"}],
    "volumes": [{"name": "p-data", "mount": "/data"}, {"path": "/srv", "mount": "/srv", "read_only": True}],
    "ports": [{"container": 5432, "host": 25432}], "healthcheck": {"test": ["CMD", "true"], "interval": "5s"},
    "memory": "256m", "cap_add": ["CHOWN"], "aliases": ["db"],
}, "postgres")


def test_every_container_is_hardened_and_compared_strictly():
    args = containers.docker_container_args(SPEC, STACK, "appstack/postgres:17", "h" * 64)
    assert args["cap_drop"] == ["ALL"] and args["capabilities"] == ["CHOWN"]
    assert args["security_opts"] == ["no-new-privileges:true"]
    assert args["memory"] == args["memory_swap"] == "256m"
    assert args["pids_limit"] == 512 and args["cpus"] == 1.0
    assert args["comparisons"] == {"*": "strict"}
    assert args["log_driver"] == "json-file" and args["log_options"] == {"max-size": "10m", "max-file": "3"}
    assert args["user"] == "999:999" and args["env"] == {"A": "true", "B": "3"}
    assert args["state"] == "started" and args["restart_policy"] == "unless-stopped"


def test_labels_carry_project_role_config_hash_and_spec_hash():
    labels = containers.docker_container_args(SPEC, STACK, "i", "h" * 64)["labels"]
    spec_hash = labels.pop("org.appstack.spec-hash")
    assert labels == {"org.appstack.project": "p", "org.appstack.service": "p-db", "org.appstack.role": "postgres",
                      "org.appstack.config-hash": "h" * 64}
    assert len(spec_hash) == 64


def test_the_spec_hash_follows_every_option():
    base = containers.docker_container_args(SPEC, STACK, "i", "h")["labels"]["org.appstack.spec-hash"]
    assert containers.docker_container_args(SPEC, STACK, "i", "h")["labels"]["org.appstack.spec-hash"] == base
    for spec, stack, image, digest in [({**SPEC, "memory": "300m"}, STACK, "i", "h"), (SPEC, {**STACK, "restart_policy": "always"}, "i", "h"),
                                       (SPEC, STACK, "j", "h"), (SPEC, STACK, "i", "g"), ({**SPEC, "env": {"A": True}}, STACK, "i", "h")]:
        assert containers.docker_container_args(spec, stack, image, digest)["labels"]["org.appstack.spec-hash"] != base


@pytest.mark.parametrize("change, current", [
    ({}, True),
    ({"running": False}, False),
    ({"restarting": True}, False),
    ({"health": "starting"}, False),
    ({"health": "unhealthy"}, False),
    ({"image": "sha256:other"}, False),
    ({"labels": {"org.appstack.spec-hash": "stale"}}, False),
])
def test_only_a_container_exactly_as_described_and_healthy_skips_docker_container(change, current):
    args = containers.docker_container_args(SPEC, STACK, "appstack/postgres:17", "h")
    state = {"running": True, "restarting": False, "health": "healthy", "image": "sha256:img",
             "labels": dict(args["labels"]), **change}
    assert containers.is_current(args, state, "sha256:img") is current
    assert containers.is_current(args, None, "sha256:img") is False
    assert containers.is_current(args, state, None) is False


def test_mounts_volumes_mounted_files_and_the_secrets_directory():
    mounts = containers.docker_container_args(SPEC, STACK, "i", "h")["mounts"]
    assert mounts == [
        {"type": "volume", "source": "p-data", "target": "/data", "read_only": False},
        {"type": "bind", "source": "/srv", "target": "/srv", "read_only": True},
        {"type": "bind", "source": "/etc/appstack/p-db/config/a.conf", "target": "/etc/a.conf", "read_only": True},
        {"type": "bind", "source": "/etc/appstack/p-db/secrets", "target": "/run/secrets", "read_only": True},
    ]


@pytest.mark.parametrize("publish_ports, publish, edge, address, expected", [
    (True, True, False, "127.0.0.1", ["127.0.0.1:25432:5432/tcp"]),
    (True, True, False, "", ["25432:5432/tcp"]),
    (True, True, False, "::1", ["[::1]:25432:5432/tcp"]),
    (False, True, False, "127.0.0.1", []),
    (True, False, False, "127.0.0.1", []),
    # The edge proxy publishes in a stack that publishes nothing else (prod), unless it says not to.
    (False, True, True, "", ["25432:5432/tcp"]),
    (False, False, True, "", []),
])
def test_ports_are_published_only_when_stack_and_container_allow(publish_ports, publish, edge, address, expected):
    spec = {**SPEC, "publish": publish, "edge": edge}
    stack = {**STACK, "publish_ports": publish_ports, "publish_address": address}
    assert containers.docker_container_args(spec, stack, "i", "h")["published_ports"] == expected


def test_config_hash_follows_contents_not_order():
    one = containers.config_hash({"a": "1", "b": "2"}, {"s": "x"})
    assert one == containers.config_hash({"b": "2", "a": "1"}, {"s": "x"})
    assert one != containers.config_hash({"a": "1", "b": "3"}, {"s": "x"})
    assert one != containers.config_hash({"a": "1", "b": "2"}, {"s": "y"})
    # A file moved from config to secrets is a change too.
    assert containers.config_hash({"a": "1"}, {}) != containers.config_hash({}, {"a": "1"})


def test_a_description_without_name_image_or_healthcheck_is_refused():
    with pytest.raises(containers.SpecError, match="needs healthcheck"):
        containers.normalize({"name": "x", "image": "redis"}, "redis")
    with pytest.raises(containers.SpecError, match="needs 'name'"):
        containers.volume_mount({"mount": "/data"})


def test_jobs_are_hardened_removed_afterwards_and_read_a_services_secrets():
    job = containers.job_args({"name": "p-db-backup", "image": "postgres", "uid": 999, "command": ["true"],
                               "secrets_from": "p-db", "volumes": [{"path": "/b", "mount": "/backup"}]},
                              STACK, "appstack/postgres:17")
    assert job["cap_drop"] == ["ALL"] and job["security_opts"] == ["no-new-privileges:true"]
    assert job["detach"] is False and job["cleanup"] is True and job["user"] == "999:999"
    # the anonymous volume of an image VOLUME the job does not mount goes with it; named volumes never do
    assert job["keep_volumes"] is False
    assert {"type": "bind", "source": "/etc/appstack/p-db/secrets", "target": "/run/secrets", "read_only": True} in job["mounts"]


def test_the_compose_twin_runs_the_same_container():
    args = containers.docker_container_args(SPEC, STACK, "appstack/postgres:17", "h")
    service = containers.compose_service(SPEC, STACK, "appstack/postgres:17", "h")
    assert service["image"] == args["image"] and service["environment"] == args["env"]
    assert service["labels"] == args["labels"] and service["ports"] == args["published_ports"]
    assert [v["source"] for v in service["volumes"]] == [m["source"] for m in args["mounts"]]
    assert service["cap_drop"] == ["ALL"] and service["security_opt"] == ["no-new-privileges:true"]
    assert service["mem_limit"] == service["memswap_limit"] == "256m"
    assert service["healthcheck"]["test"] == ["CMD", "true"] and service["user"] == "999:999"
    assert service["networks"] == {"default": {"aliases": ["db"]}}


def test_names_outside_the_project_network_reach_etc_hosts_only_when_described():
    assert "etc_hosts" not in containers.docker_container_args(SPEC, STACK, "i", "h" * 64)
    spec = {**SPEC, "etc_hosts": {"host.docker.internal": "host-gateway"}}
    assert containers.docker_container_args(spec, STACK, "i", "h" * 64)["etc_hosts"] == {
        "host.docker.internal": "host-gateway"}


def test_a_configuration_test_resolves_the_same_outside_names_as_its_service():
    spec = {**SPEC, "reload": {"test": ["nginx", "-t"], "command": ["nginx", "-s", "reload"]},
            "etc_hosts": {"host.docker.internal": "host-gateway"}}
    args = containers.config_test_args(spec, STACK, "i")
    assert args["etc_hosts"] == {"host.docker.internal": "host-gateway"}
