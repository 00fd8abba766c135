# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""A container's health as it really is: Docker's status, unless Docker stopped running its checks (stale).

Docker 20.10 (Debian 12's Engine) stops the health checks of every container it live-restores when the
daemon restarts (moby issue 41871, fixed in Engine 23): ``docker inspect`` then keeps the last status
forever, healthy or unhealthy. A status counts as stale when no probe ran for several intervals, or when the
container ran through a daemon restart and no probe has run since. ``docker pause`` + ``docker unpause``
re-arms the checks without restarting the process; the next probe comes one interval later.
"""

from __future__ import annotations

import datetime
import os
from typing import Any

#: Docker's defaults when a health check leaves them out (nanoseconds in the API, seconds here).
DEFAULT_INTERVAL = 30.0
DEFAULT_TIMEOUT = 30.0
#: Probes that may go missing before a status counts as stale (each probe may take up to its timeout).
MISSED_PROBES = 3
DOCKER_PIDFILE = "/var/run/docker.pid"


def parse_time(text: str | None) -> float | None:
    """Seconds since the epoch for Docker's RFC 3339 timestamps (nanoseconds, ``Z``); None for the zero time."""
    if not text or text.startswith("0001-01-01"):
        return None
    head, _, rest = text.rstrip("Z").partition(".")
    offset = "+00:00"
    for sign in ("+", "-"):
        if sign in rest:
            rest, _, zone = rest.partition(sign)
            offset = sign + zone
    fraction = (rest + "000000")[:6] if rest else "000000"
    try:
        return datetime.datetime.fromisoformat(f"{head}.{fraction}{offset}").timestamp()
    except ValueError:
        return None


def daemon_started(pidfile: str = DOCKER_PIDFILE) -> float | None:
    """When the local dockerd started (seconds since the epoch), from its pid file and /proc; None if unknown."""
    try:
        with open(pidfile, encoding="ascii") as handle:
            pid = int(handle.read().strip())
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            # The command may hold spaces and parentheses: fields count from the last ')'.
            ticks = int(handle.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat", encoding="ascii") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith("btime "))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _seconds(nanoseconds: Any, default: float) -> float:
    return nanoseconds / 1e9 if isinstance(nanoseconds, (int, float)) and nanoseconds > 0 else default


def has_healthcheck(info: dict) -> bool:
    """Whether the container has a health check Docker runs."""
    test = ((info.get("Config") or {}).get("Healthcheck") or {}).get("Test") or []
    return bool(test) and test[0] != "NONE"


def probes(info: dict) -> list[dict]:
    """Docker's last health probes (at most five), oldest first."""
    return list(((info.get("State") or {}).get("Health") or {}).get("Log") or [])


def last_probe(info: dict) -> float | None:
    """When the last health probe ended."""
    ends = [parse_time(entry.get("End")) for entry in probes(info)]
    return max((end for end in ends if end is not None), default=None)


def last_output(info: dict, limit: int = 2000) -> str:
    """What the last health probe printed (trimmed), or an empty string."""
    entries = probes(info)
    if not entries:
        return ""
    entry = entries[-1]
    text = str(entry.get("Output") or "").strip()
    return f"exit code {entry.get('ExitCode')}: {text[-limit:]}" if text else f"exit code {entry.get('ExitCode')}"


def is_stale(info: dict, now: float, daemon_start: float | None) -> bool:
    """Whether Docker's health status of a running container is no longer being kept up to date."""
    state = info.get("State") or {}
    if not has_healthcheck(info) or not state.get("Running") or state.get("Paused") or state.get("Restarting"):
        return False
    healthcheck = (info.get("Config") or {}).get("Healthcheck") or {}
    interval = _seconds(healthcheck.get("Interval"), DEFAULT_INTERVAL)
    timeout = _seconds(healthcheck.get("Timeout"), DEFAULT_TIMEOUT)
    started = parse_time(state.get("StartedAt"))
    last = last_probe(info)
    # Ran through a daemon restart and not probed since: Docker 20.10 never probes it again.
    if daemon_start is not None and started is not None and started < daemon_start and (last is None or last < daemon_start):
        return True
    reference = max(value for value in (started, last, 0.0) if value is not None)
    return now - reference > MISSED_PROBES * (interval + timeout)


def health(info: dict, now: float, daemon_start: float | None) -> str | None:
    """``healthy``, ``unhealthy``, ``starting``, ``stale``, or None for a container without a health check."""
    if is_stale(info, now, daemon_start):
        return "stale"
    return ((info.get("State") or {}).get("Health") or {}).get("Status")


def fresh_result(info: dict, since: float) -> bool | None:
    """Whether Docker judged the container's health from a probe that started after SINCE: True when its status
    is healthy on such a probe, False when unhealthy on one, None while no such probe settled it."""
    fresh = [entry for entry in probes(info) if (parse_time(entry.get("Start")) or 0.0) >= since]
    if not fresh:
        return None
    status = ((info.get("State") or {}).get("Health") or {}).get("Status")
    if status == "healthy" and fresh[-1].get("ExitCode") == 0:
        return True
    if status == "unhealthy":
        return False
    return None
