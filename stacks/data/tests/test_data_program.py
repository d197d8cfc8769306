"""The data program, run under Pulumi's mock engine through the shared harness."""

from __future__ import annotations

import json

import pytest

from streaming_shared.catalogue import COMPUTE, DATA, OBSERVABILITY
from streaming_shared.record_store import ARCHIVE_PREFIX, QUARANTINE_PREFIX, STAGING_PREFIX
from streaming_tooling.testing import ACCOUNT_ID, ProgramRun, run_layer

STREAM = "aws:kinesis/stream:Stream"
TABLE = "aws:dynamodb/table:Table"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
BUCKET = "aws:s3/bucket:Bucket"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_CONTROLS = (ENCRYPTION, VERSIONING, LIFECYCLE, PUBLIC_ACCESS_BLOCK, OWNERSHIP, POLICY)

SCALABLE_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"

CUSTOMER_KEYS = {"streamCustomerManagedKey": True, "archiveCustomerManagedKey": True}
PROVISIONED_TABLE = {
    "tableBillingMode": "PROVISIONED",
    "tableReadCapacity": {"min": 10},
    "tableWriteCapacity": {"max": 20},
}


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    return run_layer("data", region="eu-west-1")


@pytest.fixture(scope="module")
def keyed() -> ProgramRun:
    return run_layer("data", region="eu-west-1", config=CUSTOMER_KEYS)


def stream(run: ProgramRun):
    return run.one(STREAM)


def table(run: ProgramRun):
    return run.one(TABLE)


def status_index(run: ProgramRun) -> dict:
    [index] = table(run).inputs["globalSecondaryIndexes"]
    return index


def lifecycle_rules(run: ProgramRun, bucket: str = "archive") -> dict[str, dict]:
    return {rule["id"]: rule for rule in run.one(LIFECYCLE, bucket).inputs["rules"]}


def policy_statements(run: ProgramRun, bucket: str = "archive") -> list[dict]:
    return json.loads(run.one(POLICY, bucket).inputs["policy"])["Statement"]


def default_encryption(run: ProgramRun) -> dict:
    [rule] = run.one(ENCRYPTION, "archive").inputs["rules"]
    return rule


# -- Kinesis stream -------------------------------------------------------------------------------


def test_stream_defaults_to_one_provisioned_shard(run):
    assert stream(run).inputs["streamModeDetails"] == {"streamMode": "PROVISIONED"}
    assert stream(run).inputs["shardCount"] == 1


def test_stream_is_named_for_the_environment(run):
    assert stream(run).inputs["name"] == "streaming-dev-records"


def test_stream_is_encrypted_with_the_aws_managed_kinesis_key_by_default(run):
    assert stream(run).inputs["encryptionType"] == "KMS"
    assert stream(run).inputs["kmsKeyId"] == "alias/aws/kinesis"


def test_no_customer_managed_key_and_no_key_export_by_default_on_a_disposable_stack(run):
    assert run.of_type(KEY) == []
    assert "stream_kms_key_arn" not in run.exports
    assert "archive_kms_key_arn" not in run.exports


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_stacks_that_are_not_disposable_get_both_customer_managed_keys_by_default(stack):
    run = run_layer("data", stack=stack)
    keys = {key.name: key for key in run.of_type(KEY)}
    assert sorted(keys) == ["archive-key", "stream-key"]
    assert stream(run).inputs["kmsKeyId"] == keys["stream-key"].outputs["arn"]
    assert (
        default_encryption(run)["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
        == keys["archive-key"].outputs["arn"]
    )
    assert run.exports["stream_kms_key_arn"] == keys["stream-key"].outputs["arn"]
    assert run.exports["archive_kms_key_arn"] == keys["archive-key"].outputs["arn"]


def test_the_customer_managed_keys_stay_overridable_on_a_stack_that_is_not_disposable():
    run = run_layer(
        "data", stack="prod", config={"streamCustomerManagedKey": False, "archiveCustomerManagedKey": False}
    )
    assert run.of_type(KEY) == []
    assert stream(run).inputs["kmsKeyId"] == "alias/aws/kinesis"
    assert default_encryption(run)["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}


def test_stream_customer_managed_key_rotates_and_encrypts_the_stream():
    run = run_layer("data", config={"streamCustomerManagedKey": True})
    key = run.one(KEY, "stream-key")
    assert key.inputs["enableKeyRotation"] is True
    assert stream(run).inputs["kmsKeyId"] == key.outputs["arn"]
    assert run.exports["stream_kms_key_arn"] == key.outputs["arn"]
    assert "archive_kms_key_arn" not in run.exports


def test_customer_managed_keys_have_aliases_named_for_the_environment(keyed):
    aliases = {a.inputs["name"]: a.inputs["targetKeyId"] for a in keyed.of_type(ALIAS)}
    keys = {k.name: k.outputs["keyId"] for k in keyed.of_type(KEY)}
    assert aliases == {
        "alias/streaming-dev-stream": keys["stream-key"],
        "alias/streaming-dev-archive": keys["archive-key"],
    }


def test_on_demand_stream_has_no_shard_count():
    run = run_layer("data", config={"streamMode": "ON_DEMAND"})
    assert stream(run).inputs["streamModeDetails"] == {"streamMode": "ON_DEMAND"}
    assert "shardCount" not in stream(run).inputs


def test_provisioned_shard_count_is_configurable():
    assert stream(run_layer("data", config={"streamShardCount": 10_000})).inputs["shardCount"] == 10_000


def test_retention_is_24_hours_by_default_and_configurable(run):
    assert stream(run).inputs["retentionPeriod"] == 24
    assert stream(run_layer("data", config={"streamRetentionHours": 8760})).inputs["retentionPeriod"] == 8760


def test_shard_level_metrics_are_off_by_default(run):
    assert not stream(run).inputs.get("shardLevelMetrics")


def test_shard_level_metrics_are_configurable():
    run = run_layer("data", config={"streamShardLevelMetrics": ["IncomingBytes", "IteratorAgeMilliseconds"]})
    assert sorted(stream(run).inputs["shardLevelMetrics"]) == ["IncomingBytes", "IteratorAgeMilliseconds"]


# -- DynamoDB state table -------------------------------------------------------------------------


def test_table_key_schema_matches_design(run):
    inputs = table(run).inputs
    assert (inputs["hashKey"], inputs["rangeKey"]) == ("PipelineId", "Timestamp")
    assert sorted((a["name"], a["type"]) for a in inputs["attributes"]) == [
        ("PipelineId", "S"),
        ("Status", "S"),
        ("Timestamp", "N"),
    ]


def test_table_gsi_matches_design(run):
    index = status_index(run)
    assert index["name"] == "StatusIndex"
    assert [(k["attributeName"], k["keyType"]) for k in index["keySchemas"]] == [
        ("Status", "HASH"),
        ("Timestamp", "RANGE"),
    ]
    assert "hashKey" not in index and "rangeKey" not in index


def test_status_index_projects_all_attributes(run):
    assert status_index(run)["projectionType"] == "ALL"


def test_table_ttl_is_on_expiration_time(run):
    assert table(run).inputs["ttl"] == {"attributeName": "ExpirationTime", "enabled": True}


def test_table_has_point_in_time_recovery(run):
    assert table(run).inputs["pointInTimeRecovery"]["enabled"] is True


def test_table_has_server_side_encryption(run):
    assert table(run).inputs["serverSideEncryption"]["enabled"] is True


def test_table_is_named_for_the_environment(run):
    assert table(run).inputs["name"] == "streaming-dev-state"


def test_table_is_on_demand_without_capacities_by_default(run):
    inputs = table(run).inputs
    assert inputs["billingMode"] == "PAY_PER_REQUEST"
    assert "readCapacity" not in inputs and "writeCapacity" not in inputs
    assert "readCapacity" not in status_index(run) and "writeCapacity" not in status_index(run)


@pytest.fixture(scope="module")
def provisioned() -> ProgramRun:
    return run_layer("data", region="eu-west-1", config=PROVISIONED_TABLE)


def scaling(run: ProgramRun) -> dict[str, tuple[dict, dict]]:
    """Each scalable dimension's target and policy inputs."""
    targets = {t.inputs["scalableDimension"]: t.inputs for t in run.of_type(SCALABLE_TARGET)}
    policies = {p.inputs["scalableDimension"]: p.inputs for p in run.of_type(SCALING_POLICY)}
    assert set(targets) == set(policies)
    return {dimension: (targets[dimension], policies[dimension]) for dimension in targets}


def test_an_on_demand_table_has_no_auto_scaling_and_ignores_nothing(run):
    assert run.of_type(SCALABLE_TARGET) == run.of_type(SCALING_POLICY) == []
    assert table(run).ignore_changes == ()


def test_a_provisioned_table_starts_at_each_ranges_minimum(provisioned):
    inputs = table(provisioned).inputs
    assert (inputs["billingMode"], inputs["readCapacity"], inputs["writeCapacity"]) == ("PROVISIONED", 10, 5)
    assert (status_index(provisioned)["readCapacity"], status_index(provisioned)["writeCapacity"]) == (1, 1)


def test_auto_scaling_covers_reads_and_writes_of_the_table_and_the_index_within_the_ranges(provisioned):
    name = table(provisioned).outputs["name"]
    assert {
        dimension: (target["resourceId"], target["minCapacity"], target["maxCapacity"])
        for dimension, (target, _) in scaling(provisioned).items()
    } == {
        "dynamodb:table:ReadCapacityUnits": (f"table/{name}", 10, 2000),
        "dynamodb:table:WriteCapacityUnits": (f"table/{name}", 5, 20),
        "dynamodb:index:ReadCapacityUnits": (f"table/{name}/index/StatusIndex", 1, 100),
        "dynamodb:index:WriteCapacityUnits": (f"table/{name}/index/StatusIndex", 1, 4000),
    }
    assert {target["serviceNamespace"] for target, _ in scaling(provisioned).values()} == {"dynamodb"}


def test_auto_scaling_tracks_the_matching_utilization_metric_at_the_target(provisioned):
    for dimension, (target, policy) in scaling(provisioned).items():
        assert policy["policyType"] == "TargetTrackingScaling"
        assert (policy["resourceId"], policy["serviceNamespace"]) == (target["resourceId"], "dynamodb")
        configuration = policy["targetTrackingScalingPolicyConfiguration"]
        unit = "Read" if "Read" in dimension else "Write"
        assert configuration["predefinedMetricSpecification"] == {
            "predefinedMetricType": f"DynamoDB{unit}CapacityUtilization"
        }
        assert configuration["targetValue"] == 70


def test_the_target_utilization_is_configurable():
    run = run_layer("data", config={**PROVISIONED_TABLE, "tableTargetUtilization": 85})
    assert {p["targetTrackingScalingPolicyConfiguration"]["targetValue"] for _, p in scaling(run).values()} == {85}


def test_a_provisioned_table_leaves_the_capacity_auto_scaling_moves_to_it(provisioned):
    assert set(table(provisioned).ignore_changes) == {
        "readCapacity",
        "writeCapacity",
        "globalSecondaryIndexes[*].readCapacity",
        "globalSecondaryIndexes[*].writeCapacity",
    }
    assert all(provisioned.depends_on(t, table(provisioned)) for t in provisioned.of_type(SCALABLE_TARGET))


@pytest.mark.parametrize(
    ("stack", "protected"),
    [
        ("local", False),
        ("dev", False),
        ("dev-alice", False),
        ("test", False),
        ("ci-42", False),
        ("sandbox", False),
        ("prod", True),
        ("staging", True),
        ("development", True),
    ],
)
def test_deletion_protection_defaults_by_stack_name(stack, protected):
    assert table(run_layer("data", stack=stack)).inputs["deletionProtectionEnabled"] is protected


@pytest.mark.parametrize(("stack", "setting"), [("dev", True), ("prod", False)])
def test_deletion_protection_setting_overrides_the_stack_rule(stack, setting):
    run = run_layer("data", stack=stack, config={"tableDeletionProtection": setting})
    assert table(run).inputs["deletionProtectionEnabled"] is setting


# -- S3 archive bucket ----------------------------------------------------------------------------


def test_bucket_name_defaults_to_environment_account_and_region(run):
    assert run.one(BUCKET, "archive").inputs["bucket"] == f"streaming-dev-archive-{ACCOUNT_ID}-eu-west-1"


def test_bucket_name_account_comes_from_the_caller_identity(run):
    assert [token for token, _ in run.invokes] == ["aws:index/getCallerIdentity:getCallerIdentity"]


def test_bucket_name_template_is_configurable():
    run = run_layer("data", stack="test", config={"archiveBucketName": "acme-{environment}-pipeline-archive"})
    assert run.one(BUCKET, "archive").inputs["bucket"] == "acme-test-pipeline-archive"
    assert run.invokes == []


@pytest.mark.parametrize("control", BUCKET_CONTROLS)
def test_every_bucket_control_targets_the_archive_bucket(run, control):
    assert run.one(control, "archive").inputs["bucket"] == run.one(BUCKET, "archive").id


def test_bucket_has_no_inline_configuration(run):
    inline = {
        "acl",
        "grants",
        "corsRules",
        "lifecycleRules",
        "logging",
        "policy",
        "serverSideEncryptionConfiguration",
        "versioning",
        "website",
    }
    assert inline.isdisjoint(run.one(BUCKET, "archive").inputs)


def test_default_encryption_is_sse_s3_with_a_bucket_key(run):
    rule = default_encryption(run)
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert rule["bucketKeyEnabled"] is True


def test_archive_customer_managed_key_gives_sse_kms_with_a_rotating_key():
    run = run_layer("data", config={"archiveCustomerManagedKey": True})
    key = run.one(KEY, "archive-key")
    assert key.inputs["enableKeyRotation"] is True
    assert default_encryption(run)["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key.outputs["arn"],
    }
    assert default_encryption(run)["bucketKeyEnabled"] is True
    assert run.exports["archive_kms_key_arn"] == key.outputs["arn"]
    assert "stream_kms_key_arn" not in run.exports


def test_stream_and_archive_keys_are_separate(keyed):
    assert len(keyed.of_type(KEY)) == 2
    assert keyed.exports["stream_kms_key_arn"] != keyed.exports["archive_kms_key_arn"]


def test_versioning_is_enabled(run):
    assert run.one(VERSIONING, "archive").inputs["versioningConfiguration"]["status"] == "Enabled"


def test_lifecycle_moves_nothing_and_expires_no_archived_record_by_default(run):
    assert not any("transitions" in rule for rule in lifecycle_rules(run).values())
    assert "expire-archived-records" not in lifecycle_rules(run)


def test_archive_retention_expires_archived_records_only():
    run = run_layer("data", config={"archiveRetentionDays": 400})
    rule = lifecycle_rules(run)["expire-archived-records"]
    assert (rule["filter"], rule["expiration"]) == ({"prefix": "archive/"}, {"days": 400})


def test_a_transition_names_its_class_age_and_the_smallest_object_it_moves():
    run = run_layer(
        "data",
        config={
            "archiveTransitionStorageClass": "DEEP_ARCHIVE",
            "archiveTransitionDays": 90,
            "archiveTransitionMinObjectKb": 256,
            "archiveRetentionDays": 3650,
        },
    )
    rule = lifecycle_rules(run)["transition-archived-records"]
    assert rule["filter"] == {"and": {"prefix": "archive/", "objectSizeGreaterThan": 256 * 1024}}
    assert rule["transitions"] == [{"days": 90, "storageClass": "DEEP_ARCHIVE"}]


def test_quarantined_records_expire_after_30_days_and_their_last_version_a_day_later(run):
    rule = lifecycle_rules(run)["expire-quarantined-records"]
    assert rule["filter"] == {"prefix": "quarantine/"}
    assert rule["expiration"] == {"days": 30}
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 1}


def test_quarantine_retention_is_configurable():
    run = run_layer("data", config={"quarantineRetentionDays": 7})
    assert lifecycle_rules(run)["expire-quarantined-records"]["expiration"] == {"days": 7}


def test_the_lifecycle_prefixes_are_the_record_stores_layout(run):
    prefixes = {rule["filter"].get("prefix") for rule in lifecycle_rules(run).values()} - {""}
    assert prefixes == {f"{STAGING_PREFIX}/", f"{QUARANTINE_PREFIX}/"}
    with_retention = run_layer("data", config={"archiveRetentionDays": 400})
    assert lifecycle_rules(with_retention)["expire-archived-records"]["filter"]["prefix"] == f"{ARCHIVE_PREFIX}/"


def test_lifecycle_expires_noncurrent_versions_and_the_delete_markers_left(run):
    rule = lifecycle_rules(run)["expire-noncurrent-versions"]
    assert rule["filter"] == {"prefix": ""}
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    assert rule["expiration"] == {"expiredObjectDeleteMarker": True}


def test_lifecycle_aborts_incomplete_multipart_uploads(run):
    rule = lifecycle_rules(run)["abort-incomplete-multipart-uploads"]
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}


def test_lifecycle_expires_staged_records_and_their_versions_after_a_day(run):
    rule = lifecycle_rules(run)["expire-staged-records"]
    assert rule["filter"] == {"prefix": "staging/"}
    assert rule["expiration"] == {"days": 1}
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 1}


def test_every_lifecycle_rule_is_enabled_with_an_explicit_filter(run):
    rules = lifecycle_rules(run)
    assert sorted(rules) == [
        "abort-incomplete-multipart-uploads",
        "expire-noncurrent-versions",
        "expire-quarantined-records",
        "expire-staged-records",
    ]
    assert all(rule["status"] == "Enabled" and rule["filter"] for rule in rules.values())
    assert all("prefix" not in rule for rule in rules.values())


def test_lifecycle_is_applied_after_versioning(run):
    assert run.depends_on(run.one(LIFECYCLE, "archive"), run.one(VERSIONING, "archive"))


def test_public_access_block_sets_all_four_flags(run):
    block = run.one(PUBLIC_ACCESS_BLOCK, "archive").inputs
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert [block.get(flag) for flag in flags] == [True, True, True, True]


def test_ownership_controls_enforce_bucket_owner(run):
    assert run.one(OWNERSHIP, "archive").inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_bucket_policy_denies_every_request_without_tls(run):
    bucket_arn = run.one(BUCKET, "archive").outputs["arn"]
    [statement] = policy_statements(run)
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Action"] == "s3:*"
    assert sorted(statement["Resource"]) == [bucket_arn, f"{bucket_arn}/*"]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_bucket_policy_is_put_after_the_public_access_block(run):
    assert run.depends_on(run.one(POLICY, "archive"), run.one(PUBLIC_ACCESS_BLOCK, "archive"))


# -- S3 access logs of the archive bucket -----------------------------------------------------------


@pytest.fixture(scope="module")
def logged() -> ProgramRun:
    return run_layer("data", stack="prod", region="eu-west-1")


def test_a_disposable_stack_has_no_access_logs(run):
    assert run.of_type(BUCKET_LOGGING) == []
    assert [bucket.name for bucket in run.of_type(BUCKET)] == ["archive"]


def test_a_stack_that_is_not_disposable_logs_the_archive_buckets_requests_to_a_bucket_of_its_own(logged):
    logging = logged.one(BUCKET_LOGGING).inputs
    assert logging["bucket"] == logged.one(BUCKET, "archive").id
    assert logging["targetBucket"] == logged.one(BUCKET, "archive-logs").id
    assert logging["targetObjectKeyFormat"] == {"partitionedPrefix": {"partitionDateSource": "EventTime"}}
    assert logged.one(BUCKET, "archive-logs").inputs["bucket"] == f"streaming-prod-logs-{ACCOUNT_ID}-eu-west-1"


def test_access_logs_can_be_switched_either_way():
    assert run_layer("data", stack="prod", config={"archiveAccessLogs": False}).of_type(BUCKET_LOGGING) == []
    assert len(run_layer("data", config={"archiveAccessLogs": True}).of_type(BUCKET_LOGGING)) == 1


def test_only_s3_log_delivery_for_this_archive_bucket_and_account_may_write_the_logs(logged):
    log_arn = logged.one(BUCKET, "archive-logs").outputs["arn"]
    statements = {s["Sid"]: s for s in policy_statements(logged, "archive-logs")}
    assert statements["DenyInsecureTransport"]["Resource"] == [log_arn, f"{log_arn}/*"]
    delivery = statements["AllowServerAccessLogDelivery"]
    assert (delivery["Principal"], delivery["Action"], delivery["Resource"]) == (
        {"Service": "logging.s3.amazonaws.com"},
        "s3:PutObject",
        f"{log_arn}/*",
    )
    assert delivery["Condition"] == {
        "ArnLike": {"aws:SourceArn": logged.one(BUCKET, "archive").outputs["arn"]},
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
    }


@pytest.mark.parametrize("control", BUCKET_CONTROLS)
def test_the_log_bucket_has_every_control_of_the_archive_bucket(logged, control):
    assert logged.one(control, "archive-logs").inputs["bucket"] == logged.one(BUCKET, "archive-logs").id


def test_the_log_bucket_uses_sse_s3_and_expires_logs_after_90_days(logged):
    [rule] = logged.one(ENCRYPTION, "archive-logs").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    expiry = lifecycle_rules(logged, "archive-logs")["expire-access-logs"]
    assert (expiry["expiration"], expiry["noncurrentVersionExpiration"]) == ({"days": 90}, {"noncurrentDays": 1})
    assert run_layer("data", stack="prod", config={"accessLogRetentionDays": 30}).one(LIFECYCLE, "archive-logs").inputs[
        "rules"
    ][0]["expiration"] == {"days": 30}


def test_logging_is_switched_on_after_the_log_buckets_policy(logged):
    assert logged.depends_on(logged.one(BUCKET_LOGGING), logged.one(POLICY, "archive-logs"))


def test_the_log_bucket_is_protected_like_the_archive(logged):
    assert logged.one(BUCKET, "archive-logs").protect
    assert logged.one(BUCKET, "archive-logs").inputs["forceDestroy"] is False


@pytest.mark.parametrize(("stack", "destroyable"), [("local", True), ("dev", True), ("dev-bob", True), ("prod", False)])
def test_force_destroy_defaults_by_stack_name(stack, destroyable):
    assert run_layer("data", stack=stack).one(BUCKET, "archive").inputs["forceDestroy"] is destroyable


@pytest.mark.parametrize(("stack", "setting"), [("dev", False), ("prod", True)])
def test_force_destroy_setting_overrides_the_stack_rule(stack, setting):
    run = run_layer("data", stack=stack, config={"archiveForceDestroy": setting})
    assert run.one(BUCKET, "archive").inputs["forceDestroy"] is setting


# -- The layer as a whole -------------------------------------------------------------------------


def test_every_contract_export_exists_and_resolves(run):
    for name in DATA.exports:
        assert run.exports.get(name) not in (None, ""), name
    assert run.exports["region"] == "eu-west-1"
    assert run.exports["stream_name"] == stream(run).outputs["name"]
    assert run.exports["stream_arn"] == stream(run).outputs["arn"]
    assert run.exports["table_name"] == table(run).outputs["name"]
    assert run.exports["table_arn"] == table(run).outputs["arn"]
    assert run.exports["archive_bucket_name"] == run.one(BUCKET, "archive").outputs["bucket"]
    assert run.exports["archive_bucket_arn"] == run.one(BUCKET, "archive").outputs["arn"]


def test_arns_are_in_the_configured_region(run):
    assert run.exports["stream_arn"] == f"arn:aws:kinesis:eu-west-1:{ACCOUNT_ID}:stream/streaming-dev-records"
    assert run.exports["table_arn"] == f"arn:aws:dynamodb:eu-west-1:{ACCOUNT_ID}:table/streaming-dev-state"


def test_exports_cover_what_compute_and_observability_read(run):
    for consumer in (COMPUTE, OBSERVABILITY):
        assert set(consumer.reads["data"]) <= set(run.exports), consumer.name


def test_names_follow_the_stack_name():
    exports = run_layer("data", stack="prod").exports
    assert (exports["stream_name"], exports["table_name"]) == ("streaming-prod-records", "streaming-prod-state")


def test_a_provisioned_table_and_an_on_demand_stream_use_nothing_deprecated():
    """The defaults and the keyed variant are checked with every layer (tests/test_every_layer.py)."""
    provisioned = run_layer("data", config={**PROVISIONED_TABLE, "streamMode": "ON_DEMAND"})
    assert provisioned.deprecations == []


def test_every_aws_resource_belongs_to_a_data_component(keyed):
    components = {r.urn: r.type for r in keyed.resources if r.type.startswith("streaming:data:")}
    assert sorted(set(components.values())) == [
        "streaming:data:ArchiveBucket",
        "streaming:data:IngestStream",
        "streaming:data:StateTable",
    ]
    assert all(r.parent in components for r in keyed.cloud_resources)


def test_default_resources_are_exactly_the_stream_table_and_bucket_with_its_controls(run):
    assert run.type_counts() == {
        STREAM: 1,
        TABLE: 1,
        BUCKET: 1,
        ENCRYPTION: 1,
        VERSIONING: 1,
        LIFECYCLE: 1,
        PUBLIC_ACCESS_BLOCK: 1,
        OWNERSHIP: 1,
        POLICY: 1,
    }
