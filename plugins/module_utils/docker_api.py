# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""A Docker API client for appstack modules, through community.docker's own connection code."""

from __future__ import annotations

from typing import Any

from ansible_collections.community.docker.plugins.module_utils.common_api import AnsibleDockerClientBase
from ansible_collections.community.docker.plugins.module_utils.util import DOCKER_COMMON_ARGS
from ansible_collections.community.docker.plugins.module_utils._api.errors import NotFound

__all__ = ["DOCKER_COMMON_ARGS", "NotFound", "ModuleDockerClient", "container_logs", "inspect_container"]


class ModuleDockerClient(AnsibleDockerClientBase):
    """A client for a module that needs Docker only for part of its work (created when first needed)."""

    def __init__(self, module: Any):
        self.module = module
        self.debug = False
        self.check_mode = module.check_mode
        self.fail_results: dict = {}
        super().__init__(min_docker_api_version="1.25")

    def fail(self, msg: str, **kwargs: Any) -> None:
        self.module.fail_json(msg=msg, **kwargs)

    def _get_params(self) -> dict:
        return self.module.params


def inspect_container(client: AnsibleDockerClientBase, name: str) -> dict | None:
    """``docker inspect`` of a container, or None when it does not exist."""
    try:
        return client.get_json("/containers/{0}/json", name)
    except NotFound:
        return None


def container_logs(client: AnsibleDockerClientBase, name: str, lines: int) -> str:
    """The last LINES lines of a container's output (stdout and stderr)."""
    params = {"stdout": 1, "stderr": 1, "timestamps": 0, "follow": 0, "tail": str(lines)}
    try:
        tty = (inspect_container(client, name) or {}).get("Config", {}).get("Tty", False)
        response = client._get(client._url("/containers/{0}/logs", name), params=params)
        output = client._get_result_tty(False, response, tty)
    except Exception as exc:  # noqa: BLE001 - logs are diagnostics; never hide the real failure
        return f"(could not read the logs: {exc})"
    if isinstance(output, bytes):
        output = output.decode("utf-8", errors="replace")
    return output.rstrip("\n")
