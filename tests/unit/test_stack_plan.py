"""Which services a stack may name and in which order they start."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleError
from ansible_collections.appstack.platform.plugins.module_utils import containers
from ansible_collections.appstack.platform.plugins.plugin_utils import deploy


class Values:
    """A stand-in for the preflight's view of the variables (only what start_waves asks)."""

    def __init__(self, values: dict):
        self.values = values

    def defined(self, name: str) -> bool:
        return name in self.values

    def value(self, name: str) -> Any:
        return self.values[name]


def test_independent_services_start_together():
    assert deploy.start_waves(Values({}), ["postgres", "redis"]) == [["postgres", "redis"]]


def test_a_service_starts_after_the_enabled_services_it_names():
    values = Values({"app_start_after": ["postgres", "redis", "kafka"], "nginx_start_after": ["app"]})
    assert deploy.start_waves(values, ["nginx", "app", "postgres", "redis"]) == [["postgres", "redis"], ["app"], ["nginx"]]


def test_a_start_order_with_a_cycle_is_refused():
    values = Values({"a_start_after": ["b"], "b_start_after": ["a"]})
    with pytest.raises(AnsibleError, match="appstack_services: the start order of a, b has a cycle"):
        deploy.start_waves(values, ["a", "b"])


def test_the_service_list_names_known_services_once():
    assert deploy.check_services_list(["postgres", "redis"]) == []
    errors = deploy.check_services_list(["postgres", "mysql", "postgres"])
    assert errors[0].startswith("appstack_services: 'mysql' is not a service of this collection; known: ")
    assert errors[1] == "appstack_services: postgres listed more than once"
    assert deploy.check_services_list("postgres")[0].startswith("appstack_services: must be a list")


def _reloading_item() -> dict:
    spec = {"name": "p-nginx", "uid": 101, "reload": {"test": ["nginx", "-t"], "command": ["nginx", "-s", "reload"]},
            "config_dir": "/etc/nginx/appstack", "config_files": [{"name": "nginx.conf", "template": "nginx.conf.j2"}]}
    return {"spec": spec, "files": {"nginx.conf": "events {}\n"}, "secrets": {}}


def test_a_reloading_container_gets_its_files_staged_and_compared():
    layout = deploy.host_layout([_reloading_item()], {"config_root": "/etc/appstack", "network": "p", "project": "p"})
    assert [f["path"] for f in layout["files"]] == ["/etc/appstack/p-nginx/config.next/nginx.conf"]
    assert layout["files"][0]["diff_against"] == "/etc/appstack/p-nginx/config/nginx.conf"
    assert {"staged": "/etc/appstack/p-nginx/config.next", "live": "/etc/appstack/p-nginx/config"} in layout["compare_dirs"]


def test_a_compose_project_gets_the_files_of_a_reloading_container_in_place():
    layout = deploy.host_layout([_reloading_item()], {"config_root": "/etc/appstack", "network": "p", "project": "p"},
                                staged=False)
    assert [f["path"] for f in layout["files"]] == ["/etc/appstack/p-nginx/config/nginx.conf"]
    assert "diff_against" not in layout["files"][0] and layout["compare_dirs"] == []
    assert not any(d["path"].endswith(".next") for d in layout["directories"])


def _plain_item() -> dict:
    spec = {"name": "p-postgres", "uid": 999, "secrets": {"postgres_password": "x"},
            "config_files": [{"name": "postgresql.conf", "template": "postgresql.conf.j2", "mount": "/etc/postgresql/postgresql.conf"}],
            "config_test": {"entrypoint": ["postgres"], "test": ["-C", "max_connections"]}, "image": "postgres", "memory": "1g"}
    return {"spec": spec, "files": {"postgresql.conf": "port = 5432\n"}, "secrets": {"postgres_password": "x"}}


def test_every_container_gets_its_files_staged_so_the_live_ones_stay_until_proven():
    layout = deploy.host_layout([_plain_item()], {"config_root": "/etc/appstack", "network": "p", "project": "p"})
    assert [f["path"] for f in layout["files"]] == ["/etc/appstack/p-postgres/config.next/postgresql.conf"]
    assert [f["path"] for f in layout["secret_files"]] == ["/etc/appstack/p-postgres/secrets.next/postgres_password"]
    assert {"staged": "/etc/appstack/p-postgres/secrets.next", "live": "/etc/appstack/p-postgres/secrets"} in layout["compare_dirs"]
    assert layout["prune"] == ["/etc/appstack/p-postgres/config.next", "/etc/appstack/p-postgres/secrets.next"]


def test_a_config_test_reads_the_staged_files_where_the_server_reads_its_own():
    stack = {"config_root": "/etc/appstack", "network": "p", "project": "p", "pull": "never"}
    args = containers.config_test_args(_plain_item()["spec"], stack, "appstack/postgres:17")
    assert args["entrypoint"] == ["postgres"] and args["command"] == ["-C", "max_connections"]
    assert args["mounts"] == [
        {"type": "bind", "source": "/etc/appstack/p-postgres/config.next/postgresql.conf", "target": "/etc/postgresql/postgresql.conf",
         "read_only": True},
        {"type": "bind", "source": "/etc/appstack/p-postgres/secrets.next", "target": "/run/secrets", "read_only": True}]
    assert args["user"] == "999:999" and args["cap_drop"] == ["ALL"] and args["keep_volumes"] is False


def test_what_changed_names_the_image_the_files_or_the_options():
    args = {"image": "appstack/postgres:17-new", "labels": {containers.LABEL_CONFIG_HASH: "b", containers.LABEL_SPEC_HASH: "s2"}}
    state = {"image": "sha256:old", "labels": {containers.LABEL_CONFIG_HASH: "a", containers.LABEL_SPEC_HASH: "s1"}}
    assert containers.what_changed(args, state, "sha256:new") == (
        "its image (appstack/postgres:17-new) and its configuration files or secrets")
    same_files = {**state, "image": "sha256:new", "labels": {containers.LABEL_CONFIG_HASH: "b"}}
    assert containers.what_changed(args, same_files, "sha256:new").startswith("its container options")
