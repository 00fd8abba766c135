"""Where services run and how the others reach them, from the inventory's groups alone."""

from ansible_collections.appstack.platform.plugins.module_utils import containers, placement

ONE_HOST = {"all": ["localhost"], "docker_hosts": ["localhost"], "ungrouped": []}
THREE = {
    "docker_hosts": ["vm1", "vm2", "vm3"],
    "postgres": ["vm1"], "redis": ["vm1"], "nginx": ["vm1"],
    "app": ["vm2", "vm3"],
}
HOSTVARS = {"vm1": {"appstack_private_address": "10.9.0.11"}, "vm2": {"ansible_host": "10.9.0.12"}, "vm3": {}}
SERVICES = ["postgres", "redis", "nginx", "app"]


def test_one_host_inventory_places_every_service_on_it():
    assert placement.placement(SERVICES, ONE_HOST) == {service: ["localhost"] for service in SERVICES}
    assert placement.placement_errors(SERVICES, ONE_HOST) == []
    assert placement.host_services(SERVICES, ONE_HOST, "localhost") == SERVICES
    assert not placement.reached_from_elsewhere("postgres", SERVICES, ONE_HOST)


def test_a_group_named_after_a_service_places_it_and_others_stay_everywhere():
    groups = {"docker_hosts": ["vm1", "vm2"], "postgres": ["vm1"]}
    assert placement.placement(["postgres", "redis"], groups) == {"postgres": ["vm1"], "redis": ["vm1", "vm2"]}
    assert placement.host_services(["postgres", "redis"], groups, "vm2") == ["redis"]
    assert placement.reached_from_elsewhere("postgres", ["postgres", "redis"], groups)
    assert not placement.reached_from_elsewhere("redis", ["postgres", "redis"], groups)


def test_a_service_without_a_host_or_outside_docker_hosts_is_refused_naming_the_group():
    errors = placement.placement_errors(["postgres", "redis"], {"docker_hosts": ["vm1"], "postgres": [], "redis": ["db9"]})
    assert errors == [
        "appstack_services: postgres has no host to run on (inventory group postgres is empty); add a host to it, "
        "or leave postgres out of appstack_services",
        "appstack_services: redis is placed on db9 (inventory group redis), which is not in docker_hosts; add it to "
        "docker_hosts (the hosts site.yml deploys to)",
    ]


def test_the_same_host_reaches_a_service_by_alias_another_by_private_address_and_published_port():
    assert placement.endpoint("postgres", "vm1", THREE, HOSTVARS, "postgres", 5432, 15432) == "postgres:5432"
    assert placement.endpoint("postgres", "vm2", THREE, HOSTVARS, "postgres", 5432, 15432) == "10.9.0.11:15432"
    # ansible_host when no private address is set, else the inventory name
    assert placement.endpoints("app", "vm1", THREE, HOSTVARS, "app", 8000) == ["10.9.0.12:8000", "vm3:8000"]
    assert placement.endpoints("app", "vm2", THREE, HOSTVARS, "app", 8000) == ["app:8000", "vm3:8000"]
    assert placement.endpoint("app", "vm3", THREE, HOSTVARS, "app", 8000) == "app:8000"


def test_peer_ports_are_published_on_the_private_address_only_when_another_host_needs_them():
    spec = containers.normalize({"name": "p-db", "image": "postgres", "healthcheck": {"test": ["CMD", "true"]},
                                 "ports": [{"container": 5432, "host": 15432}],
                                 "peer_ports": [{"container": 5432, "host": 15432}]}, "postgres")
    stack = {"publish_ports": False, "publish_address": "127.0.0.1"}
    assert containers.published_ports(spec, stack) == []
    assert containers.published_ports(spec, {**stack, "peer_address": "10.9.0.11"}) == ["10.9.0.11:15432:5432/tcp"]
    assert containers.published_ports(spec, {**stack, "publish_ports": True, "peer_address": "10.9.0.11"}) == [
        "127.0.0.1:15432:5432/tcp", "10.9.0.11:15432:5432/tcp"]


def test_a_stack_on_several_hosts_needs_an_ip_address_for_each_and_one_host_needs_none():
    assert placement.address_errors(SERVICES, ONE_HOST, {}) == []
    assert placement.address_errors(SERVICES, THREE, {**HOSTVARS, "vm3": {"appstack_private_address": "10.9.0.13"}}) == []
    assert placement.address_errors(SERVICES, THREE, HOSTVARS) == [
        "appstack_private_address: vm3 is reached at 'vm3', which is not an IP address; a stack on several hosts "
        "publishes the ports the others use there, so set appstack_private_address of vm3 to its address on the "
        "network the stack's hosts share"]
