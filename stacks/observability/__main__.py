"""streaming-observability: alarms an on-call engineer can rely on, where they go, and a dashboard."""

from observability_layer.alarms import AlarmSpec, PipelineAlarms, alarm_names
from observability_layer.alerting import AlarmTopic
from observability_layer.dashboard import DashboardSpec, PipelineDashboard
from observability_layer.settings import ObservabilitySettings
from observability_layer.targets import PipelineTargets

from streaming_shared.catalogue import OBSERVABILITY
from streaming_shared.provider import AwsAccount, aws_provider, layer_options
from streaming_shared.upstream import export_contract

settings = ObservabilitySettings.load()
targets = PipelineTargets.read(settings)
provider = aws_provider(settings)
account = AwsAccount.of(provider, settings.environment.region)
alarm_spec = AlarmSpec.of(settings)

topic = AlarmTopic(
    "alarm-topic",
    settings.environment.name,
    account,
    alarm_names=alarm_names(alarm_spec, targets),  # only these alarms may publish and use the topic's key
    emails=settings.alarm_emails,
    https_endpoint=settings.alarm_https_endpoint,
    opts=layer_options(provider),
)
alarms = PipelineAlarms("alarms", alarm_spec, targets, topic.topic.arn, opts=layer_options(provider))
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
