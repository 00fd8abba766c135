"""Which services a stack may name and in which order they start."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleError
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
