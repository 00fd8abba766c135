# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Lookup appstack.platform.prometheus_targets: what Prometheus scrapes of the given services, as each declares it."""

from __future__ import annotations

DOCUMENTATION = r"""
name: prometheus_targets
short_description: The scrape jobs the services of a stack declare (C(<role>_metrics))
version_added: 0.4.0
description:
  - For each given service role of the collection (or of the playbook's C(roles/)), the scrape jobs it declares in
    C(<role>_metrics) in its C(vars/main.yml) - for example C(postgres_metrics), C([{job, targets}]) - evaluated with
    that role's defaults, the play's variables and its vars, exactly as the role itself would see them (so a
    disabled exporter declares no job).
  - A service that declares nothing contributes the jobs of O(fallback) (Jinja expressions evaluated the same
    way), or none. Names that are not service roles are skipped (the calling role's checks report them).
author: appstack platform team
options:
  _terms:
    description: Service role names (lists are flattened).
    required: true
  fallback:
    description: Role name to a Jinja expression giving its jobs, for services that declare no C(<role>_metrics).
    type: dict
    default: {}
  exclude:
    description: Roles never asked (the calling role itself).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Show what Prometheus would scrape of the stack
  ansible.builtin.debug:
    msg: "{{ query('appstack.platform.prometheus_targets', appstack_services) }}"
"""

RETURN = r"""
_raw:
  description: Scrape jobs, C({job, targets, metrics_path, scheme, scrape_interval, labels}), in the order of the services.
  type: list
  elements: dict
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.appstack.platform.plugins.plugin_utils.stack import Stack, StackError, role_search_path, service_roles


class LookupModule(LookupBase):
    """Evaluates each service's ``<role>_metrics`` in that role's own variable scope (plugin_utils.stack.Stack)."""

    def run(self, terms: list, variables: dict | None = None, **kwargs: object) -> list[dict]:
        self.set_options(var_options=variables, direct=kwargs)
        fallback = self.get_option("fallback") or {}
        exclude = set(self.get_option("exclude") or [])
        variables = variables or {}
        known = set(service_roles())
        wanted = []
        for term in self._flatten(terms):
            name = str(term).removeprefix("appstack.platform.")
            if name in exclude or name in wanted:
                continue
            if name in known or any(_has_role(path, name) for path in role_search_path(variables)[1:]):
                wanted.append(name)
        if not wanted:
            return []
        try:
            # The Stack reads this lookup's loader and templar, as it does an action's.
            stack = Stack(self, variables, wanted)
        except StackError as exc:
            raise AnsibleLookupError(str(exc)) from exc
        jobs: list[dict] = []
        for role in wanted:
            name = f"{role}_metrics"
            if stack.defined(name):
                declared = stack.value(name)
            elif role in fallback:
                declared = stack.evaluate(str(fallback[role]))
            else:
                continue
            if not isinstance(declared, list):
                raise AnsibleLookupError(f"{name} must be a list of scrape jobs ({{job, targets}}); got {declared!r}")
            jobs.extend(dict(job) for job in declared)
        return jobs


def _has_role(base: str, name: str) -> bool:
    """Whether BASE holds a role NAME with variables (a team's service role)."""
    return os.path.isfile(os.path.join(base, name, "vars", "main.yml"))
