# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Action appstack.platform.preflight: check a whole stack's inputs before anything changes (see plugins/modules/preflight.py)."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible_collections.appstack.platform.plugins.plugin_utils.deploy import (
    SUPPORT_ROLES, check_services_list, check_stack, endpoints, images_of, start_waves)
from ansible_collections.appstack.platform.plugins.plugin_utils.stack import Stack, has_entry_point, short_message


class ActionModule(ActionBase):
    """Runs on the controller only: argument specs, rules and stack-wide checks of every role of the run."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp: None = None, task_vars: dict | None = None) -> dict:
        result = super().run(tmp, task_vars)
        args = self._task.args
        services = args.get("services", [])
        errors = check_services_list(services)
        result["changed"] = False
        if not errors:
            roles = list(args.get("roles") or []) + SUPPORT_ROLES + list(services)
            try:
                stack = Stack(self, task_vars or {}, roles)
                errors, planned = check_stack(stack, list(services))
                if not errors:
                    result.update(checked=list(services), images=images_of(planned), waves=[
                        {"services": wave, "configure": [role for role in wave if has_entry_point(role, "configure")]}
                        for wave in start_waves(stack, list(services))],
                        endpoints=endpoints(stack, list(services)))
            except AnsibleError as exc:
                errors = [short_message(exc)]
        if errors:
            result["failed"] = True
            result["msg"] = (f"{len(errors)} problem(s) in the settings; nothing was changed:\n"
                             + "\n".join(f"- {error}" for error in errors))
        else:
            result["msg"] = f"settings of {', '.join(services) or 'the platform'} are valid"
        return result
