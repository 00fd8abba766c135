"""Per-service image sources, and the factory's refusal of an image it cannot build (Grafana) naming what works."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from ansible_collections.appstack.platform.plugins.filter import images as image_filters
from ansible_collections.appstack.platform.plugins.module_utils import images

ROOT = Path(__file__).resolve().parents[2]
CATALOG = yaml.safe_load((ROOT / "roles/image_factory/vars/main.yml").read_text())["image_factory_catalog"]


@pytest.mark.parametrize("sources, image, role, expected", [
    ({}, "grafana", "prometheus_grafana", "build"),
    ({"grafana": "archive"}, "grafana", "prometheus_grafana", "archive"),
    ({"prometheus_grafana": "registry"}, "prometheus", "prometheus_grafana", "registry"),
    ({"prometheus_grafana": "registry", "grafana": "archive"}, "grafana", "prometheus_grafana", "archive"),
    ({"redis": "registry"}, "grafana", "prometheus_grafana", "build"),
    (None, "postgres", "postgres", "build"),
])
def test_an_image_takes_its_own_source_then_its_services_then_the_stacks(sources, image, role, expected):
    assert images.source_for(image, role, sources, "build") == expected
    assert image_filters.image_source(image, sources, "build", role) == expected


def test_a_wrong_sources_mapping_is_named():
    assert images.sources_errors({"grafana": "archive", "postgres": "registry"}, CATALOG, ["postgres"]) == []
    assert images.sources_errors({"grafna": "archive", "grafana": "download"}, CATALOG, ["postgres"]) == [
        "appstack_image_sources: grafna is neither an image of the catalog (" + ", ".join(sorted(CATALOG)) + ") nor a service role",
        "appstack_image_sources: every source is one of build, archive, registry; got grafana: 'download'"]
    assert images.sources_errors("grafana", CATALOG, [])[0].startswith("appstack_image_sources: must map image or service names")


def test_the_factory_refuses_grafana_in_build_mode_with_the_two_ways_that_work():
    refusal = images.factory_refusal(CATALOG, "grafana", None, "build")
    assert refusal.startswith("the image factory cannot build grafana here (the Go module proxy refuses github.com/grafana/grafana")
    assert "registry mode for it (appstack_image_sources: {grafana: registry}, pulls grafana/grafana:12.2.0)" in refusal
    assert ("docker pull grafana/grafana:12.2.0 && docker tag grafana/grafana:12.2.0 appstack/grafana:12.2 && "
            "docker save -o grafana-12.2.tar appstack/grafana:12.2") in refusal
    assert "image_factory_archive_dir" in refusal and "appstack_image_sources: {grafana: archive}" in refusal
    assert images.factory_refusal(CATALOG, "grafana", None, "archive") is None
    assert images.factory_refusal(CATALOG, "grafana", None, "registry") is None
    with pytest.raises(images.ImageError, match="cannot build grafana here"):
        images.image_ref(CATALOG, "grafana", None, "build")
    assert images.image_ref(CATALOG, "grafana", None, "archive") == "appstack/grafana:12.2"
    assert images.image_ref(CATALOG, "grafana", None, "registry", "mirror.internal:5000") == "mirror.internal:5000/grafana/grafana:12.2.0"


def test_every_image_with_a_recipe_is_buildable_and_grafana_has_none():
    recipes_dir = ROOT / "roles/image_factory/files/recipes"
    recipes = {p.name for p in recipes_dir.iterdir() if p.is_dir()}
    buildable = {name for name, entry in CATALOG.items() if "build" not in entry}
    recipe_of = {name: CATALOG[name].get("recipe", name) for name in buildable}
    assert set(recipe_of.values()) == recipes
    assert set(CATALOG) - buildable == {"grafana"} and CATALOG["grafana"]["build"] is False
    # An image built from a stage of another image's recipe names a stage that recipe has.
    for name, recipe in recipe_of.items():
        if recipe != name:
            stages = re.findall(r"(?im)^FROM\s+\S+\s+AS\s+(\S+)", (recipes_dir / recipe / "Dockerfile").read_text())
            assert CATALOG[name]["target"] in stages, name


def test_refusals_and_refs_follow_each_wanted_images_source(tmp_path):
    (tmp_path / "prometheus").mkdir()
    (tmp_path / "prometheus" / "Dockerfile").write_text("FROM base\n")
    wanted = [{"name": "prometheus", "tag": "3.13", "source": "build"}, {"name": "grafana", "tag": "12.2", "source": "archive"},
              {"name": "postgres", "tag": "16", "source": "registry"}]
    assert image_filters.factory_refusals(wanted, CATALOG, "build") == []
    assert image_filters.factory_refusals([{"name": "grafana"}], CATALOG, "build")[0].startswith("grafana: the image factory cannot build")
    assert image_filters.factory_refusals(["grafana"], CATALOG, "archive") == []
    refs = image_filters.factory_refs(wanted, CATALOG, "appstack", str(tmp_path), "b" * 64, "build")
    assert [(r["name"], r["source"], "hash_ref" in r) for r in refs] == [
        ("prometheus", "build", True), ("grafana", "archive", False), ("postgres", "registry", False)]
    # An archive image is there once its catalog tag is; a registry image is the container's to pull.
    local = [r for r in refs if r["source"] != "registry"]
    assert image_filters.missing_images(local, [{"Id": "g", "RepoTags": ["appstack/grafana:12.2"]}]) == ["prometheus"]
