"""appstack.platform.kafka_provision: the Kafka tools' answers (kafka_model) against the declaration (kafka_plan),
and the sessions that ask and change (kafka_commands)."""

from __future__ import annotations

import pytest

from ansible_collections.appstack.platform.plugins.module_utils import kafka_commands as commands
from ansible_collections.appstack.platform.plugins.module_utils import kafka_model as model
from ansible_collections.appstack.platform.plugins.module_utils import kafka_plan as kp
from ansible_collections.appstack.platform.plugins.module_utils.exec_session import Command

BOOT = "127.0.0.1:9092"
CONF = "/run/secrets/kafka_admin.properties"

DESCRIBE = (
    "Topic: orders\tTopicId: 3vK4VdJHTbyEyLi6ZKpfmQ\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: "
    "cleanup.policy=compact,delete,retention.ms=86400000,segment.bytes=1073741824\n"
    "\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: \n"
    "\tTopic: orders\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: \n"
    "Topic: audit\tTopicId: m1q3\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: segment.bytes=1073741824\n"
    "\tTopic: audit\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\n")
CONFIGS = (
    "Dynamic configs for topic orders are:\n"
    "  cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete, "
    "DEFAULT_CONFIG:log.cleanup.policy=delete}\n"
    "  retention.ms=86400000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=86400000}\n"
    "Dynamic configs for topic audit are:\n"
    "Dynamic configs for topic __consumer_offsets are:\n"
    "  cleanup.policy=compact sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact}\n")
USERS = ("SCRAM credential configs for user-principal 'app' are SCRAM-SHA-512=iterations=8192\n"
         "SCRAM credential configs for user-principal 'admin' are SCRAM-SHA-256=iterations=4096, "
         "SCRAM-SHA-512=iterations=8192\n")
ACLS = (
    "Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)`: \n"
    " \t(principal=User:app, host=*, operation=WRITE, permissionType=ALLOW)\n"
    "\t(principal=User:app, host=*, operation=DESCRIBE, permissionType=ALLOW) \n"
    "\n"
    "Current ACLs for resource `ResourcePattern(resourceType=GROUP, name=billing, patternType=LITERAL)`: \n"
    " \t(principal=User:app, host=*, operation=READ, permissionType=ALLOW)\n"
    " \t(principal=User:app, host=*, operation=DESCRIBE, permissionType=ALLOW)\n"
    " \t(principal=User:other, host=*, operation=READ, permissionType=ALLOW)\n")


def _state(topics_text=DESCRIBE, configs=CONFIGS, users_text=USERS, acls=ACLS, login=(0, "")) -> dict:
    return {"topics": (0, topics_text), "configs": (0, configs), "users": (0, users_text), "acls": (0, acls),
            "login.0": login}


def _plan(topics=(), absent=(), users=(), sasl=True, **state) -> list[Command]:
    return kp.plan(list(topics), list(absent), list(users), sasl, _state(**state), BOOT, CONF)


APP = {"name": "app", "password": "app-secret-1", "produce": ["orders"], "groups": ["billing"]}
ORDERS = {"name": "orders", "partitions": 3, "replication_factor": 1,
          "configs": {"cleanup.policy": ["compact", "delete"], "retention.ms": 86400000}}


def test_the_tools_answers_are_read():
    assert model.parse_topics(DESCRIBE) == {"orders": {"partitions": 3, "replication_factor": 1},
                                         "audit": {"partitions": 1, "replication_factor": 1}}
    assert model.parse_topic_configs(CONFIGS)["orders"] == {"cleanup.policy": "compact,delete", "retention.ms": "86400000"}
    assert model.parse_topic_configs(CONFIGS)["audit"] == {}
    assert model.parse_users(USERS) == {"app": {"SCRAM-SHA-512"}, "admin": {"SCRAM-SHA-256", "SCRAM-SHA-512"}}
    acls = model.parse_acls(ACLS)
    assert model.Binding("TOPIC", "orders", "LITERAL", "User:app", "*", "WRITE", "ALLOW") in acls
    assert len(acls) == 5


def test_a_broker_as_declared_needs_nothing():
    assert _plan([ORDERS], users=[APP]) == []


def test_a_missing_topic_is_created_with_its_configs_in_one_call():
    changes = _plan([{"name": "payments", "partitions": 6, "configs": {"retention.ms": 1000, "compression.type": "zstd"}}],
                    sasl=False)
    assert len(changes) == 1
    assert changes[0].argv == ["kafka-topics.sh", "--bootstrap-server", BOOT, "--command-config", CONF, "--create",
                               "--topic", "payments", "--partitions", "6", "--replication-factor", "1",
                               "--config", "compression.type=zstd", "--config", "retention.ms=1000"]


def test_partitions_grow_and_configs_follow_the_declaration():
    topic = {**ORDERS, "partitions": 5, "configs": {"retention.ms": 3600000, "min.insync.replicas": 1}}
    changes = _plan([topic], sasl=False)
    assert changes[0].argv[-4:] == ["--topic", "orders", "--partitions", "5"]
    alter = changes[1]
    assert alter.argv[-4:] == ["--add-config-file", "topic.0.properties", "--delete-config", "cleanup.policy"]
    assert alter.files == {"topic.0.properties": "min.insync.replicas=1\nretention.ms=3600000\n"}
    assert "retention.ms=3600000 (was 86400000)" in alter.what and "cleanup.policy back to the broker default" in alter.what


def test_fewer_partitions_or_another_replication_factor_is_refused_before_anything():
    topics = [{**ORDERS, "partitions": 2}, {"name": "audit", "replication_factor": 3}, {"name": "new-one"}]
    with pytest.raises(model.KafkaStateError) as refused:
        _plan(topics, sasl=False)
    message = str(refused.value)
    assert "kafka_topics: topic orders has 3 partitions on the broker and is declared with 2" in message
    assert "topic audit has replication factor 1 on the broker and is declared with 3" in message
    assert message.endswith("nothing was changed")


def test_only_named_topics_are_deleted():
    changes = _plan([ORDERS], absent=["audit", "never-existed"], sasl=False)
    assert [c.argv[-3:] for c in changes] == [["--delete", "--topic", "audit"]]


def test_a_user_with_a_wrong_password_gets_it_set_without_a_command_line_secret():
    login = (1, "Error: org.apache.kafka.common.errors.SaslAuthenticationException: Authentication failed during "
                "authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512")
    changes = _plan([ORDERS], users=[APP], login=login)
    assert len(changes) == 1
    assert "app-secret-1" not in " ".join(changes[0].argv)
    assert changes[0].files == {"scram.0.properties": "SCRAM-SHA-512=iterations=8192,password=app-secret-1\n"}
    assert changes[0].what == "user app: password set (SCRAM-SHA-512)"


def test_a_login_that_fails_for_another_reason_stops_the_plan():
    with pytest.raises(model.KafkaStateError, match="cannot check the password of user app"):
        _plan([ORDERS], users=[APP], login=(1, "TimeoutException: Timed out waiting for a node assignment"))


def test_a_new_user_is_created_and_its_acls_added_while_others_acls_stay():
    user = {"name": "fresh", "password": "fresh-secret", "consume": ["orders", "events.*"], "groups": ["billing"]}
    changes = _plan([ORDERS], users=[user], users_text="")
    created = changes[0]
    assert created.what == "user fresh: created (SCRAM-SHA-512)"
    adds = [c.argv for c in changes[1:]]
    assert ["appstack_acls", "--bootstrap-server", BOOT, "--command-config", CONF, "--add", "--allow-principal",
            "User:fresh", "--allow-host", "*", "--operation", "Describe", "--operation", "Read", "--topic", "events.",
            "--resource-pattern-type", "prefixed"] in adds
    assert not any("User:other" in argv or "User:app" in argv for argv in adds)


def test_acls_not_declared_for_a_declared_user_are_removed():
    user = {**APP, "groups": []}
    changes = _plan([ORDERS], users=[user])
    assert len(changes) == 1
    assert changes[0].argv[5:] == ["--remove", "--allow-principal", "User:app", "--allow-host", "*", "--operation", "Describe",
                                   "--operation", "Read", "--group", "billing", "--resource-pattern-type", "literal", "--force"]


def test_explicit_acls_and_operation_spellings():
    user = {"name": "app", "password": "p4ssword!", "acls": [
        {"resource": "cluster", "operations": ["idempotent_write"]},
        {"resource": "transactional_id", "name": "orders-tx", "operations": ["Write", "DescribeConfigs"]},
        {"resource": "topic", "name": "x", "pattern": "prefixed", "operations": ["read"], "permission": "deny"}]}
    bindings = kp.wanted_bindings(user)
    assert model.Binding("CLUSTER", "kafka-cluster", "LITERAL", "User:app", "*", "IDEMPOTENT_WRITE", "ALLOW") in bindings
    assert model.Binding("TRANSACTIONAL_ID", "orders-tx", "LITERAL", "User:app", "*", "DESCRIBE_CONFIGS", "ALLOW") in bindings
    assert model.Binding("TOPIC", "x", "PREFIXED", "User:app", "*", "READ", "DENY") in bindings
    assert kp.operation_cli("DESCRIBE_CONFIGS") == "DescribeConfigs"
    with pytest.raises(model.KafkaStateError, match="unknown ACL operation"):
        kp.wanted_bindings({"name": "app", "acls": [{"name": "x", "operations": ["fly"]}]})


def test_secrets_are_escaped_for_jaas_and_properties():
    props = commands.client_properties("app", 'a"b\\c é')
    line = next(x for x in props.splitlines() if x.startswith("sasl.jaas.config="))
    # JAAS: a"b\c -> "a\"b\\c"; properties: every backslash doubled, non-ASCII as \\u escapes
    assert 'password=\\\\"' not in line
    assert 'password="a\\\\"b\\\\\\\\c \\u00e9";' in line
    assert commands.properties_value(" lead") == "\\ lead"
    assert kp.config_value(True) == "true" and kp.config_value(["compact", "delete"]) == "compact,delete"


def test_reads_run_two_at_a_time_with_the_tool_options_and_passwords_only_in_files():
    users = [{"name": "app", "password": "app-secret-1"}]
    session = commands.read_session(BOOT, CONF, users, sasl=True)
    assert [c.key for c in session.commands] == ["topics", "configs", "users", "acls", "login.0"]
    text = session.script()
    assert "export KAFKA_HEAP_OPTS='-Xmx96m -Xss512k'" in text and commands.ACLS_FUNCTION in text
    assert text.count("wait") == 2, "topics and configs, then users and acls, run side by side; the login after them"
    launch = next(line for line in text.splitlines() if "out.login.0 2>&1" in line)
    assert "app-secret-1" not in launch and "--command-config login.0.properties" in launch
    assert "app-secret-1" in session.commands[-1].files["login.0.properties"]


def test_a_login_is_checked_only_for_a_user_the_broker_knows_after_the_users_read():
    text = commands.read_session(BOOT, CONF, [{"name": "app", "password": "app-secret-1"}], sasl=True).script()
    lines = text.splitlines()
    login = next(i for i, line in enumerate(lines) if "out.login.0" in line and line.startswith("if grep"))
    users = next(i for i, line in enumerate(lines) if "> out.users" in line)
    assert users < lines.index("wait", users) < login
    assert "grep -qF -- 'user-principal '\"'\"'app'\"'\"' are ' out.users" in lines[login]


def test_changes_run_one_at_a_time_and_stop_at_the_first_failure():
    session = commands.change_session([Command("a", ["true"]), Command("b", ["false"])])
    text = session.script()
    assert "wait" not in text.splitlines()
    assert text.count("|| exit 0") == 2
