#!/usr/bin/python
# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Module appstack.platform.kafka_provision: topics, users and ACLs of a running Kafka broker."""

from __future__ import annotations

DOCUMENTATION = r"""
module: kafka_provision
short_description: Bring a running Kafka broker's topics, SCRAM users and ACLs to a declared state
version_added: 0.4.0
description:
  - Reads the broker's state with the image's own tools in one shell session inside the broker container
    (C(docker exec), over the container's own listener, so prod needs no host port) - C(kafka-topics --describe),
    C(kafka-configs --describe) for topics and users, C(kafka-acls --list) and a login per declared user with its
    declared password - compares it with the declaration and runs only the differences in a second session. A run
    that finds nothing to change reports no change and changes nothing.
  - "Topics: created with their partitions, replication factor and configs; partitions increased; a topic's
    dynamic configs made exactly the declared ones (a config no longer declared goes back to the broker's default).
    A topic with more partitions or another replication factor on the broker than declared fails the run before
    anything changes, naming it: Kafka cannot take partitions away, and a replication factor changes only by a
    reassignment. Topics are deleted only when named in O(topics_absent); undeclared topics are left alone."
  - "With O(sasl): users get a SCRAM-SHA-512 credential, set again when a login with the declared password fails;
    each declared user's ACLs are made exactly the declared ones (its shortcuts C(produce), C(consume), C(groups)
    and its own C(acls)). Users not declared, and their ACLs, are left alone."
  - Each tool is a JVM inside the broker's container and memory limit; they run with a small heap, at most two at a
    time. Passwords reach them only in files the session writes from here-documents into a private directory on the
    container's C(/tmp), never on a command line.
author: appstack platform team
extends_documentation_fragment:
  - appstack.platform.host
  - appstack.platform.record
options:
  container:
    description: Name of the running broker container (its image carries the Kafka tools, as apache/kafka does).
    type: str
    required: true
  user:
    description: OS user (uid) the tools run as inside the container.
    type: str
    default: "1000"
  bootstrap_server:
    description: A client listener of the broker as seen from inside the container.
    type: str
    default: 127.0.0.1:9092
  command_config:
    description: The admin's client settings inside the container (a secret file), passed to every tool.
    type: str
    required: true
  sasl:
    description: Whether the client listeners use SASL/SCRAM with ACLs; O(users) are managed only then.
    type: bool
    default: false
  topics:
    description: Topics and their settings.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Topic name., type: str, required: true}
      partitions: {description: Number of partitions (only ever increased)., type: int, default: 1}
      replication_factor: {description: Replicas of each partition., type: int, default: 1}
      configs:
        description: Topic-level configs (for example C(retention.ms), C(cleanup.policy)); exactly these are set.
        type: dict
        default: {}
  topics_absent:
    description: Topics to delete when they exist (with their data).
    type: list
    elements: str
    default: []
  users:
    description: Users of the applications (never deleted by this module).
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: User name (the principal C(User:<name>))., type: str, required: true}
      password: {description: Its SCRAM-SHA-512 password., type: str, required: true}
      produce:
        description: Topics it writes (WRITE, DESCRIBE); C(name*) is every topic starting with C(name).
        type: list
        elements: str
        default: []
      consume:
        description: Topics it reads (READ, DESCRIBE); C(name*) is every topic starting with C(name).
        type: list
        elements: str
        default: []
      groups:
        description: Consumer groups it uses (READ, DESCRIBE); C(name*) is every group starting with C(name).
        type: list
        elements: str
        default: []
      acls:
        description: Further ACLs of this user.
        type: list
        elements: dict
        default: []
        suboptions:
          resource:
            description: Resource type.
            type: str
            choices: [topic, group, cluster, transactional_id, delegation_token, user]
            default: topic
          name: {description: Resource name (C(name*) for a prefix; ignored for the cluster)., type: str}
          pattern: {description: C(literal) or C(prefixed); overrides the C(*) suffix., type: str, choices: [literal, prefixed]}
          operations: {description: Operations (for example C(read), C(describe_configs))., type: list, elements: str, required: true}
          permission: {description: Allow or deny., type: str, choices: [allow, deny], default: allow}
          host: {description: Client host the ACL applies to., type: str, default: "*"}
"""

EXAMPLES = r"""
- name: Topics and the app's user
  appstack.platform.kafka_provision:
    container: appstack-kafka
    command_config: /run/secrets/kafka_admin.properties
    sasl: true
    topics:
      - name: orders
        partitions: 6
        configs: {retention.ms: 604800000, min.insync.replicas: 1}
    users:
      - name: orders-app
        password: "{{ vault_kafka_orders_password }}"
        produce: [orders]
        consume: [orders]
        groups: [billing]
"""

RETURN = r"""
actions:
  description: What was changed, one line per change (empty when the broker already matched).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.appstack.platform.plugins.module_utils import exec_session
from ansible_collections.appstack.platform.plugins.module_utils.host_files import RECORD_SPEC, write_record
from ansible_collections.appstack.platform.plugins.module_utils.kafka_commands import change_session, read_session
from ansible_collections.appstack.platform.plugins.module_utils.kafka_model import KafkaStateError, error_text
from ansible_collections.appstack.platform.plugins.module_utils.kafka_plan import plan

_ACL = dict(resource=dict(type="str", default="topic",
                          choices=["topic", "group", "cluster", "transactional_id", "delegation_token", "user"]),
            name=dict(type="str"), pattern=dict(type="str", choices=["literal", "prefixed"]),
            operations=dict(type="list", elements="str", required=True),
            permission=dict(type="str", default="allow", choices=["allow", "deny"]), host=dict(type="str", default="*"))
_USER = dict(name=dict(type="str", required=True), password=dict(type="str", required=True, no_log=True),
             produce=dict(type="list", elements="str", default=[]), consume=dict(type="list", elements="str", default=[]),
             groups=dict(type="list", elements="str", default=[]),
             acls=dict(type="list", elements="dict", default=[], options=_ACL))
_TOPIC = dict(name=dict(type="str", required=True), partitions=dict(type="int", default=1),
              replication_factor=dict(type="int", default=1), configs=dict(type="dict", default={}))


def provision(module: AnsibleModule, users: list[dict]) -> list[str]:
    """Read the broker's state, plan the differences and run them: what was changed."""
    params = module.params
    container, user = params["container"], params["user"]
    reads = read_session(params["bootstrap_server"], params["command_config"], users, params["sasl"])
    state = exec_session.run(module, container, user, reads, error_text)
    changes = plan(params["topics"], params["topics_absent"], users, params["sasl"], state,
                   params["bootstrap_server"], params["command_config"])
    return exec_session.apply(module, container, user, change_session(changes), error_text) if changes else []


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            container=dict(type="str", required=True),
            user=dict(type="str", default="1000"),
            bootstrap_server=dict(type="str", default="127.0.0.1:9092"),
            command_config=dict(type="str", required=True),
            sasl=dict(type="bool", default=False),
            topics=dict(type="list", elements="dict", default=[], options=_TOPIC),
            topics_absent=dict(type="list", elements="str", default=[]),
            users=dict(type="list", elements="dict", default=[], options=_USER),
            record=RECORD_SPEC,
        ),
        supports_check_mode=False,
    )
    params = module.params
    users = params["users"] if params["sasl"] else []
    if params["users"] and not params["sasl"]:
        module.fail_json(msg="users and ACLs need sasl: true (the plaintext listener authenticates nobody)")
    done: list[str] = []
    if params["topics"] or params["topics_absent"] or users:
        try:
            done = provision(module, users)
        except (exec_session.SessionError, KafkaStateError) as exc:
            exec_session.fail(module, params["container"], exc, [u["password"] for u in users])
    write_record(params["record"])
    module.exit_json(changed=bool(done), actions=done)


if __name__ == "__main__":
    main()
