# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Image naming filters of the image factory (documented in the sibling .yml files)."""

from __future__ import annotations

import os

from ansible.errors import AnsibleFilterError
from ansible_collections.appstack.platform.plugins.module_utils import images
from ansible_collections.appstack.platform.plugins.filter.recipe import recipe_hash


def image_ref(image: str, catalog: dict, requested_tag: str | None = None, source: str = "build",
              registry: str = "docker.io", namespace: str = "appstack") -> str:
    """The reference a container runs: the factory's local tag, or the official image in registry mode."""
    try:
        return images.image_ref(catalog, image, requested_tag, source, registry, namespace)
    except images.ImageError as exc:
        raise AnsibleFilterError(str(exc)) from exc


def factory_refs(wanted: list, catalog: dict, namespace: str, recipes_dir: str, base_hash: str = "") -> list[dict]:
    """Each wanted image once, with its catalog tag and (given the base hash) its recipe-hash tag."""
    refs = []
    for name in dict.fromkeys(item["name"] if isinstance(item, dict) else item for item in wanted):
        if name not in catalog:
            raise AnsibleFilterError(f"image {name!r} is not in the image catalog ({', '.join(sorted(catalog))})")
        ref = {"name": name, "catalog_ref": f"{namespace}/{name}:{catalog[name]['tag']}"}
        if base_hash:
            digest = recipe_hash(os.path.join(recipes_dir, name), "base=" + base_hash)
            ref["hash_ref"] = f"{ref['catalog_ref']}-{digest[:12]}"
        refs.append(ref)
    return refs


def missing_images(refs: list[dict], found: list[dict]) -> list[str]:
    """Names whose catalog tag is missing, or (with a recipe-hash tag) not the image of that hash tag."""
    ids = {tag: image.get("Id") for image in found or [] for tag in image.get("RepoTags") or []}
    missing = []
    for ref in refs:
        catalog_id = ids.get(ref["catalog_ref"])
        if catalog_id is None or ("hash_ref" in ref and ids.get(ref["hash_ref"]) != catalog_id):
            missing.append(ref["name"])
    return missing


def factory_refusals(wanted: list, catalog: dict, source: str) -> list[str]:
    """Why the factory cannot provide some of the wanted images ({name, tag}); empty when it can."""
    refusals = []
    for item in wanted:
        refusal = images.factory_refusal(catalog, item["name"], item.get("tag") or None, source)
        if refusal:
            refusals.append(f"{item['name']}: {refusal}")
    return refusals


class FilterModule:
    """appstack.platform image filters."""

    def filters(self) -> dict:
        return {"image_ref": image_ref, "factory_refs": factory_refs, "missing_images": missing_images,
                "factory_refusals": factory_refusals}
