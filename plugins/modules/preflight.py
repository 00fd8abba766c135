#!/usr/bin/python
# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Documentation of the appstack.platform.preflight action (the code is plugins/action/preflight.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: preflight
short_description: Check the inputs of a whole stack before anything changes on any host
version_added: 0.2.0
description:
  - Reads every given role's defaults, vars and argument spec from the collection and checks the effective values
    of the run - role defaults, overridden by inventory, play and extra variables - as each role would see them.
  - Checks, in one pass, each role's argument spec (types, choices, required options), each role's rules
    (C(<role>_preflight) in its C(vars/main.yml), see C(plugins/module_utils/rules.py)) and the stack-wide rules
    - no two services publish the same host port, no two containers share a name, the start order has no cycle,
    every service a service needs is enabled, and every container description renders.
  - Reports every problem of the run at once, each naming its variable and what is allowed, without printing the
    argument spec; secrets never appear in the message.
  - Each image of the plan carries its source - C(appstack_image_sources) by image or service role, else
    C(appstack_image_source) - and a service's C(<role>_notices) are returned and printed once as warnings.
  - Runs on the controller only. Put it first in a play with C(any_errors_fatal) so that a bad input on one host
    stops every host before anything changes.
author: appstack platform team
attributes:
  check_mode:
    support: full
    description: Checks the same way in check mode.
  diff_mode:
    support: none
options:
  role:
    description:
      - One role to check, with what it implies - C(stack) is the whole stack (C(stack_services), the Docker host
        and the platform roles), a service role is that service and the platform roles, any other role itself.
      - Use either this or O(services) and O(roles).
    type: str
  services:
    description: Service roles of the stack (the value of C(appstack_services)); each must be a service role of this collection.
    type: list
    elements: str
    default: []
  roles:
    description: Other roles whose inputs the run uses (for example C(stack), C(docker_host)); C(service) and C(image_factory) are always checked.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Check the whole stack
  appstack.platform.preflight:
    role: stack

- name: Check every service's settings and the stack-wide rules
  appstack.platform.preflight:
    services: "{{ appstack_services }}"
    roles: [stack, docker_host]
"""

RETURN = r"""
images:
  description: Every image the services run, once each, as C({name, tag}) (what C(image_factory)'s C(ensure_all) takes).
  returned: success
  type: list
  elements: dict
waves:
  description: The services grouped by start order; each group starts after the groups before it are healthy.
  returned: success
  type: list
  elements: list
prepare:
  description: The services that have a C(prepare) entry point, which the stack runs before any container starts.
  returned: success
  type: list
  elements: str
own_deploy:
  description:
    - The services that have a C(deploy) entry point, which the stack runs in their wave instead of deploying them
      itself (the app's rolling update).
  returned: success
  type: list
  elements: str
image_look:
  description: >-
    The options of M(appstack.platform.docker_host_probe) that answer the image factory's question (the
    namespace of the images, the CA directory in build mode); empty in registry mode.
  returned: success
  type: dict
endpoints:
  description: How to reach each service, as lines of text per service (C(<role>_endpoints)).
  returned: success
  type: dict
notices:
  description:
    - What the services want said once per run (C(<role>_notices)), for example that Grafana was left out of a
      build-mode stack and how to add it. Also returned as warnings, so the run prints each once.
  returned: success
  type: list
  elements: str
checked:
  description: The service roles checked.
  returned: always
  type: list
  elements: str
msg:
  description: On failure, one line per problem, each starting with the variable it is about.
  returned: always
  type: str
"""
