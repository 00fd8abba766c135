# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Action appstack.platform.preflight: check a whole stack's inputs before anything changes (see plugins/modules/preflight.py)."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible_collections.appstack.platform.plugins.module_utils import placement
from ansible_collections.appstack.platform.plugins.plugin_utils.deploy import (
    SUPPORT_ROLES, check_services_list, check_stack, endpoints, image_look, images_of, notices, peer_firewall, start_waves)
from ansible_collections.appstack.platform.plugins.plugin_utils.stack import Stack, service_roles, short_message


class ActionModule(ActionBase):
    """Runs on the controller only: argument specs, rules and stack-wide checks of every role of the run."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp: None = None, task_vars: dict | None = None) -> dict:
        result = super().run(tmp, task_vars)
        args = self._task.args
        result["changed"] = False
        try:
            services, roles = self._scope(args, task_vars or {})
        except AnsibleError as exc:
            result.update(failed=True, msg=short_message(exc))
            return result
        errors = check_services_list(services)
        # The whole stack is placed on the inventory's hosts; this host deploys (and plans) its own services.
        whole = "stack" in roles
        groups = (task_vars or {}).get("groups") or {}
        if whole and not errors:
            errors = placement.placement_errors(list(services), groups) or placement.address_errors(
                list(services), groups, (task_vars or {}).get("hostvars") or {})
        here = (placement.host_services(list(services), groups, str((task_vars or {}).get("inventory_hostname")))
                if whole else list(services))
        if not errors:
            try:
                # The platform roles matter to services; a lone role (docker_host) is checked alone.
                platform = SUPPORT_ROLES if services or whole else []
                stack = Stack(self, task_vars or {}, roles + platform + list(services))
                errors, planned = check_stack(stack, here)
                if not errors:
                    wanted = images_of(planned)
                    result.update(checked=here, images=wanted, image_look=image_look(stack, wanted) if platform else {},
                                  prepare=[role for role in here if stack.has_entry_point(role, "prepare")],
                                  own_deploy=[role for role in here if stack.has_entry_point(role, "deploy")],
                                  waves=start_waves(stack, list(services)), endpoints=endpoints(stack, here),
                                  placement=placement.placement(list(services), groups), services=here,
                                  firewall=peer_firewall(stack, planned) if whole else {"ports": [], "sources": []},
                                  notices=notices(stack, here))
                    # Said once per run, where the whole run is checked (a part of a service left out, and how to add it).
                    if result["notices"]:
                        result["warnings"] = list(result["notices"])
            except AnsibleError as exc:
                errors = [short_message(exc)]
        if errors:
            result["failed"] = True
            result["msg"] = (f"{len(errors)} problem(s) in the settings; nothing was changed:\n"
                             + "\n".join(f"- {error}" for error in errors))
        else:
            result["msg"] = f"settings of {', '.join(roles + services)} are valid"
        return result

    def _scope(self, args: dict, task_vars: dict) -> tuple[list, list[str]]:
        """The services and other roles to check: given, or what checking ``role`` means."""
        role = args.get("role")
        if not role:
            return args.get("services", []), list(args.get("roles") or [])
        if role == "stack":
            services = Stack(self, task_vars, ["stack"]).value("stack_services")
            return services, ["stack", "docker_host"]
        if role in service_roles():
            return [role], []
        return [], [role]
