#!/usr/bin/python
# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Documentation of the appstack.platform.service action (the code is plugins/action/service.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: service
short_description: Deploy the containers of one or more service roles, started together and waited for together
version_added: 0.2.0
description:
  - The one path that runs every appstack container. A service role describes what runs in C(<role>_containers)
    (its C(vars/main.yml)); this action decides how.
  - Renders each container's config templates and secrets on the controller and hashes them into the
    C(org.appstack.config-hash) label; writes them, creates the project network and named volumes with
    M(appstack.platform.prepare_host) in one round trip.
  - Runs each container with M(community.docker.docker_container) (its own comparison, all comparisons strict),
    hardened - no-new-privileges, all capabilities dropped unless added, memory equal to the swap limit, CPU and
    pids limits, json-file rotation, ports only when publishing is on.
  - Waits for every created, recreated or not yet healthy container at once with M(appstack.platform.wait_healthy),
    so services that do not depend on each other start side by side; a container that does not become healthy
    fails the task with its last log lines.
  - Then runs each role's post-start steps (C(<role>_configure) - modules such as
    M(appstack.platform.postgres_provision), with arguments rendered from the role's templates where asked).
  - Reports C(changed) only when a file, the network, a volume, a container or a post-start step changed.
author: appstack platform team
attributes:
  check_mode:
    support: full
    description: Reports what would change; nothing is written, started or waited for.
  diff_mode:
    support: full
    description: Shows changed config files (never secrets) and container differences.
options:
  services:
    description: Service roles whose containers to deploy, together.
    type: list
    elements: str
    required: true
  validate:
    description: Check these roles' inputs (as M(appstack.platform.preflight) does) before changing anything.
    type: bool
    default: true
notes:
  - The shared knobs (C(service_*), for example the restart policy and log rotation) come from the
    C(appstack.platform.service) role's defaults; the image catalog from C(appstack.platform.image_factory).
  - Images must exist already (build or archive mode) or be pullable (registry mode).
"""

EXAMPLES = r"""
- name: Start postgres and redis side by side
  appstack.platform.service:
    services: [postgres, redis]
"""

RETURN = r"""
configured:
  description: Per post-start step, whether it changed something.
  returned: when a role has post-start steps
  type: dict
containers:
  description: Per container, whether it changed, its id and its health status.
  returned: always
  type: dict
timings:
  description: Seconds each round trip took - C(prepare), C(container <name>), C(wait), C(step <name>), C(record).
  returned: always
  type: dict
waited:
  description: Seconds waited for health.
  returned: when a container was waited for
  type: float
"""
