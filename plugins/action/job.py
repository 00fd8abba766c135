# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Action appstack.platform.job: run a one-off container to completion (see plugins/modules/job.py)."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible_collections.appstack.platform.plugins.module_utils import containers, images
from ansible_collections.appstack.platform.plugins.plugin_utils.deploy import SUPPORT_ROLES, settings
from ansible_collections.appstack.platform.plugins.plugin_utils.stack import Stack, short_message


class ActionModule(ActionBase):
    """Backups, restores, migrations: hardened like services, on the project network, removed afterwards."""

    TRANSFERS_FILES = False

    def run(self, tmp: None = None, task_vars: dict | None = None) -> dict:
        result = super().run(tmp, task_vars)
        job = dict(self._task.args.get("job") or {})
        missing = [key for key in ("name", "image", "command") if not job.get(key)]
        if missing:
            result.update(failed=True, msg=f"job needs {', '.join(missing)}")
            return result
        try:
            conf = settings(Stack(self, task_vars or {}, SUPPORT_ROLES))
            if job.get("image_ref"):
                # An image outside the catalog (a team's app), which its role provided.
                ref, conf = str(job["image_ref"]), {**conf, "pull": "missing" if job.get("pull") else "never"}
            else:
                ref = images.image_ref(conf["catalog"], job["image"], job.get("image_tag"), conf["image_source"],
                                       conf["registry"], conf["namespace"])
        except (AnsibleError, ValueError) as exc:
            result.update(failed=True, msg=f"job {job['name']}: {short_message(exc)}")
            return result
        outcome = self._execute_module(module_name="community.docker.docker_container",
                                       module_args=containers.job_args(job, conf, ref), task_vars=task_vars)
        output = (outcome.get("container") or {}).get("Output", "")
        if job.get("no_log"):
            output = "(output hidden: the job handles secrets)"
        result.update(changed=True, output=output)
        if outcome.get("failed"):
            detail = output if job.get("no_log") else outcome.get("msg", "")
            result.update(failed=True, msg=f"job {job['name']} failed: {detail}")
        return result
