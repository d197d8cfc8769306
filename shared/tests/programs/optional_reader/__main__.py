"""A consumer layer (compute's place in the catalogue) that reads an export only some data stacks have."""

import pulumi
import pulumi_aws as aws
from pydantic import Field

from streaming_shared.catalogue import COMPUTE
from streaming_shared.config import LayerSettings
from streaming_shared.upstream import Upstream


class ReaderSettings(LayerSettings):
    LAYER = COMPUTE

    export_name: str = Field("stream_kms_key_arn", description="The export to read with `optional`.")


settings = ReaderSettings.load()
data = Upstream(settings, "data")
key_arn = data.optional(settings.export_name)
if key_arn is None:
    pulumi.export("key_state", "absent")
else:
    aws.sqs.Queue("only-with-a-key")
    pulumi.export("key_state", "present")
    pulumi.export("key_arn", key_arn)
