"""Unit tests for the appstack.platform.recipe_hash filter (plugins/filter/recipe.py)."""

from __future__ import annotations

import hashlib
import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location(
    "appstack_recipe_filter", ROOT / "plugins" / "filter" / "recipe.py"
)
recipe = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(recipe)

AnsibleFilterError = recipe.AnsibleFilterError


def make_recipe(base: pathlib.Path, files: dict[str, bytes | str]) -> pathlib.Path:
    for rel, content in files.items():
        target = base / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        target.write_bytes(content)
    return base


@pytest.fixture
def sample(tmp_path):
    return make_recipe(
        tmp_path / "recipe",
        {"Dockerfile": "FROM ${BASE_IMAGE}\n", "docker-entrypoint.sh": "#!/bin/sh\nexec \"$@\"\n", "conf/a.conf": "x=1\n"},
    )


def test_is_sha256_hex(sample):
    value = recipe.recipe_hash(str(sample))
    assert len(value) == 64
    int(value, 16)


def test_deterministic_and_independent_of_location_and_mtime(sample, tmp_path):
    first = recipe.recipe_hash(str(sample))
    copy = make_recipe(
        tmp_path / "elsewhere" / "copy",
        {"conf/a.conf": "x=1\n", "docker-entrypoint.sh": "#!/bin/sh\nexec \"$@\"\n", "Dockerfile": "FROM ${BASE_IMAGE}\n"},
    )
    (copy / "Dockerfile").touch()
    (copy / "docker-entrypoint.sh").chmod(0o755)
    assert recipe.recipe_hash(str(copy)) == first
    assert recipe.recipe_hash(str(sample) + "/") == first


def test_content_change_changes_hash(sample):
    before = recipe.recipe_hash(str(sample))
    (sample / "conf" / "a.conf").write_text("x=2\n")
    assert recipe.recipe_hash(str(sample)) != before


def test_rename_changes_hash(sample):
    before = recipe.recipe_hash(str(sample))
    (sample / "conf" / "a.conf").rename(sample / "conf" / "b.conf")
    assert recipe.recipe_hash(str(sample)) != before


def test_new_file_changes_hash(sample):
    before = recipe.recipe_hash(str(sample))
    (sample / "extra.sql").write_text("")
    assert recipe.recipe_hash(str(sample)) != before


def test_framing_path_content_boundary(tmp_path):
    # "ab" + "c" must not collide with "a" + "bc".
    one = make_recipe(tmp_path / "one", {"ab": "c"})
    two = make_recipe(tmp_path / "two", {"a": "bc"})
    assert recipe.recipe_hash(str(one)) != recipe.recipe_hash(str(two))


def test_extras_are_mixed_in_order(sample):
    plain = recipe.recipe_hash(str(sample))
    with_base = recipe.recipe_hash(str(sample), "basehash")
    assert with_base != plain
    assert recipe.recipe_hash(str(sample), "a", "b") != recipe.recipe_hash(str(sample), "b", "a")
    assert recipe.recipe_hash(str(sample), "ab") != recipe.recipe_hash(str(sample), "a", "b")
    assert recipe.recipe_hash(str(sample), "basehash") == with_base


def test_ignores_bytecode_and_caches(sample):
    before = recipe.recipe_hash(str(sample))
    make_recipe(sample, {"__pycache__/x.cpython-311.pyc": b"\0", "y.pyc": b"\1", ".DS_Store": b"junk"})
    assert recipe.recipe_hash(str(sample)) == before


def test_known_value(tmp_path):
    # Pins the on-disk format: changing the algorithm must be deliberate,
    # because it renames every image tag in every site.
    one = make_recipe(tmp_path / "one", {"Dockerfile": "FROM scratch\n"})
    expected = hashlib.sha256(
        b"appstack-recipe-v1\0" + b"file\x0010\x00Dockerfile\x0013\x00FROM scratch\n" + b"extra\x001\x00x"
    ).hexdigest()
    assert recipe.recipe_hash(str(one), "x") == expected


@pytest.mark.parametrize("bad", ["", None, 42])
def test_rejects_non_path(bad):
    with pytest.raises(AnsibleFilterError):
        recipe.recipe_hash(bad)


def test_rejects_missing_or_empty_dir(tmp_path):
    with pytest.raises(AnsibleFilterError, match="does not exist"):
        recipe.recipe_hash(str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(AnsibleFilterError, match="no files"):
        recipe.recipe_hash(str(tmp_path / "empty"))


def test_filter_module_exports():
    assert recipe.FilterModule().filters()["recipe_hash"] is recipe.recipe_hash


def test_real_recipes_hash():
    recipes = ROOT / "roles" / "image_factory" / "files" / "recipes"
    for name in ("postgres", "redis"):
        assert len(recipe.recipe_hash(str(recipes / name), "base")) == 64
