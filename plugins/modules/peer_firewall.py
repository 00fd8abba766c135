#!/usr/bin/python
# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Module appstack.platform.peer_firewall: only the stack's hosts reach the ports published for them."""

from __future__ import annotations

DOCUMENTATION = r"""
module: peer_firewall
short_description: Let only the stack's hosts reach the ports a Docker host publishes for them
version_added: 0.9.0
description:
  - A service that another host of the stack reaches publishes its C(peer_ports) on its host's private address.
    This module lets new connections to those ports through only from O(sources) (the stack's hosts) and drops
    the others, in Docker's C(DOCKER-USER) chain, where a published port's original destination is still known
    (conntrack); a filter on C(INPUT) never sees a connection Docker forwards to a container.
  - One jump per port (address, port, protocol) leads to the chain C(APPSTACK-PEERS), which returns for each
    allowed source and drops the rest. Only those rules are touched; what else C(DOCKER-USER) holds stays.
  - With no O(ports), the jumps and the chain are removed (a stack that no longer spans hosts).
  - Rules are rewritten only when they differ, so a run that changes nothing reports no change.
  - The rules live in the kernel until the host reboots; the next run writes them again. Until then, a peer
    port is reachable from the private network it is bound to.
author: appstack platform team
attributes:
  check_mode:
    support: full
    description: Reports whether the rules would change.
  diff_mode:
    support: none
options:
  ports:
    description: The published peer ports of this host.
    type: list
    elements: dict
    default: []
    suboptions:
      address: {description: The private address the port is published on., type: str, required: true}
      port: {description: The host port., type: int, required: true}
      protocol: {description: The protocol., type: str, default: tcp, choices: [tcp, udp, sctp]}
  sources:
    description: The addresses allowed to connect (the private addresses of the stack's hosts).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Let only the stack's hosts reach PostgreSQL on the private address
  appstack.platform.peer_firewall:
    ports: [{address: 10.20.0.11, port: 5432}]
    sources: [10.20.0.11, 10.20.0.12, 10.20.0.13]
"""

RETURN = r"""
rules:
  description: The rules in place afterwards, per family (C(iptables -S) lines of both chains).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.appstack.platform.plugins.module_utils import peer_firewall as fw

TOOLS = {4: "iptables", 6: "ip6tables"}


class Firewall:
    """One address family's iptables, run through the module."""

    def __init__(self, module: AnsibleModule, version: int):
        self.module = module
        self.binary = module.get_bin_path(TOOLS[version], required=False)
        self.version = version

    def run(self, *args: str, check: bool = True) -> str:
        rc, out, err = self.module.run_command([self.binary, "-w", "5", *args])
        if check and rc != 0:
            self.module.fail_json(msg=f"{TOOLS[self.version]} {' '.join(args)} failed: {(err or out).strip()}")
        return out if rc == 0 else ""

    def converge(self, ports: list[dict], sources: list[str]) -> tuple[bool, list[str]]:
        """Put this family's rules in place; whether anything changed, and the rules now."""
        jumps_wanted = fw.jump_rules(ports, self.version)
        chain_wanted = fw.chain_rules(sources, self.version) if jumps_wanted else []
        if self.binary is None:
            if jumps_wanted:
                self.module.fail_json(msg=f"{TOOLS[self.version]} is missing; it is needed to limit who reaches "
                                          f"the ports published for the stack's hosts")
            return False, []
        jumps = fw.current_jumps(self.run("-S", fw.DOCKER_CHAIN, check=False))
        chain = fw.current_chain(self.run("-S", fw.CHAIN, check=False))
        # The jumps' order does not matter (each leads to the same chain); the chain's does.
        if set(jumps) == set(jumps_wanted) and len(jumps) == len(jumps_wanted) and chain == chain_wanted:
            return False, jumps + chain
        if self.module.check_mode:
            return True, jumps_wanted + chain_wanted
        if chain_wanted and chain != chain_wanted:
            self.run("-F" if chain else "-N", fw.CHAIN)
            for line in chain_wanted[1:]:
                self.run(*line.split())
        for line in jumps:
            if line not in jumps_wanted:
                self.run("-D", *line.split()[1:])
        for line in reversed(jumps_wanted):
            if line not in jumps:
                self.run("-I", fw.DOCKER_CHAIN, "1", *line.split()[2:])
        if chain and not chain_wanted:
            self.run("-F", fw.CHAIN)
            self.run("-X", fw.CHAIN)
        return True, jumps_wanted + chain_wanted


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            ports=dict(type="list", elements="dict", default=[], options=dict(
                address=dict(type="str", required=True), port=dict(type="int", required=True),
                protocol=dict(type="str", default="tcp", choices=["tcp", "udp", "sctp"]))),
            sources=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    try:
        for value in [p["address"] for p in module.params["ports"]] + module.params["sources"]:
            fw.family(value)
    except ValueError as exc:
        module.fail_json(msg=f"not an IP address: {exc}")
    changed, rules = False, {}
    for version in (4, 6):
        changed_here, now = Firewall(module, version).converge(module.params["ports"], module.params["sources"])
        changed |= changed_here
        rules[f"ipv{version}"] = now
    module.exit_json(changed=changed, rules=rules)


if __name__ == "__main__":
    main()
