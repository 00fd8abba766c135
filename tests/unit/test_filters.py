import base64
import hashlib
import hmac

import pytest
from ansible.errors import AnsibleFilterError

import backups
import container
import scram
import sizes


@pytest.mark.parametrize(
    "text, expected",
    [("512m", 512 * 1024**2), ("1g", 1024**3), ("1GiB", 1024**3), ("256MB", 256 * 1024**2),
     ("64k", 65536), (1024, 1024), ("1.5g", int(1.5 * 1024**3)), ("2t", 2 * 1024**4)],
)
def test_sizes_parse(text, expected):
    assert sizes.size_to_bytes(text) == expected
    assert sizes.is_size(text)


@pytest.mark.parametrize("text", ["lots", "12 parsecs", "", "-1g", "1q", True, None, -5, "1 g b"])
def test_unparseable_sizes_are_refused(text):
    assert not sizes.is_size(text)
    with pytest.raises(AnsibleFilterError, match="is not a size"):
        sizes.size_to_bytes(text)


def test_pg_size_uses_largest_exact_unit():
    assert sizes.pg_size(256 * 1024**2) == "256MB"
    assert sizes.pg_size(2 * 1024**3) == "2GB"
    assert sizes.pg_size(1000 * 1024 + 5) == "1000kB"
    assert sizes.pg_size(10) == "64kB"


def _rfc7677_verifier(password, salt, iterations):
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return base64.b64encode(hashlib.sha256(client).digest()).decode(), base64.b64encode(server).decode()


def test_scram_verifier_format_and_keys():
    verifier = scram.scram_sha256("s3cret")
    method, rest = verifier.split("$", 1)
    params, keys = rest.split("$")
    iterations, salt = params.split(":")
    assert method == "SCRAM-SHA-256" and iterations == "4096"
    assert tuple(keys.split(":")) == _rfc7677_verifier("s3cret", base64.b64decode(salt), 4096)


def test_scram_reuses_a_matching_verifier_and_replaces_a_stale_one():
    current = scram.scram_sha256("s3cret")
    assert scram.scram_sha256("s3cret", current) == current
    replaced = scram.scram_sha256("other", current)
    assert replaced != current and scram.scram_matches("other", replaced)
    assert not scram.scram_matches("s3cret", "md5abcdef")
    assert not scram.scram_matches("s3cret", None)


def test_backups_to_prune_keeps_newest_per_name():
    paths = [f"/b/app-2026110{d}T000000Z.dump" for d in range(1, 6)] + [
        "/b/reports-20261101T000000Z.dump", "/b/app-20261109T000000Z.dump.partial", "/b/notes.txt"]
    assert backups.backups_to_prune(paths, ["app", "reports"], 2) == [
        "/b/app-20261101T000000Z.dump", "/b/app-20261102T000000Z.dump", "/b/app-20261103T000000Z.dump"]
    with pytest.raises(ValueError):
        backups.backups_to_prune(paths, ["app"], 0)


def test_port_binding_and_mounts():
    assert container.port_binding({"container": 5432, "host": 25432}, "127.0.0.1") == "127.0.0.1:25432:5432/tcp"
    assert container.port_binding({"container": "6379"}, "") == "6379:6379/tcp"
    with pytest.raises(AnsibleFilterError):
        container.port_binding({"host": 1}, "")
    assert container.volume_mount({"name": "v", "mount": "/data"}) == {
        "type": "volume", "source": "v", "target": "/data", "read_only": False}
    assert container.config_file_for("/x/init.sql.j2", "/docker-entrypoint-initdb.d", "initdb-") == {
        "name": "initdb-init.sql", "template": "/x/init.sql.j2", "mount": "/docker-entrypoint-initdb.d/init.sql"}
    assert container.stringify_values({"A": True, "B": 3, "C": "x"}) == {"A": "true", "B": "3", "C": "x"}
