"""streaming-compute: the five Lambda stages, the Express state machine, the Kinesis consumer."""

from pathlib import Path

from compute_layer import stages
from compute_layer.consumer import StreamConsumer, StreamReading, dead_letter_queue_name
from compute_layer.endpoint_policies import EndpointPolicies, Endpoints, PolicyTargets
from compute_layer.functions import (
    DependencyLayer,
    FunctionPlacement,
    FunctionRuntime,
    StageFunction,
    StageSize,
    function_log_groups,
)
from compute_layer.log_encryption import LogsKey
from compute_layer.packaging import REQUIREMENTS, function_code
from compute_layer.replay import ReplayRole
from compute_layer.settings import ComputeSettings
from compute_layer.state_machine import PipelineStateMachine, StateMachineLogging, state_machine_log_group
from compute_layer.state_machine_definition import STEPS

from streaming_shared.catalogue import COMPUTE, STAGES
from streaming_shared.provider import AwsAccount, aws_provider, layer_options
from streaming_shared.upstream import Upstream, export_contract

HERE = Path(__file__).absolute().parent
FUNCTIONS_DIR = HERE / "functions"  # the data plane's code (functions/README.md)
BUILD_DIR = HERE.parents[1] / "build" / "compute"  # git-ignored cache of the dependency layer
PIPELINE = "pipeline"

settings = ComputeSettings.load()
environment, region = settings.environment.name, settings.environment.region
provider = aws_provider(settings)
account = AwsAccount.of(provider, region)
network = Upstream(settings, "network")
endpoints = Endpoints.read(network)
placement = FunctionPlacement.read(network, account)
data = stages.DataResources.read(Upstream(settings, "data"))

logs_key = (
    LogsKey(
        "logs",
        environment,
        account,
        [*function_log_groups(environment, region), state_machine_log_group(environment, region, PIPELINE)],
        opts=layer_options(provider),
    )
    if settings.encrypts_logs(bool(data.customer_managed_key_arns))
    else None
)
runtime = FunctionRuntime.of(settings, account, logs_key.key.arn if logs_key else None)
dependencies = DependencyLayer(
    "dependencies",
    runtime,
    requirements=FUNCTIONS_DIR / REQUIREMENTS,
    build_dir=BUILD_DIR,
    opts=layer_options(provider),
)

# The build order: the four steps, then the state machine that runs them, then the endpoint
# policies (they name the state machine), ingest, which starts the state machine, and the stream
# consumer that feeds ingest, once the endpoints are limited to this stack.
steps = {
    stage: StageFunction(
        stage,
        runtime,
        StageSize.of(settings, stage),
        code=function_code(FUNCTIONS_DIR, stage),
        layer_arn=dependencies.version.arn,
        placement=placement,
        environment=stages.environment(stage, settings, data),
        statements=stages.statements(stage, region, data),
        opts=layer_options(provider),
    )
    for stage in STEPS
}
pipeline = PipelineStateMachine(
    PIPELINE,
    runtime,
    account,
    StateMachineLogging(level=settings.state_machine_log_level, execution_data=settings.logs_execution_data),
    function_arns={stage: function.function.arn for stage, function in steps.items()},
    opts=layer_options(provider),
)
endpoint_policies = EndpointPolicies(
    "endpoints",
    endpoints,
    PolicyTargets(
        data,
        state_machine_arn=pipeline.state_machine.arn,
        queue_arn=account.arn("sqs", dead_letter_queue_name(environment)),
        logs_key_arn=logs_key.key.arn if logs_key else None,
    ),
    account,
    opts=layer_options(provider),
)
ingest = StageFunction(
    "ingest",
    runtime,
    StageSize.of(settings, "ingest"),
    code=function_code(FUNCTIONS_DIR, "ingest"),
    layer_arn=dependencies.version.arn,
    placement=placement,
    environment=stages.environment("ingest", settings, data, pipeline.state_machine.arn),
    statements=stages.statements("ingest", region, data, pipeline.state_machine.arn),
    opts=layer_options(provider),
)
consumer = StreamConsumer(
    "ingest",
    environment,
    StreamReading.of(settings),
    ingest=ingest,
    stream_arn=data.stream_arn,
    stream_kms_key_arn=data.stream_kms_key_arn,
    start_after=[endpoint_policies],
    opts=layer_options(provider),
)
replay = ReplayRole(
    "replay",
    runtime,
    account,
    queue_arn=consumer.dead_letter_queue.arn,
    stream_arn=data.stream_arn,
    table_arn=data.table_arn,
    stream_kms_key_arn=data.stream_kms_key_arn,
    opts=layer_options(provider),
)

functions = {"ingest": ingest, **steps}
export_contract(
    COMPUTE,
    {
        "region": region,
        "function_names": {stage: functions[stage].function.name for stage in STAGES},
        "function_arns": {stage: functions[stage].function.arn for stage in STAGES},
        "state_machine_arn": pipeline.state_machine.arn,
        "event_source_mapping_id": consumer.mapping.uuid,
        "dead_letter_queue_arn": consumer.dead_letter_queue.arn,
        "dead_letter_queue_url": consumer.dead_letter_queue.url,
        "state_machine_name": pipeline.state_machine.name,
        "state_machine_log_group_name": pipeline.log_group.name,
        "log_group_names": {stage: functions[stage].log_group.name for stage in STAGES},
        "role_arns": {stage: functions[stage].role.arn for stage in STAGES},
        "state_machine_role_arn": pipeline.role.arn,
        "dependency_layer_arn": dependencies.version.arn,
        "replay_role_arn": replay.role.arn,
        **({"logs_kms_key_arn": logs_key.key.arn} if logs_key else {}),
    },
)
