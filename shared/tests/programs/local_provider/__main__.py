"""The provider a layer builds, for stacks `local` and `dev`."""

import pulumi_aws as aws

from streaming_shared.catalogue import DATA
from streaming_shared.config import LayerSettings
from streaming_shared.provider import aws_provider, layer_options


class ProbeSettings(LayerSettings):
    LAYER = DATA


settings = ProbeSettings.load()
provider = aws_provider(settings)
aws.sqs.Queue("probe", opts=layer_options(provider))
