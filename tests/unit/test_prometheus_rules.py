"""The shipped alerting rules fire on the conditions they name, and only then: promtool's rule unit tests on the
rules as the role renders them, run by the promtool of the Prometheus image the stack runs (skipped without it)."""

from __future__ import annotations

import subprocess

import yaml
from image_checks import require_image
from test_prometheus_targets import plan_of

IMAGE = "appstack/prometheus:3.13"

PG = 'instance="postgres-exporter:9187",job="postgres"'
PG_QUIET = 'instance="other:9187",job="postgres"'
REDIS = 'instance="redis-exporter:9121",job="redis"'
NODE = 'instance="node:9100",job="node",device="/dev/sda1",mountpoint="/data"'

TESTS = {
    "rule_files": ["appstack.rules.yml"],
    "evaluation_interval": "1m",
    "tests": [{
        "interval": "1m",
        "input_series": [
            {"series": f"up{{{REDIS}}}", "values": "1 0x10"},
            {"series": f"up{{{PG}}}", "values": "1x10"},
            {"series": f'pg_stat_database_numbackends{{{PG},datname="app"}}', "values": "50x10"},
            {"series": f'pg_stat_database_numbackends{{{PG},datname="postgres"}}', "values": "40x10"},
            {"series": f"pg_settings_max_connections{{{PG}}}", "values": "100x10"},
            {"series": f'pg_stat_database_numbackends{{{PG_QUIET},datname="app"}}', "values": "10x10"},
            {"series": f"pg_settings_max_connections{{{PG_QUIET}}}", "values": "100x10"},
            {"series": f"pg_postmaster_start_time_seconds{{{PG}}}", "values": "1000x10"},
            {"series": f"redis_memory_used_bytes{{{REDIS}}}", "values": "95x10"},
            {"series": f"redis_memory_max_bytes{{{REDIS}}}", "values": "100x10"},
            {"series": 'redis_memory_used_bytes{instance="unlimited:9121",job="redis"}', "values": "95x10"},
            {"series": 'redis_memory_max_bytes{instance="unlimited:9121",job="redis"}', "values": "0x10"},
            {"series": f"redis_start_time_seconds{{{REDIS}}}", "values": "100 200 300 400 400x6"},
            {"series": f'node_filesystem_avail_bytes{{{NODE},fstype="ext4"}}', "values": "5x10"},
            {"series": f'node_filesystem_size_bytes{{{NODE},fstype="ext4"}}', "values": "100x10"},
            {"series": f'node_filesystem_readonly{{{NODE},fstype="ext4"}}', "values": "0x10"},
            {"series": 'node_filesystem_avail_bytes{instance="node:9100",job="node",device="tmpfs",mountpoint="/run",fstype="tmpfs"}',
             "values": "1x10"},
            {"series": 'node_filesystem_size_bytes{instance="node:9100",job="node",device="tmpfs",mountpoint="/run",fstype="tmpfs"}',
             "values": "100x10"},
            {"series": 'node_filesystem_readonly{instance="node:9100",job="node",device="tmpfs",mountpoint="/run",fstype="tmpfs"}',
             "values": "0x10"},
            {"series": 'prometheus_config_last_reload_successful{instance="localhost:9090",job="prometheus"}', "values": "1 1 0x8"},
        ],
        "alert_rule_test": [
            # Pending for 5 minutes first: nothing yet.
            {"eval_time": "3m", "alertname": "TargetDown", "exp_alerts": []},
            {"eval_time": "3m", "alertname": "PostgresConnectionsNearLimit", "exp_alerts": []},
            {"eval_time": "7m", "alertname": "TargetDown", "exp_alerts": [{
                "exp_labels": {"severity": "critical", "job": "redis", "instance": "redis-exporter:9121"},
                "exp_annotations": {"summary": "redis target redis-exporter:9121 is down"}}]},
            {"eval_time": "7m", "alertname": "PostgresConnectionsNearLimit", "exp_alerts": [{
                "exp_labels": {"severity": "warning", "job": "postgres", "instance": "postgres-exporter:9187"},
                "exp_annotations": {"summary": "PostgreSQL (postgres-exporter:9187) uses 90% of max_connections"}}]},
            {"eval_time": "7m", "alertname": "RedisMemoryNearMaxmemory", "exp_alerts": [{
                "exp_labels": {"severity": "warning", "job": "redis", "instance": "redis-exporter:9121"},
                "exp_annotations": {"summary": "Redis (redis-exporter:9121) uses 95% of maxmemory"}}]},
            {"eval_time": "4m", "alertname": "ServiceRestarting", "exp_alerts": [{
                "exp_labels": {"severity": "warning", "job": "redis", "instance": "redis-exporter:9121"},
                "exp_annotations": {"summary": "redis (redis-exporter:9121) restarted 3 times in 15 minutes"}}]},
            {"eval_time": "2m", "alertname": "ServiceRestarting", "exp_alerts": []},
            {"eval_time": "7m", "alertname": "HostDiskNearlyFull", "exp_alerts": [{
                "exp_labels": {"severity": "critical", "job": "node", "instance": "node:9100", "device": "/dev/sda1",
                               "mountpoint": "/data", "fstype": "ext4"},
                "exp_annotations": {"summary": "/data on node:9100 has 5% free"}}]},
            {"eval_time": "4m", "alertname": "PrometheusConfigReloadFailed", "exp_alerts": [{
                "exp_labels": {"severity": "warning", "job": "prometheus", "instance": "localhost:9090"},
                "exp_annotations": {"summary": "The last configuration reload of Prometheus failed; it runs the configuration before it"}}]},
        ],
    }],
}


def test_the_shipped_alerts_fire_on_their_conditions_and_only_then(tmp_path):
    # The test command runs this file after the image factory, with APPSTACK_REQUIRE_IMAGES=1.
    require_image(IMAGE)
    errors, planned = plan_of()
    assert errors == []
    (tmp_path / "appstack.rules.yml").write_text(planned["appstack-prometheus"]["files"]["appstack.rules.yml"])
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(TESTS, sort_keys=False))
    tmp_path.chmod(0o755)
    for path in tmp_path.iterdir():
        path.chmod(0o644)
    result = subprocess.run(["docker", "run", "--rm", "--network", "none", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
                             "-v", f"{tmp_path}:/rules:ro", "--entrypoint", "promtool", IMAGE, "test", "rules", "/rules/tests.yml"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr
