# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""Which image reference a container runs, from the image catalog and the image source of the stack or the service."""

from __future__ import annotations

from typing import Any

SOURCES = ("build", "archive", "registry")


class ImageError(ValueError):
    """The catalog cannot provide the requested image."""


def source_for(image: str, role: str | None, sources: dict | None, default: str) -> str:
    """The source of IMAGE: ``appstack_image_sources`` by image name, then by service role, else DEFAULT.

    ``{grafana: archive}`` loads Grafana from an archive while the factory builds everything else;
    ``{postgres: registry}`` pulls every image of the postgres role (the server and its exporter).
    """
    sources = sources or {}
    if image in sources:
        return str(sources[image])
    if role and role in sources:
        return str(sources[role])
    return default


def sources_errors(sources: Any, catalog: dict, roles: list[str]) -> list[str]:
    """Why an ``appstack_image_sources`` mapping is wrong (empty when it is right)."""
    if sources in (None, ""):
        return []
    if not isinstance(sources, dict):
        return [f"appstack_image_sources: must map image or service names to one of {', '.join(SOURCES)}; got {sources!r}"]
    errors = []
    unknown = [str(name) for name in sources if name not in catalog and name not in roles]
    if unknown:
        errors.append(f"appstack_image_sources: {', '.join(unknown)} is neither an image of the catalog "
                      f"({', '.join(sorted(catalog))}) nor a service role")
    bad = {str(name): value for name, value in sources.items() if value not in SOURCES}
    if bad:
        errors.append(f"appstack_image_sources: every source is one of {', '.join(SOURCES)}; got "
                      + ", ".join(f"{name}: {value!r}" for name, value in bad.items()))
    return errors


def unbuildable(catalog: dict, image: str, namespace: str = "appstack") -> str:
    """Why the factory cannot build IMAGE here (an entry with ``build: false``), naming the two ways that work."""
    entry = catalog[image]
    tag = entry["tag"]
    upstream = f"{entry['official']}:{entry.get('registry_tag') or tag}"
    local = f"{namespace}/{image}:{tag}"
    archive = f"{image}-{tag}.tar"
    return (f"the image factory cannot build {image} here ({entry.get('why') or 'no reachable source carries it'}). "
            f"Two ways work: registry mode for it (appstack_image_sources: {{{image}: registry}}, pulls {upstream}), "
            f"or an archive made with docker save on a machine that has a registry: docker pull {upstream} && "
            f"docker tag {upstream} {local} && docker save -o {archive} {local}; put {archive} in "
            f"image_factory_archive_dir on the Docker host (or image_factory_archive_controller_dir on the controller) "
            f"and set appstack_image_sources: {{{image}: archive}}, which loads it (an image {local} already on the host "
            f"is used as it is)")


def factory_refusal(catalog: dict, image: str, requested_tag: str | None, source: str) -> str | None:
    """Why the factory cannot provide IMAGE:REQUESTED_TAG in SOURCE mode, or None when it can."""
    if image not in catalog:
        return f"image {image!r} is not in the image catalog ({', '.join(sorted(catalog))})"
    if source == "registry":
        return None
    if source == "build" and catalog[image].get("build", True) is False:
        return unbuildable(catalog, image)
    if requested_tag in (None, "", catalog[image]["tag"]):
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
