"""What two layers must agree on is defined once and every layer uses it, checked on the real chain.

The bucket's prefixes and the table's schema live in `streaming_shared.record_store`: the data
layer's lifecycle rules and table, the compute layer's grants and the keys and items the functions
write, and the observability layer's index alarm must all be those. The record TTL default is the
compute layer's config default, and the functions have none of their own. The stage list is the
catalogue's: the functions, their folders and the state machine's steps follow it.
"""

from __future__ import annotations

import json
import sys
from types import ModuleType

import pytest

from streaming_shared import record_store
from streaming_shared.catalogue import STAGES, repo_root
from streaming_tooling.testing import ProgramRun, run_chain

FUNCTIONS = repo_root() / "stacks" / "compute" / "functions"
DATA = {"archiveRetentionDays": 400}
"""So that the data layer has a lifecycle rule for each of the three prefixes."""
RECORD = {"shard_id": "shardId-000000000000", "sequence_number": "49", "arrival_ms": 1_764_000_000_000}


@pytest.fixture(scope="module")
def chain() -> dict[str, ProgramRun]:
    return run_chain(config={"data": DATA})


@pytest.fixture(scope="module")
def pipeline_core() -> ModuleType:
    """The functions' shared package, as the data plane's tests import it."""
    if str(FUNCTIONS) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS))
    import pipeline_core.claimcheck  # noqa: PLC0415 (needs the functions folder on sys.path first)
    import pipeline_core.storage  # noqa: PLC0415
    import pipeline_core.table  # noqa: PLC0415

    return pipeline_core


def lifecycle_prefixes(chain: dict[str, ProgramRun]) -> dict[str, str]:
    rules = chain["data"].one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    return {rule["id"]: rule["filter"]["prefix"] for rule in rules if rule["filter"].get("prefix")}


def granted(chain: dict[str, ProgramRun], stage: str, sid: str) -> set[str]:
    """The S3 key patterns statement `sid` of `stage`'s function policy grants, without the bucket ARN."""
    bucket_arn = chain["data"].exports["archive_bucket_arn"]
    policy = chain["compute"].one("aws:iam/rolePolicy:RolePolicy", stage).inputs["policy"]
    (statement,) = [s for s in json.loads(policy)["Statement"] if s["Sid"] == sid]
    return {resource.removeprefix(f"{bucket_arn}/") for resource in statement["Resource"]}


def environment(chain: dict[str, ProgramRun], stage: str) -> dict[str, str]:
    variables: dict[str, str] = (
        chain["compute"].one("aws:lambda/function:Function", stage).inputs["environment"]["variables"]
    )
    return variables


def test_the_staging_prefix_is_the_lifecycles_the_grants_and_the_functions(chain, pipeline_core):
    staged = f"{record_store.STAGING_PREFIX}/"
    assert lifecycle_prefixes(chain)["expire-staged-records"] == staged
    assert {stage: granted(chain, stage, "UseStagedRecords") for stage in STAGES} == {
        stage: {f"{staged}*"} for stage in STAGES
    }
    assert pipeline_core.claimcheck.staging_key(RECORD).startswith(staged)


def test_the_archive_and_quarantine_prefixes_are_the_lifecycles_the_grants_and_the_functions(chain, pipeline_core):
    archived, quarantined = f"{record_store.ARCHIVE_PREFIX}/", f"{record_store.QUARANTINE_PREFIX}/"
    rules = lifecycle_prefixes(chain)
    assert (rules["expire-archived-records"], rules["expire-quarantined-records"]) == (archived, quarantined)
    assert granted(chain, "archive", "WriteArchiveAndQuarantine") == {f"{archived}*", f"{quarantined}*"}
    keys = [pipeline_core.storage.chunk_object_key(prefix, RECORD) for prefix in (archived[:-1], quarantined[:-1])]
    assert [key.startswith(prefix) for key, prefix in zip(keys, (archived, quarantined), strict=True)] == [True, True]


def test_the_table_schema_is_the_data_layers_the_functions_items_and_the_index_alarms(chain, pipeline_core):
    table = chain["data"].one("aws:dynamodb/table:Table").inputs
    (index,) = table["globalSecondaryIndexes"]
    index_keys = {key["keyType"]: key["attributeName"] for key in index["keySchemas"]}
    planned = (table["hashKey"], table["rangeKey"], table["ttl"]["attributeName"], index["name"], index_keys["HASH"])
    assert planned == (
        record_store.HASH_KEY,
        record_store.RANGE_KEY,
        record_store.TTL_ATTRIBUTE,
        record_store.STATUS_INDEX,
        record_store.STATUS_ATTRIBUTE,
    )
    item = pipeline_core.table.item(RECORD | {"pipeline_id": "p", "partition_key": "k"}, "QUARANTINED", 7)
    assert {table["hashKey"], table["rangeKey"], table["ttl"]["attributeName"], index_keys["HASH"]} <= set(item)
    alarm = chain["observability"].one(
        "aws:cloudwatch/metricAlarm:MetricAlarm", "alarms-status-index-write-throttle-events"
    )
    assert alarm.inputs["dimensions"]["GlobalSecondaryIndexName"] == index["name"]


def test_the_record_ttl_is_the_compute_layers_default_and_the_functions_have_none_of_their_own(chain, monkeypatch):
    assert {stage: environment(chain, stage).get("RECORD_TTL_DAYS") for stage in ("ingest", "archive")} == {
        "ingest": str(record_store.RECORD_TTL_DAYS),
        "archive": str(record_store.RECORD_TTL_DAYS),
    }
    if str(FUNCTIONS) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS))
    from pipeline_core import settings  # noqa: PLC0415 (needs the functions folder on sys.path first)

    monkeypatch.delenv("RECORD_TTL_DAYS", raising=False)
    with pytest.raises(settings.ConfigurationError, match="RECORD_TTL_DAYS is not set; the compute layer sets it"):
        settings.record_ttl_days()


def test_the_stages_are_the_catalogues_in_the_functions_their_folders_and_the_state_machine(chain):
    assert [environment(chain, stage)["STAGE"] for stage in STAGES] == list(STAGES)
    assert sorted(path.parent.name for path in FUNCTIONS.glob("*/handler.py")) == sorted(STAGES)
    machine = json.loads(chain["compute"].one("aws:sfn/stateMachine:StateMachine").inputs["definition"])
    steps = []
    state = machine["StartAt"]
    while state:
        steps.append(state)
        state = machine["States"][state].get("Next")
    assert steps == list(STAGES[1:])
