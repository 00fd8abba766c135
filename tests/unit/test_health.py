"""A health status is never taken for the truth once Docker stopped running the checks (moby 41871 on 20.10)."""

from __future__ import annotations

import datetime

from ansible_collections.appstack.platform.plugins.module_utils import health

NOW = 1_800_000_000.0
SECOND = 1_000_000_000


def stamp(seconds_ago: float) -> str:
    """Docker's RFC 3339 timestamp (nanoseconds) of NOW minus SECONDS_AGO."""
    moment = datetime.datetime.fromtimestamp(NOW - seconds_ago, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


def container(status: str = "healthy", started_ago: float = 3600, probes_ago: tuple = (10, 5), exit_code: int = 0,
              interval: int = 5, timeout: int = 3, running: bool = True, test: tuple = ("CMD", "true")) -> dict:
    """An inspected container whose last probes ended PROBES_AGO seconds ago (oldest first)."""
    return {
        "State": {"Running": running, "Status": "running" if running else "exited", "StartedAt": stamp(started_ago),
                  "Health": {"Status": status, "Log": [
                      {"Start": stamp(ago + 0.1), "End": stamp(ago), "ExitCode": exit_code, "Output": "PONG\n"}
                      for ago in probes_ago]}},
        "Config": {"Healthcheck": {"Test": list(test), "Interval": interval * SECOND, "Timeout": timeout * SECOND}},
    }


def test_docker_timestamps_are_read_to_the_microsecond():
    assert health.parse_time("2026-12-07T13:34:42.123456789Z") == datetime.datetime(
        2026, 12, 7, 13, 34, 42, 123456, tzinfo=datetime.timezone.utc).timestamp()
    assert health.parse_time("0001-01-01T00:00:00Z") is None


def test_a_container_probed_on_time_keeps_dockers_status():
    assert health.health(container("healthy"), NOW, daemon_start=NOW - 7200) == "healthy"
    assert health.health(container("unhealthy", exit_code=1), NOW, daemon_start=NOW - 7200) == "unhealthy"


def test_a_container_that_ran_through_a_daemon_restart_without_a_probe_since_is_stale_at_once():
    restarted = container("unhealthy", started_ago=3600, probes_ago=(30, 25))
    assert health.health(restarted, NOW, daemon_start=NOW - 2) == "stale"
    # Probed again since the restart (Docker 23+ does): its status holds.
    assert health.health(container("healthy", probes_ago=(30, 1)), NOW, daemon_start=NOW - 2) == "healthy"
    # Started after the daemon: its checks run.
    assert health.health(container("healthy", started_ago=1, probes_ago=()), NOW, daemon_start=NOW - 2) == "healthy"


def test_a_status_without_a_probe_for_several_intervals_is_stale_even_without_the_daemon_start():
    assert health.health(container("healthy", probes_ago=(40, 30)), NOW, daemon_start=None) == "stale"
    assert health.health(container("healthy", probes_ago=(12, 7)), NOW, daemon_start=None) == "healthy"
    # A slow check (Kafka's: every 15 s, up to 60 s) is given its timeout for each missed probe.
    slow = container("healthy", probes_ago=(150, 100), interval=15, timeout=60)
    assert health.health(slow, NOW, daemon_start=None) == "healthy"


def test_containers_without_a_check_or_not_running_are_never_stale():
    assert health.health(container(None, probes_ago=(), test=("NONE",)), NOW, NOW - 1) is None
    assert not health.is_stale(container("healthy", probes_ago=(900,), running=False), NOW, NOW - 1)


def test_the_last_output_says_what_the_check_printed():
    assert health.last_output(container("unhealthy", exit_code=1)) == "exit code 1: PONG"
    assert health.last_output({"State": {}}) == ""


def test_a_re_armed_container_counts_only_once_docker_judged_it_on_a_new_probe():
    rearmed_at = NOW - 3
    assert health.fresh_result(container("healthy", probes_ago=(30, 20)), rearmed_at) is None
    assert health.fresh_result(container("healthy", probes_ago=(30, 1)), rearmed_at) is True
    assert health.fresh_result(container("unhealthy", probes_ago=(30, 1), exit_code=1), rearmed_at) is False
    # One failed probe does not make a healthy container unhealthy yet: Docker waits for its retries.
    assert health.fresh_result(container("healthy", probes_ago=(30, 1), exit_code=1), rearmed_at) is None


def test_the_daemons_start_is_read_from_its_pid_file(tmp_path):
    pidfile = tmp_path / "docker.pid"
    pidfile.write_text("1\n")
    started = health.daemon_started(str(pidfile))
    assert started is not None and started <= datetime.datetime.now().timestamp()
    assert health.daemon_started(str(tmp_path / "missing.pid")) is None
