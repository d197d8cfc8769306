"""Pulumi's `protect` for what holds the pipeline's data, on stacks that are not disposable."""

from __future__ import annotations

import pulumi


def holding_data(protect: bool, parent: pulumi.Resource) -> pulumi.ResourceOptions:
    """Options for the stream, the table, the bucket and the KMS keys that decrypt them: a
    destroy or a replacement of a protected resource fails instead of deleting the data.
    `protect` is the layer's `DataSettings.protects_data`."""
    return pulumi.ResourceOptions(parent=parent, protect=protect)
