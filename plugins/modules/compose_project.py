#!/usr/bin/python
# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Documentation of the appstack.platform.compose_project action (the code is plugins/action/compose_project.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: compose_project
short_description: Describe service roles' containers as a compose project, for comparing with docker compose
version_added: 0.2.0
description:
  - Renders and writes the services' files exactly as M(appstack.platform.service) does and returns a compose
    document with the same images, commands, environment, mounts, ports, health checks, limits and hardening.
  - The benchmark (C(scripts/bench)) writes it with the C(templates/compose.yml.j2) template and runs
    C(docker compose up -d --wait) against it, so both sides run the same containers as the roles evolve.
author: appstack platform team
extends_documentation_fragment:
  - appstack.platform.host
options:
  services:
    description: Service roles to describe.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Describe postgres and redis as a compose project
  appstack.platform.compose_project:
    services: [postgres, redis]
  register: bench_compose
"""

RETURN = r"""
compose:
  description: The compose document (name, services, networks, volumes).
  returned: success
  type: dict
"""
