# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Documentation of the record option every provisioning module shares (module_utils.host_files.RECORD_SPEC)."""

from __future__ import annotations


class ModuleDocFragment:
    """The option O(record)."""

    DOCUMENTATION = r"""
options:
  record:
    description:
      - A file written (0600, root) once the declared state was applied - how the deploy remembers which inputs
        it applied, so a run with the same inputs can leave the service alone (see C(appstack.platform.service)).
    type: dict
    suboptions:
      path: {description: Absolute path on the Docker host., type: path, required: true}
      content: {description: What it holds (a hash of the inputs)., type: str, required: true}
"""
