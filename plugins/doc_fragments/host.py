# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Documentation shared by the appstack modules that work on the Docker host."""

from __future__ import annotations


class ModuleDocFragment:
    """appstack.platform.host: the attributes of a module that changes the host (no check or diff mode)."""

    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: none
  diff_mode:
    support: none
"""

    # appstack.platform.host.read_only: a module that only looks.
    READ_ONLY = r"""
attributes:
  check_mode:
    support: full
    description: Only reads.
  diff_mode:
    support: none
"""

    # appstack.platform.host.files: files with content, owner, group and mode.
    FILES = r"""
options:
  files:
    description: Files with their whole content, owner, group and mode.
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: Absolute path., type: path, required: true}
      content: {description: The whole content., type: str, required: true}
      owner: {description: Owner uid., type: int, default: 0}
      group: {description: Group gid., type: int, default: 0}
      mode: {description: Octal mode as a string., type: str, default: "0644"}
      diff_against: {description: A file whose content is the diff's before (a live file for a staged one)., type: path}
"""
