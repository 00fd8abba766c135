"""Filters and the helpers they share with the modules: sizes, SCRAM verifiers, backups, image names."""

import base64
import hashlib
import hmac

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.appstack.platform.plugins.filter import backups, container, images, sizes
from ansible_collections.appstack.platform.plugins.module_utils import scram

CATALOG = {
    "postgres": {"tag": "17", "official": "library/postgres"},
    "prometheus": {"tag": "3.13", "official": "prom/prometheus", "registry_tag": "v3.13.5"},
}


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
    verifier = scram.role_verifier(scram.new_key(), "app", "s3cret")
    method, rest = verifier.split("$", 1)
    params, keys = rest.split("$")
    iterations, salt = params.split(":")
    assert method == "SCRAM-SHA-256" and iterations == "4096"
    assert tuple(keys.split(":")) == _rfc7677_verifier("s3cret", base64.b64decode(salt), 4096)


def test_role_verifiers_are_stable_per_password_and_distinct_per_role_and_key():
    key = scram.new_key()
    first = scram.role_verifier(key, "app", "s3cret")
    assert scram.role_verifier(key, "app", "s3cret") == first and scram.scram_matches("s3cret", first)
    assert scram.role_verifier(key, "app", "other") != first and scram.scram_matches("other", scram.role_verifier(key, "app", "other"))
    assert scram.role_verifier(key, "reader", "s3cret").split("$")[1] != first.split("$")[1], "same password, other role: other salt"
    assert scram.role_verifier(scram.new_key(), "app", "s3cret") != first, "another deployment's key: another salt"
    assert not scram.scram_matches("s3cret", "md5abcdef")
    assert not scram.scram_matches("s3cret", None)


def test_backups_to_prune_keeps_newest_per_name():
    paths = [f"/b/app-2026110{d}T000000Z.dump" for d in range(1, 6)] + [
        "/b/reports-20261101T000000Z.dump", "/b/app-20261109T000000Z.dump.partial", "/b/notes.txt"]
    assert backups.backups_to_prune(paths, ["app", "reports"], 2) == [
        "/b/app-20261101T000000Z.dump", "/b/app-20261102T000000Z.dump", "/b/app-20261103T000000Z.dump"]
    with pytest.raises(ValueError):
        backups.backups_to_prune(paths, ["app"], 0)


def test_config_file_for_names_and_mounts_a_template():
    assert container.config_file_for("/x/init.sql.j2", "/docker-entrypoint-initdb.d", "initdb-") == {
        "name": "initdb-init.sql", "template": "/x/init.sql.j2", "mount": "/docker-entrypoint-initdb.d/init.sql"}


@pytest.mark.parametrize("image, tag, source, registry, expected", [
    ("postgres", None, "build", "docker.io", "appstack/postgres:17"),
    ("postgres", "17", "archive", "docker.io", "appstack/postgres:17"),
    ("postgres", "16", "registry", "mirror:5000", "mirror:5000/library/postgres:16"),
    ("prometheus", "", "registry", "docker.io", "docker.io/prom/prometheus:v3.13.5"),
])
def test_image_ref(image, tag, source, registry, expected):
    assert images.image_ref(image, CATALOG, tag, source, registry) == expected


def test_image_ref_refuses_what_the_factory_does_not_build():
    with pytest.raises(AnsibleFilterError, match="'16' cannot come from the image factory, which builds postgres 17"):
        images.image_ref("postgres", CATALOG, "16", "build")
    assert images.factory_refusals([{"name": "postgres", "tag": "16"}, {"name": "postgres", "tag": "17"}], CATALOG, "build") == [
        "postgres: '16' cannot come from the image factory, which builds postgres 17; use 17 or appstack_image_source: registry"]
    assert images.factory_refusals([{"name": "postgres", "tag": "16"}], CATALOG, "registry") == []


def test_factory_refs_and_missing_images(tmp_path):
    (tmp_path / "postgres").mkdir()
    (tmp_path / "postgres" / "Dockerfile").write_text("FROM base\n")
    refs = images.factory_refs([{"name": "postgres", "tag": "17"}, "postgres"], CATALOG, "appstack", str(tmp_path), "b" * 64)
    assert len(refs) == 1 and refs[0]["catalog_ref"] == "appstack/postgres:17"
    assert refs[0]["hash_ref"].startswith("appstack/postgres:17-") and len(refs[0]["hash_ref"]) == len("appstack/postgres:17-") + 12
    both = [{"Id": "sha:1", "RepoTags": [refs[0]["catalog_ref"], refs[0]["hash_ref"]]}]
    assert images.missing_images(refs, both) == []
    # The catalog tag points at another image than the current recipe's: stale.
    split = [{"Id": "sha:1", "RepoTags": [refs[0]["hash_ref"]]}, {"Id": "sha:2", "RepoTags": [refs[0]["catalog_ref"]]}]
    assert images.missing_images(refs, split) == ["postgres"]
    assert images.missing_images(refs, []) == ["postgres"]
    # An image built from a stage of another image's recipe: that recipe's hash, told apart by the stage.
    staged = {**CATALOG, "client": {"tag": "1", "recipe": "postgres", "target": "client"}}
    client = images.factory_refs(["client"], staged, "appstack", str(tmp_path), "b" * 64)[0]["hash_ref"]
    assert client.startswith("appstack/client:1-") and client[-12:] != refs[0]["hash_ref"][-12:]
    assert images.image_recipe_hash("client", staged, str(tmp_path), "b" * 64)[:12] == client[-12:]
    (tmp_path / "postgres" / "Dockerfile").write_text("FROM base AS client\n")
    assert images.factory_refs(["client"], staged, "appstack", str(tmp_path), "b" * 64)[0]["hash_ref"] != client
    # Archive mode knows no recipe hash: the catalog tag is enough.
    plain = images.factory_refs(["postgres"], CATALOG, "appstack", str(tmp_path))
    assert "hash_ref" not in plain[0] and images.missing_images(plain, [{"Id": "x", "RepoTags": ["appstack/postgres:17"]}]) == []
