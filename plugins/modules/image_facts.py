#!/usr/bin/python
# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Module appstack.platform.image_facts: what the image factory needs to know of a Docker host, in one look."""

from __future__ import annotations

DOCUMENTATION = r"""
module: image_facts
short_description: List a Docker host's images of one namespace and the checksums of its extra CA certificates
version_added: 0.2.0
description:
  - One round trip for the image factory's check of a whole stack - every local image named C(<namespace>/...)
    with its id and tags, and the SHA-1 checksums of the C(*.crt) files in O(ca_dir), which are part of the base
    image's hash (the base image carries the host's locally added CAs).
author: appstack platform team
extends_documentation_fragment:
  - community.docker.docker.api_documentation
attributes:
  check_mode:
    support: full
    description: Only reads.
  diff_mode:
    support: none
options:
  namespace:
    description: Namespace of the images to list (C(appstack) lists C(appstack/*)).
    type: str
    required: true
  ca_dir:
    description: Directory whose C(*.crt) files are checksummed; empty for none.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Look at the Docker host's images and extra CA certificates
  appstack.platform.image_facts:
    namespace: appstack
    ca_dir: /usr/local/share/ca-certificates
  register: image_factory_host
"""

RETURN = r"""
images:
  description: The images of the namespace, each with C(Id) and C(RepoTags).
  returned: always
  type: list
  elements: dict
ca_checksums:
  description: SHA-1 checksums of the C(*.crt) files of O(ca_dir), in name order.
  returned: always
  type: list
  elements: str
"""

import glob
import hashlib
import json
import os

from ansible_collections.community.docker.plugins.module_utils.common_api import AnsibleDockerClient


def main() -> None:
    client = AnsibleDockerClient(
        argument_spec=dict(namespace=dict(type="str", required=True), ca_dir=dict(type="str", default="")),
        supports_check_mode=True,
    )
    params = client.module.params
    checksums = []
    if params["ca_dir"]:
        for path in sorted(glob.glob(os.path.join(params["ca_dir"], "*.crt"))):
            if os.path.isfile(path):
                with open(path, "rb") as handle:
                    checksums.append(hashlib.sha1(handle.read()).hexdigest())  # noqa: S324 - a content fingerprint, as find reports it
    listed = client.get_json("/images/json", params={"filters": json.dumps({"reference": [f"{params['namespace']}/*"]})})
    images = [{"Id": image.get("Id"), "RepoTags": image.get("RepoTags") or []} for image in listed or []]
    client.module.exit_json(changed=False, images=images, ca_checksums=checksums)


if __name__ == "__main__":
    main()
