"""Powertools Logger and Metrics (CloudWatch embedded metric format), set up the same way in every stage.

Service and namespace come from POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE; each
stage adds its name and the environment as dimensions when it publishes its counts, at the end of
an invocation, so metrics of one stage never carry another's dimensions.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from .settings import environment


def pipeline_logger() -> Logger:
    """A stage's logger. The stage is in every line already, as the function name from the context;
    no stage key is appended, because Powertools loggers of one service share their keys in a process."""
    return Logger()


def publish(metrics: Metrics, stage: str, counts: dict[str, int]) -> None:
    metrics.add_dimension(name="Stage", value=stage)
    if environment():
        metrics.add_dimension(name="Environment", value=environment())
    for name, value in counts.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
