"""Only the stack's hosts reach a port published for them: appstack.platform.peer_firewall on this Docker host.

A network namespace plays another machine on the private network: a veth pair, the host's end holds the
"private address" a Redis container publishes its port on. From the namespace, a real client (PING over
TCP) is refused while its address is not one of the stack's hosts, and answered once it is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import pytest
from conftest import ROOT

MODULE = "ansible_collections.appstack.platform.plugins.modules.peer_firewall"
IMAGE = "appstack/redis:8.0"
HOST, PEER = "10.250.77.1", "10.250.77.2"
PORT = 46391


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=60)


def firewall(ports: list[dict], sources: list[str]) -> dict:
    """The module in a process of its own, as Ansible runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / ".cache" / "collections")}
    done = subprocess.run([sys.executable, "-m", MODULE], input=json.dumps({"ANSIBLE_MODULE_ARGS": {"ports": ports, "sources": sources}}),
                          capture_output=True, text=True, env=env, timeout=60)
    return json.loads(done.stdout.strip().splitlines()[-1])


def ping_from(namespace: str) -> bool:
    """A Redis PING from the namespace to the published port, within 3 s."""
    probe = ("import socket,sys\n"
             f"s=socket.create_connection(('{HOST}',{PORT}),timeout=3);s.sendall(b'PING\\r\\n');"
             "sys.exit(0 if s.recv(16).startswith(b'+PONG') else 1)")
    return sh("ip", "netns", "exec", namespace, sys.executable, "-c", probe, check=False).returncode == 0


@pytest.fixture
def peer():
    """A namespace on a private link to this host, and a Redis container publishing on the host's end of it."""
    if sh("docker", "image", "inspect", IMAGE, check=False).returncode != 0:
        pytest.skip(f"{IMAGE} is not built")
    tag = uuid.uuid4().hex[:6]
    namespace, link, container = f"apfw{tag}", f"apfw{tag}", f"apfw-{tag}"
    try:
        sh("ip", "netns", "add", namespace)
        sh("ip", "link", "add", link, "type", "veth", "peer", "name", f"{link}p")
        sh("ip", "link", "set", f"{link}p", "netns", namespace)
        sh("ip", "addr", "add", f"{HOST}/30", "dev", link)
        sh("ip", "link", "set", link, "up")
        sh("ip", "netns", "exec", namespace, "ip", "addr", "add", f"{PEER}/30", "dev", f"{link}p")
        sh("ip", "netns", "exec", namespace, "ip", "link", "set", f"{link}p", "up")
        sh("docker", "run", "-d", "--name", container, "-p", f"{HOST}:{PORT}:6379", "--label", "org.appstack.project=apfw",
           IMAGE, "redis-server", "--protected-mode", "no")
        yield namespace
    finally:
        firewall([], [])
        sh("docker", "rm", "-f", container, check=False)
        sh("ip", "link", "del", link, check=False)
        sh("ip", "netns", "del", namespace, check=False)


def reachable_soon(namespace: str, tries: int = 20) -> bool:
    """PING until it answers, at most TRIES times half a second apart (Redis starting)."""
    for _ in range(tries):
        if ping_from(namespace):
            return True
        time.sleep(0.5)
    return False


def test_only_the_stacks_hosts_reach_a_peer_port(peer):
    port = [{"address": HOST, "port": PORT}]
    assert reachable_soon(peer), "without rules the private network reaches the port"

    applied = firewall(port, ["10.250.77.5", HOST])
    assert applied["changed"] is True, applied
    assert not ping_from(peer), "a source that is not one of the stack's hosts is dropped"

    allowed = firewall(port, [PEER, HOST])
    assert allowed["changed"] is True
    assert ping_from(peer), "a host of the stack is let through, and the replies reach it"
    assert firewall(port, [HOST, PEER])["changed"] is False, "the same rules again change nothing"

    removed = firewall([], [])
    assert removed["changed"] is True and removed["rules"]["ipv4"] == []
    assert "APPSTACK-PEERS" not in sh("iptables", "-S", "DOCKER-USER").stdout
    assert ping_from(peer)
