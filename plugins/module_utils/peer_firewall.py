# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""The rules that let only the stack's hosts reach the ports a host publishes for them (``peer_ports``).

Docker publishes a port with a DNAT rule, so a filter on the host's INPUT chain never sees the
connection: Docker's documented place for such rules is its ``DOCKER-USER`` chain, where the
original destination is still known to conntrack. One jump per published peer port (address and
port) leads to ``APPSTACK-PEERS``, which returns for each allowed source and drops the rest.
"""

from __future__ import annotations

import ipaddress

CHAIN = "APPSTACK-PEERS"
DOCKER_CHAIN = "DOCKER-USER"


def family(address: str) -> int:
    """4 or 6: which iptables (``iptables`` or ``ip6tables``) ADDRESS belongs to."""
    return ipaddress.ip_address(address).version


def _host(address: str) -> str:
    return f"{address}/{32 if family(address) == 4 else 128}"


def chain_rules(sources: list[str], version: int) -> list[str]:
    """``iptables -S`` lines of the peers chain for one address family: a return per allowed source, then a drop."""
    allowed = sorted({_host(source) for source in sources if family(source) == version})
    return [f"-N {CHAIN}"] + [f"-A {CHAIN} -s {source} -j RETURN" for source in allowed] + [f"-A {CHAIN} -j DROP"]


def jump_rules(ports: list[dict], version: int) -> list[str]:
    """``iptables -S`` lines of DOCKER-USER that send new connections to each peer port through the peers chain."""
    rules = []
    for port in sorted(ports, key=lambda p: (p["address"], int(p["port"]), p.get("protocol", "tcp"))):
        if family(port["address"]) != version:
            continue
        protocol = port.get("protocol") or "tcp"
        # Packets of the original direction only: a reply (from the container) carries the same original tuple.
        # iptables -S prints --ctorigdst without a prefix length.
        rules.append(f"-A {DOCKER_CHAIN} -p {protocol} -m conntrack --ctorigdst {port['address']} "
                     f"--ctorigdstport {int(port['port'])} --ctdir ORIGINAL -j {CHAIN}")
    return list(dict.fromkeys(rules))


def current_jumps(listing: str) -> list[str]:
    """The jumps to the peers chain among ``iptables -S DOCKER-USER``'s lines."""
    return [line.strip() for line in listing.splitlines() if line.strip().endswith(f"-j {CHAIN}")]


def current_chain(listing: str) -> list[str]:
    """``iptables -S APPSTACK-PEERS``'s lines (empty when the chain does not exist)."""
    return [line.strip() for line in listing.splitlines() if line.strip()]
