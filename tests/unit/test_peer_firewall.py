"""The DOCKER-USER rules of appstack.platform.peer_firewall, as iptables -S prints them (compared on every run)."""

from ansible_collections.appstack.platform.plugins.module_utils import peer_firewall as fw


def test_each_peer_port_jumps_to_one_chain_that_returns_for_the_stacks_hosts_and_drops_the_rest():
    assert fw.jump_rules([{"address": "10.0.0.1", "port": 5432}, {"address": "10.0.0.1", "port": 5432}], 4) == [
        "-A DOCKER-USER -p tcp -m conntrack --ctorigdst 10.0.0.1 --ctorigdstport 5432 --ctdir ORIGINAL -j APPSTACK-PEERS"]
    assert fw.chain_rules(["10.0.0.2", "10.0.0.1", "fd00::1"], 4) == [
        "-N APPSTACK-PEERS", "-A APPSTACK-PEERS -s 10.0.0.1/32 -j RETURN", "-A APPSTACK-PEERS -s 10.0.0.2/32 -j RETURN",
        "-A APPSTACK-PEERS -j DROP"]


def test_addresses_go_to_their_own_family():
    assert fw.jump_rules([{"address": "fd00::1", "port": 6379}], 4) == []
    assert fw.chain_rules(["fd00::1"], 6)[1] == "-A APPSTACK-PEERS -s fd00::1/128 -j RETURN"


def test_only_the_jumps_to_the_chain_are_read_from_docker_user():
    listing = "-N DOCKER-USER\n-A DOCKER-USER -s 1.2.3.4/32 -j DROP\n-A DOCKER-USER -p tcp -m conntrack " \
              "--ctorigdst 10.0.0.1 --ctorigdstport 5432 --ctdir ORIGINAL -j APPSTACK-PEERS\n-A DOCKER-USER -j RETURN\n"
    assert fw.current_jumps(listing) == [
        "-A DOCKER-USER -p tcp -m conntrack --ctorigdst 10.0.0.1 --ctorigdstport 5432 --ctdir ORIGINAL -j APPSTACK-PEERS"]
