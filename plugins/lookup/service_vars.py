# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Lookup appstack.platform.service_vars: a service role's variables as that role itself sees them."""

from __future__ import annotations

DOCUMENTATION = r"""
name: service_vars
short_description: Variables of other service roles, evaluated in their own scope
version_added: 0.5.0
description:
  - "Each term is a variable of a service role of the collection, named with its role's prefix, for example
    C(redis_password) or C(postgres_users). Its value is what that role would see: its defaults, then the play's
    variables, then its vars. A role that wires itself to other services (the app) reads their credentials and
    endpoints this way instead of repeating their defaults."
author: appstack platform team
options:
  _terms:
    description: Variable names, each starting with a service role's name and C(_).
    required: true
"""

EXAMPLES = r"""
- name: Show the password the Redis role sets
  ansible.builtin.debug:
    msg: "{{ lookup('appstack.platform.service_vars', 'redis_password') }}"
"""

RETURN = r"""
_raw:
  description: The values, in the order of the terms.
  type: list
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.appstack.platform.plugins.plugin_utils.stack import Stack, StackError, service_roles


class LookupModule(LookupBase):
    """Evaluates each named variable in its role's scope (plugin_utils.stack.Stack)."""

    def run(self, terms: list, variables: dict | None = None, **kwargs: object) -> list:
        names = [str(term) for term in self._flatten(terms)]
        # The longest role name that prefixes a variable owns it (prometheus_grafana_x, not prometheus).
        roles = sorted(service_roles(), key=len, reverse=True)
        owners = []
        for name in names:
            owner = next((role for role in roles if name.startswith(f"{role}_")), None)
            if owner is None:
                raise AnsibleLookupError(f"{name} is not a variable of a service role ({', '.join(sorted(roles))})")
            owners.append(owner)
        try:
            stack = Stack(self, variables or {}, owners)
            return [stack.value(name) for name in names]
        except (StackError, AnsibleLookupError) as exc:
            raise AnsibleLookupError(str(exc)) from exc
