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


def image_recipe_hash(image: str, catalog: dict, recipes_dir: str, base_hash: str) -> str:
    """The recipe hash of IMAGE: its recipe directory (catalog ``recipe``, else its own name), the base image's
    hash and, for an image built from a stage of another image's recipe, that stage (catalog ``target``)."""
    entry = catalog[image]
    extras = ["base=" + base_hash] + (["target=" + entry["target"]] if entry.get("target") else [])
    return recipe_hash(os.path.join(recipes_dir, entry.get("recipe", image)), *extras)


def factory_refs(wanted: list, catalog: dict, namespace: str, recipes_dir: str, base_hash: str = "",
                 source: str = "") -> list[dict]:
    """Each wanted image once, with its source, its catalog tag and (given the base hash, for an image the factory
    builds) its recipe-hash tag. A wanted item's own ``source`` (per-service image sources) wins over SOURCE."""
    refs = []
    seen: set = set()
    for item in wanted:
        name = item["name"] if isinstance(item, dict) else item
        if name in seen:
            continue
        seen.add(name)
        if name not in catalog:
            raise AnsibleFilterError(f"image {name!r} is not in the image catalog ({', '.join(sorted(catalog))})")
        ref = {"name": name, "catalog_ref": f"{namespace}/{name}:{catalog[name]['tag']}",
               "source": (item.get("source") if isinstance(item, dict) else None) or source or ("build" if base_hash else "")}
        if base_hash and ref["source"] in ("build", ""):
            digest = image_recipe_hash(name, catalog, recipes_dir, base_hash)
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
    """Why the factory cannot provide some of the wanted images ({name, tag, source}); empty when it can.
    An item's own ``source`` wins over SOURCE."""
    refusals = []
    for item in wanted:
        item = item if isinstance(item, dict) else {"name": item}
        refusal = images.factory_refusal(catalog, item["name"], item.get("tag") or None, item.get("source") or source)
        if refusal:
            refusals.append(f"{item['name']}: {refusal}")
    return refusals


def image_source(image: str, sources: dict | None, default: str, role: str = "") -> str:
    """Where IMAGE comes from: appstack_image_sources by image, then by service role, else the stack's source."""
    return images.source_for(image, role or None, sources, default)


def image_sources_errors(sources, catalog: dict, roles: list) -> list[str]:
    """Why an appstack_image_sources mapping is wrong; empty when it is right."""
    return images.sources_errors(sources, catalog, list(roles or []))


class FilterModule:
    """appstack.platform image filters."""

    def filters(self) -> dict:
        return {"image_ref": image_ref, "factory_refs": factory_refs, "image_recipe_hash": image_recipe_hash,
                "missing_images": missing_images, "factory_refusals": factory_refusals, "image_source": image_source,
                "image_sources_errors": image_sources_errors}
