"""A team's own service role whose container description misspells a key is refused before anything changes.

The `misspelt` fixture role (tests/integration/playbooks/roles/misspelt) writes `memroy: 1g` and a health check with
`retris: 5`, as a hurried team might; without the schema its container would run with the default memory limit.
The `slow` fixture is deployed first; then one wave starts `slow` with a valid change (alone, it would recreate
its container) beside `misspelt`. The run must fail naming the role, the container and both keys, and leave the
project's containers, volumes, network and files exactly as they were.
"""

from __future__ import annotations

import pytest
from conftest import assert_refused, deployed, exists, run_playbook, unique_project

ROLE = "tests/integration/playbooks/role.yml"
WAVE = "tests/integration/playbooks/wave.yml"


@pytest.fixture(scope="module")
def slow(tmp_path_factory):
    variables = {"role_under_test": "slow", "appstack_project": unique_project("schema"), "slow_seconds": 1}
    with deployed(ROLE, variables, tmp_path_factory.mktemp("slow")) as state:
        assert len(state["containers"]) == 1, state
        yield variables["appstack_project"], state


def test_a_misspelt_key_in_a_teams_role_is_refused_and_nothing_changes(slow, tmp_path):
    project, before = slow
    result = run_playbook(WAVE, {"appstack_project": project, "wave": ["slow", "misspelt"], "slow_seconds": 2}, tmp_path)
    assert_refused(result, [f"misspelt: container {project}-misspelt: unknown key 'memroy' (known: ",
                            f"container {project}-misspelt.healthcheck: unknown key 'retris' (known: interval, retries, "],
                   project, before)
    assert not exists(f"{project}-misspelt")
