"""Customer-managed keys of the data layer are published as its declared optional exports.

What compute grants on them is tested in `stacks/compute/tests/test_compute_program.py`, on
these same exports from the real data program.
"""

from __future__ import annotations

import pytest

from streaming_shared.catalogue import DATA
from streaming_tooling.testing import run_layer

WITH_KEYS = {"streamCustomerManagedKey": True, "archiveCustomerManagedKey": True}


@pytest.mark.parametrize(("config", "optional"), [({}, set()), (WITH_KEYS, set(DATA.optional_exports))])
def test_the_data_layer_exports_its_key_arns_exactly_when_it_has_the_keys(config, optional):
    exported = set(run_layer("data", region="eu-west-1", config=config).exports)
    assert exported & set(DATA.optional_exports) == optional
