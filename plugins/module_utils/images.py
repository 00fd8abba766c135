# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Which image reference a container runs, from the image catalog and appstack_image_source."""

from __future__ import annotations

SOURCES = ("build", "archive", "registry")


class ImageError(ValueError):
    """The catalog cannot provide the requested image."""


def factory_refusal(catalog: dict, image: str, requested_tag: str | None, source: str) -> str | None:
    """Why the factory cannot provide IMAGE:REQUESTED_TAG in SOURCE mode, or None when it can."""
    if image not in catalog:
        return f"image {image!r} is not in the image catalog ({', '.join(sorted(catalog))})"
    if source == "registry" or requested_tag in (None, "", catalog[image]["tag"]):
        return None
    return (f"{requested_tag!r} cannot come from the image factory, which builds {image} {catalog[image]['tag']}; "
            f"use {catalog[image]['tag']} or appstack_image_source: registry")


def image_ref(catalog: dict, image: str, requested_tag: str | None = None, source: str = "build",
              registry: str = "docker.io", namespace: str = "appstack") -> str:
    """The reference to run: the factory's local tag, or the official image in registry mode."""
    if source not in SOURCES:
        raise ImageError(f"appstack_image_source must be one of {', '.join(SOURCES)}, got {source!r}")
    refusal = factory_refusal(catalog, image, requested_tag, source)
    if refusal:
        raise ImageError(refusal)
    entry = catalog[image]
    if source != "registry":
        return f"{namespace}/{image}:{entry['tag']}"
    tag = str(requested_tag or entry["tag"])
    if tag == entry["tag"]:
        tag = entry.get("registry_tag") or entry["tag"]
    return f"{registry}/{entry['official']}:{tag}"
