"""Contract tests for appstack/kafka (stands in for apache/kafka, KRaft)."""

from __future__ import annotations

import subprocess

import pytest

from conftest import Container, DockerResources, image_config, require_image

IMAGE = "appstack/kafka:4.3"
HEAP = {"KAFKA_HEAP_OPTS": "-Xmx384m -Xms384m"}
CLUSTER_ID = "q1Sh-9_ISia_zwGINzRvyQ"


@pytest.fixture
def env(docker_stack: DockerResources) -> DockerResources:
    """docker_stack (private network, removed in teardown), once the image exists."""
    require_image(IMAGE)
    return docker_stack


def kexec(c: Container, *cmd: str, check: bool = True, input: str | None = None,
          timeout: float = 120) -> subprocess.CompletedProcess:
    """``docker exec`` a Kafka tool (a JVM: slow to start, so a longer bound)."""
    return c.exec(*cmd, check=check, input=input, timeout=timeout)


def test_image_metadata(docker_resources: DockerResources):
    require_image(IMAGE)
    cfg = image_config(IMAGE)
    assert cfg["User"] == "appuser"
    assert "9092/tcp" in cfg["ExposedPorts"]
    assert "/var/lib/kafka/data" in cfg["Volumes"]
    assert cfg["Cmd"] == ["/etc/kafka/docker/run"]
    out = docker_resources.run_once(IMAGE, "-c", "id; ls /opt/kafka/bin; stat -c '%u' /var/lib/kafka/data",
                                    args=["--entrypoint", "sh"]).stdout
    assert "uid=1000(appuser) gid=1000(appuser)" in out
    for tool in ("kafka-topics.sh", "kafka-console-producer.sh", "kafka-console-consumer.sh",
                 "kafka-consumer-groups.sh", "kafka-storage.sh"):
        assert tool in out
    assert out.strip().endswith("1000")
    # the storage tool works and makes cluster ids
    cid = docker_resources.run_once(IMAGE, "kafka-storage.sh", "random-uuid").stdout.strip()
    assert len(cid) == 22
    # Every JVM of the image maps the class-data-sharing archive: -Xshare:on fails a JVM that cannot,
    # and the class log names the archive as the source of the tools' classes.
    shared = docker_resources.run_once(IMAGE, "kafka-storage.sh", "random-uuid",
                                       args=["-e", "KAFKA_OPTS=-Xshare:on -Xlog:class+load=info"]).stdout
    assert "kafka.tools.StorageTool source: shared objects file" in shared
    assert "kafka.server.KafkaConfig source: shared objects file" in shared


def test_default_single_node_produce_consume(env: DockerResources):
    c = env.run(IMAGE, env=HEAP)
    c.wait_healthy(timeout=180, interval=2)
    logs = c.logs(None)
    assert "default single-node configuration" in logs
    assert "formatting storage in /var/lib/kafka/data" in logs
    kexec(c, "kafka-topics.sh", "--bootstrap-server", "localhost:9092",
          "--create", "--topic", "t1", "--partitions", "1", "--replication-factor", "1")
    kexec(c, "kafka-console-producer.sh", "--bootstrap-server", "localhost:9092",
          "--topic", "t1", input="hello\nworld\n")
    out = kexec(c, "kafka-console-consumer.sh", "--bootstrap-server", "localhost:9092",
                "--topic", "t1", "--from-beginning", "--max-messages", "2",
                "--timeout-ms", "60000").stdout
    assert out.split() == ["hello", "world"]


def test_env_config_volume_and_client_container(env: DockerResources):
    vol = env.volume("data")
    broker_env = {
        **HEAP,
        "KAFKA_NODE_ID": "7",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://:19092,CONTROLLER://:19093",
        "KAFKA_ADVERTISED_LISTENERS": "PLAINTEXT://kbroker:19092",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "7@localhost:19093",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_INTER_BROKER_LISTENER_NAME": "PLAINTEXT",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR": "1",
        "KAFKA_NUM_PARTITIONS": "3",
        "KAFKA_LOG_DIRS": "/var/lib/kafka/data",
        "CLUSTER_ID": CLUSTER_ID,
        "KAFKA_HEALTHCHECK_BOOTSTRAP_SERVER": "localhost:19092",
    }
    c = env.run(IMAGE, env=broker_env, aliases=["kbroker"], volumes=[f"{vol}:/var/lib/kafka/data"])
    c.wait_healthy(timeout=180, interval=2)
    props = kexec(c, "cat", "/opt/kafka/config/runtime/server.properties").stdout
    for line in ("node.id=7", "listeners=PLAINTEXT://:19092,CONTROLLER://:19093",
                 "advertised.listeners=PLAINTEXT://kbroker:19092",
                 "controller.quorum.voters=7@localhost:19093", "num.partitions=3",
                 "offsets.topic.replication.factor=1"):
        assert line in props.splitlines(), (line, props)
    assert "heap" not in props.lower()  # launcher variables are not broker settings
    meta = kexec(c, "cat", "/var/lib/kafka/data/meta.properties").stdout
    assert f"cluster.id={CLUSTER_ID}" in meta and "node.id=7" in meta

    # a client in another container reaches the broker through the advertised listener
    client = env.run(IMAGE, "sleep", "600", env=HEAP)
    bs = "kbroker:19092"
    kexec(client, "kafka-topics.sh", "--bootstrap-server", bs, "--create", "--topic", "orders")
    desc = kexec(client, "kafka-topics.sh", "--bootstrap-server", bs,
                 "--describe", "--topic", "orders").stdout
    assert "PartitionCount: 3" in desc  # KAFKA_NUM_PARTITIONS applied
    kexec(client, "kafka-console-producer.sh", "--bootstrap-server", bs, "--topic", "orders",
          input="".join(f"order-{i}\n" for i in range(5)))
    out = kexec(client, "kafka-console-consumer.sh", "--bootstrap-server", bs,
                "--topic", "orders", "--group", "billing", "--from-beginning",
                "--max-messages", "5", "--timeout-ms", "60000").stdout
    assert sorted(out.split()) == [f"order-{i}" for i in range(5)]
    groups = kexec(client, "kafka-consumer-groups.sh", "--bootstrap-server", bs,
                   "--describe", "--group", "billing").stdout
    assert "orders" in groups

    # restart: storage is kept on the volume and not formatted again, data survives
    env.remove(c)
    c2 = env.run(IMAGE, env=broker_env, aliases=["kbroker"], volumes=[f"{vol}:/var/lib/kafka/data"])
    c2.wait_healthy(timeout=180, interval=2)
    logs = c2.logs(None)
    assert "already formatted, not formatting again" in logs
    out = kexec(client, "kafka-console-consumer.sh", "--bootstrap-server", bs,
                "--topic", "orders", "--from-beginning",
                "--max-messages", "5", "--timeout-ms", "60000").stdout
    assert sorted(out.split()) == [f"order-{i}" for i in range(5)]


def test_shared_config_file_overridden_by_env(env: DockerResources, tmp_path):
    shared = tmp_path / "config"
    shared.mkdir()
    shared.chmod(0o755)
    src = env.run_once(IMAGE, "/opt/kafka/config/server.properties.default",
                       args=["--entrypoint", "cat"]).stdout
    (shared / "server.properties").write_text(src + "auto.create.topics.enable=true\n")
    (shared / "server.properties").chmod(0o644)
    c = env.run(IMAGE, env={**HEAP, "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
                            "KAFKA_LOG_RETENTION_HOURS": "1"},
                volumes=[f"{shared}:/mnt/shared/config:ro"])
    c.wait_healthy(timeout=180, interval=2)
    props = kexec(c, "cat", "/opt/kafka/config/runtime/server.properties").stdout.splitlines()
    assert "auto.create.topics.enable=false" in props
    assert "auto.create.topics.enable=true" not in props
    assert "log.retention.hours=1" in props
    assert "process.roles=broker,controller" in props
