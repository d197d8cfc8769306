"""streaming-data: the stream records arrive on, the table that tracks them, the bucket they end in."""

from data_layer.archive import ArchiveBucket, ArchiveSpec, bucket_names
from data_layer.settings import DataSettings
from data_layer.stream import IngestStream, StreamSpec
from data_layer.table import StateTable, TableSpec

from streaming_shared.catalogue import DATA
from streaming_shared.provider import aws_provider, layer_options
from streaming_shared.upstream import export_contract

settings = DataSettings.load()
provider = aws_provider(settings)
names = bucket_names(settings, provider)  # a bad name fails here, before any resource

stream = IngestStream("stream", StreamSpec.of(settings), opts=layer_options(provider))
table = StateTable("state", TableSpec.of(settings), opts=layer_options(provider))
archive = ArchiveBucket("archive", ArchiveSpec.of(settings, names), opts=layer_options(provider))

# The key ARNs exist only when a customer-managed key is configured: with the AWS-managed
# Kinesis key or SSE-S3, consumers need no KMS permission, so there is nothing to export.
optional_exports = {
    "stream_kms_key_arn": stream.key.arn if stream.key else None,
    "archive_kms_key_arn": archive.key.arn if archive.key else None,
}

export_contract(
    DATA,
    {
        "region": settings.environment.region,
        "stream_name": stream.stream.name,
        "stream_arn": stream.stream.arn,
        "table_name": table.table.name,
        "table_arn": table.table.arn,
        "archive_bucket_name": archive.bucket.bucket,
        "archive_bucket_arn": archive.bucket.arn,
        **{name: value for name, value in optional_exports.items() if value is not None},
    },
)
