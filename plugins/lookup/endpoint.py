# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Lookup appstack.platform.endpoint: how the current host reaches a service of the stack."""

from __future__ import annotations

DOCUMENTATION = r"""
name: endpoint
short_description: How this host reaches a service of the stack, from where the inventory places it
version_added: 0.9.0
description:
  - Each term is a service role (C(postgres), C(redis), C(app) ...). A service runs on the hosts of the inventory
    group named after it, or on every host of C(docker_hosts) when there is no such group.
  - Seen from a host that runs the service, the answer is C(<alias>:<port>) on the project network; from another
    host it is C(<private address>:<host_port>), the address being that host's C(appstack_private_address)
    (else its C(ansible_host), else its inventory name).
  - With O(all), every host of the service, one C(host:port) each (what a load balancer or a scrape job wants);
    without, one C(host:port) - this host's own when it runs the service, else the first host's.
author: appstack platform team
options:
  _terms:
    description: Service roles.
    required: true
  port:
    description: The port on the project network (inside the container).
    type: int
    required: true
  host_port:
    description: The port the service publishes for other hosts; O(port) when not given.
    type: int
  alias:
    description: The name on the project network; the service's name when not given.
    type: str
  all:
    description: Every host of the service instead of one.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Show where the app finds PostgreSQL
  ansible.builtin.debug:
    msg: "{{ lookup('appstack.platform.endpoint', 'postgres', port=5432, host_port=postgres_host_port) }}"

- name: Show every Redis exporter Prometheus scrapes
  ansible.builtin.debug:
    msg: "{{ query('appstack.platform.endpoint', 'redis', alias='redis-exporter', port=9121, all=true) }}"
"""

RETURN = r"""
_raw:
  description: C(host:port) strings, one per term (or one per host of each term with O(all)).
  type: list
  elements: str
"""

from ansible.plugins.lookup import LookupBase
from ansible_collections.appstack.platform.plugins.module_utils import placement


class LookupModule(LookupBase):
    """Reads the inventory (groups, hostvars) of the current run, never a role's files."""

    def run(self, terms: list, variables: dict | None = None, **kwargs: object) -> list[str]:
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        groups = variables.get("groups") or {}
        hostvars = variables.get("hostvars") or {}
        consumer = str(variables.get("inventory_hostname", "localhost"))
        port, host_port, alias = self.get_option("port"), self.get_option("host_port"), self.get_option("alias")
        found: list[str] = []
        for term in self._flatten(terms):
            service = str(term)
            name = alias or service.replace("_", "-")
            if self.get_option("all"):
                found.extend(placement.endpoints(service, consumer, groups, hostvars, name, port, host_port))
            else:
                found.append(placement.endpoint(service, consumer, groups, hostvars, name, port, host_port))
        return found
