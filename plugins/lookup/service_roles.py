# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Lookup appstack.platform.service_roles: the service roles of this collection."""

from __future__ import annotations

DOCUMENTATION = r"""
name: service_roles
short_description: The service roles of appstack.platform (what C(appstack_services) may name)
version_added: 0.2.0
description:
  - Every role of the collection that describes containers (C(<role>_containers) in its C(vars/main.yml)),
    in name order. Derived from the roles themselves, so a new service role needs no list edited by hand.
author: appstack platform team
options: {}
"""

EXAMPLES = r"""
- name: Show the services a stack may run
  ansible.builtin.debug:
    msg: "{{ query('appstack.platform.service_roles') }}"
"""

RETURN = r"""
_raw:
  description: Role names.
  type: list
  elements: str
"""

from ansible.plugins.lookup import LookupBase
from ansible_collections.appstack.platform.plugins.plugin_utils.stack import service_roles


class LookupModule(LookupBase):
    """Lists the service roles."""

    def run(self, terms: list, variables: dict | None = None, **kwargs: object) -> list[str]:
        return service_roles()
