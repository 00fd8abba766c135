# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Where each service runs and how the others reach it, from the inventory alone.

A service runs on the hosts of the inventory group named after it (kolla-ansible's ``group:`` per
service), or on every host of ``docker_hosts`` when the inventory has no such group: a one-host
inventory needs nothing new. Another service reaches it by its alias on the project network when both
run on one host, else at the private address of a host that runs it and the port published there.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

#: The inventory group of every Docker host of the stack (what site.yml targets).
HOSTS_GROUP = "docker_hosts"
#: The per-host variable with the address other hosts of the stack reach it at.
ADDRESS_VAR = "appstack_private_address"


def service_hosts(service: str, groups: Mapping[str, list]) -> list[str]:
    """The hosts SERVICE runs on: its own group when the inventory has one, else every Docker host."""
    own = groups.get(service)
    return list(own) if own is not None else list(groups.get(HOSTS_GROUP) or [])


def placement(services: list[str], groups: Mapping[str, list]) -> dict[str, list[str]]:
    """Each service with the hosts it runs on."""
    return {service: service_hosts(service, groups) for service in services}


def placement_errors(services: list[str], groups: Mapping[str, list]) -> list[str]:
    """What keeps the inventory from placing SERVICES: a service without a host, a host outside docker_hosts."""
    errors = []
    docker_hosts = set(groups.get(HOSTS_GROUP) or [])
    for service, hosts in placement(services, groups).items():
        where = f"inventory group {service}" if service in groups else f"inventory group {HOSTS_GROUP}"
        if not hosts:
            errors.append(f"appstack_services: {service} has no host to run on ({where} is empty); "
                          f"add a host to it, or leave {service} out of appstack_services")
        outside = [host for host in hosts if host not in docker_hosts]
        if outside:
            errors.append(f"appstack_services: {service} is placed on {', '.join(outside)} ({where}), which "
                          f"{'is' if len(outside) == 1 else 'are'} not in {HOSTS_GROUP}; add "
                          f"{'it' if len(outside) == 1 else 'them'} to {HOSTS_GROUP} (the hosts site.yml deploys to)")
    return errors


def address_errors(services: list[str], groups: Mapping[str, list], hostvars: Mapping[str, Any]) -> list[str]:
    """A stack on several hosts publishes ports on each host's private address: each must be an IP address."""
    hosts = stack_hosts(services, groups)
    if len(hosts) < 2:
        return []
    errors = []
    for host in hosts:
        address = private_address(hostvars, host)
        try:
            ipaddress.ip_address(address)
        except ValueError:
            errors.append(f"{ADDRESS_VAR}: {host} is reached at {address!r}, which is not an IP address; a stack on "
                          f"several hosts publishes the ports the others use there, so set {ADDRESS_VAR} of {host} "
                          f"to its address on the network the stack's hosts share")
    return errors


def host_services(services: list[str], groups: Mapping[str, list], host: str) -> list[str]:
    """The services of SERVICES that run on HOST, in their order."""
    return [service for service in services if host in service_hosts(service, groups)]


def stack_hosts(services: list[str], groups: Mapping[str, list]) -> list[str]:
    """Every host that runs at least one of SERVICES, in inventory order."""
    hosts: dict[str, None] = {}
    for placed in placement(services, groups).values():
        hosts.update(dict.fromkeys(placed))
    return list(hosts)


def reached_from_elsewhere(service: str, services: list[str], groups: Mapping[str, list]) -> bool:
    """Whether a host of the stack runs something but not SERVICE: its ports are then published for the others."""
    return bool(set(stack_hosts(services, groups)) - set(service_hosts(service, groups)))


def private_address(hostvars: Mapping[str, Any], host: str) -> str:
    """The address the stack's other hosts reach HOST at: its ``appstack_private_address``, else ``ansible_host``,
    else its inventory name."""
    own = hostvars.get(host) or {}
    for name in (ADDRESS_VAR, "ansible_host"):
        value = own.get(name)
        if value:
            return str(value)
    return host


def endpoints(service: str, consumer: str, groups: Mapping[str, list], hostvars: Mapping[str, Any],
              alias: str, port: int, host_port: int | None = None) -> list[str]:
    """``host:port`` of SERVICE on each host it runs on, as seen from CONSUMER: ``alias:port`` on CONSUMER itself
    (the project network), ``<private address>:<host_port>`` on another host. An inventory that places SERVICE
    nowhere (a role run alone on a play's hosts) has it beside CONSUMER."""
    found = []
    for host in service_hosts(service, groups) or [consumer]:
        if host == consumer:
            found.append(f"{alias}:{port}")
        else:
            found.append(f"{private_address(hostvars, host)}:{host_port or port}")
    return list(dict.fromkeys(found))


def endpoint(service: str, consumer: str, groups: Mapping[str, list], hostvars: Mapping[str, Any],
             alias: str, port: int, host_port: int | None = None) -> str:
    """The one ``host:port`` CONSUMER uses for SERVICE: its own host's when it runs there, else the first host's."""
    found = endpoints(service, consumer, groups, hostvars, alias, port, host_port)
    local = f"{alias}:{port}"
    return local if local in found else (found[0] if found else local)
