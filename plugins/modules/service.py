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
  - Checks every container description against its schema (C(plugins/module_utils/container_schema.py), every key
    explained in C(docs/container-schema.md)) before anything changes - an unknown key at any depth, a value of the
    wrong type or a missing required key fails the task naming the role, the container and the key's path.
  - Renders each container's config templates and secrets on the controller and hashes them into the
    C(org.appstack.config-hash) label; stages them beside the live files, creates the project network and named
    volumes with M(appstack.platform.prepare_host) in one round trip, which also reports each container's state
    (its health C(stale) when Docker stopped running its checks).
  - Puts changed files live after the engine's own check of them (a container's C(config_test) or C(reload.test),
    in a one-off container of the new image) passed; a failed check fails the task with the running service and
    its files untouched.
  - Runs each container with M(community.docker.docker_container) (its own comparison, all comparisons strict),
    hardened - no-new-privileges, all capabilities dropped unless added, memory equal to the swap limit, CPU and
    pids limits, json-file rotation, ports only when publishing is on.
  - Waits for every created, recreated or not yet healthy container at once with M(appstack.platform.wait_healthy),
    so services that do not depend on each other start side by side; a container that does not become healthy
    fails the task with its last log lines.
  - Undoes a change that fails - a running, healthy container about to be replaced is set aside first
    (M(appstack.platform.lifecycle)); if its replacement is refused by Docker or never gets healthy, the replacement
    is removed and the previous container comes back with its files before the task fails, naming the service,
    what changed and how long it was down. Data volumes are never touched.
  - Heals - a container as described but unhealthy is restarted once (not when a named volume of it is full), one
    whose health is stale gets its checks re-armed and counts once Docker judged it again; still unhealthy, the task
    fails naming it.
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
  description: >-
    Seconds each round trip took - C(prepare), C(test <name>), C(promote), C(set aside), C(container <name>),
    C(heal), C(wait), C(settle), C(rollback wait), C(step <name>), C(record).
  returned: always
  type: dict
waited:
  description: Seconds waited for health.
  returned: when a container was waited for
  type: float
"""
