"""streaming-observability: alarms an on-call engineer can rely on, where they go, and a dashboard."""

from observability_layer.alarms import AlarmSpec, PipelineAlarms
from observability_layer.alerting import AlarmTopic, AwsAccount
from observability_layer.dashboard import DashboardSpec, PipelineDashboard
from observability_layer.settings import ObservabilitySettings
from observability_layer.targets import PipelineTargets

from streaming_shared.catalogue import OBSERVABILITY
from streaming_shared.provider import aws_provider, layer_options
from streaming_shared.upstream import export_contract

settings = ObservabilitySettings.load()
targets = PipelineTargets.read(settings)
provider = aws_provider(settings)
account = AwsAccount.of(provider, settings.environment.region)

topic = AlarmTopic(
    "alarm-topic",
    settings.environment.name,
    account,
    emails=settings.alarm_emails,
    https_endpoint=settings.alarm_https_endpoint,
    opts=layer_options(provider),
)
alarms = PipelineAlarms("alarms", AlarmSpec.of(settings), targets, topic.topic.arn, opts=layer_options(provider))
dashboard = PipelineDashboard(
    "dashboard", DashboardSpec.of(settings), targets, list(alarms.arns.values()), opts=layer_options(provider)
)

export_contract(
    OBSERVABILITY,
    {
        "region": settings.environment.region,
        "dashboard_name": dashboard.dashboard.dashboard_name,
        "dashboard_arn": dashboard.dashboard.dashboard_arn,
        "alarm_topic_arn": topic.topic.arn,
        "alarm_topic_kms_key_arn": topic.key.arn,
        "alarm_names": alarms.names,
        "alarm_arns": alarms.arns,
    },
)
