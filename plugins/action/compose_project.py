# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Action appstack.platform.compose_project: the same containers as a compose project (see plugins/modules/compose_project.py)."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible_collections.appstack.platform.plugins.module_utils import containers
from ansible_collections.appstack.platform.plugins.plugin_utils.deploy import SUPPORT_ROLES, host_layout, plan, settings
from ansible_collections.appstack.platform.plugins.plugin_utils.stack import Stack, short_message


class ActionModule(ActionBase):
    """Writes the services' files like the deploy does and returns the compose document for them."""

    TRANSFERS_FILES = False

    def run(self, tmp: None = None, task_vars: dict | None = None) -> dict:
        result = super().run(tmp, task_vars)
        services = list(self._task.args.get("services") or [])
        try:
            stack = Stack(self, task_vars or {}, SUPPORT_ROLES + services)
            conf = settings(stack)
            planned = plan(stack, services)
        except AnsibleError as exc:
            result.update(failed=True, msg=short_message(exc))
            return result
        layout = host_layout(planned, conf, staged=False)
        # compose creates the network and volumes itself, from the document.
        layout.update(networks=[], volumes=[])
        written = self._execute_module(module_name="appstack.platform.prepare_host", module_args=layout, task_vars=task_vars)
        if written.get("failed"):
            result.update(failed=True, msg=written.get("msg"))
            return result
        volumes = {}
        for item in planned:
            for volume in item["spec"].get("volumes") or []:
                if volume.get("name"):
                    volumes[volume["name"]] = {"name": volume["name"], "labels": {
                        containers.LABEL_PROJECT: conf["project"], containers.LABEL_SERVICE: item["spec"]["name"]}}
        result["changed"] = bool(written.get("changed"))
        result["compose"] = {
            "name": conf["project"],
            "services": {item["spec"]["name"]: containers.compose_service(item["spec"], conf, item["image_ref"], item["digest"])
                         for item in planned},
            "networks": {"default": {"name": conf["network"], "labels": {containers.LABEL_PROJECT: conf["project"]}}},
            "volumes": volumes,
        }
        return result
