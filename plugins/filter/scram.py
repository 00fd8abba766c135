# Copyright: appstack platform team
# Apache License 2.0 (see galaxy.yml)
"""PostgreSQL SCRAM-SHA-256 filters (documented in scram_sha256.yml and scram_matches.yml)."""

from __future__ import annotations

from ansible_collections.appstack.platform.plugins.module_utils.scram import scram_matches, scram_sha256


class FilterModule:
    """appstack.platform SCRAM filters."""

    def filters(self) -> dict:
        return {"scram_sha256": scram_sha256, "scram_matches": scram_matches}
