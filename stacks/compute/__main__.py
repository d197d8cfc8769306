"""streaming-compute: the five Lambda stages, the Express state machine, the Kinesis consumer."""

from pathlib import Path

import pulumi
import pulumi_aws as aws
from compute_layer import stages
from compute_layer.consumer import StreamConsumer, StreamReading
from compute_layer.functions import DependencyLayer, FunctionPlacement, FunctionRuntime, StageFunction, StageSize
from compute_layer.orchestration import PipelineStateMachine
from compute_layer.packaging import REQUIREMENTS, function_code
from compute_layer.settings import ComputeSettings
from compute_layer.state_machine import STEPS

from streaming_shared.catalogue import COMPUTE, STAGES
from streaming_shared.provider import aws_provider, layer_options
from streaming_shared.upstream import Upstream, export_contract

HERE = Path(__file__).absolute().parent
FUNCTIONS_DIR = HERE / "functions"  # the data plane's code (functions/README.md)
BUILD_DIR = HERE.parents[1] / "build" / "compute"  # git-ignored cache of the dependency layer

settings = ComputeSettings.load()
provider = aws_provider(settings)
network = Upstream(settings, "network")
data = stages.DataResources.read(Upstream(settings, "data"))
placement = FunctionPlacement(
    subnet_ids=network.require("private_subnet_ids"),
    security_group_id=network.require("lambda_security_group_id"),
    partition=aws.get_partition(opts=pulumi.InvokeOptions(provider=provider)).partition,
)
runtime = FunctionRuntime.of(settings)
dependencies = DependencyLayer(
    "dependencies",
    runtime,
    requirements=FUNCTIONS_DIR / REQUIREMENTS,
    build_dir=BUILD_DIR,
    opts=layer_options(provider),
)

# The build order: the four steps, then the state machine that runs them, then ingest, which
# starts the state machine, and the stream consumer that feeds ingest.
steps = {
    stage: StageFunction(
        stage,
        runtime,
        StageSize.of(settings, stage),
        code=function_code(FUNCTIONS_DIR, stage),
        layer_arn=dependencies.version.arn,
        placement=placement,
        environment=stages.environment(stage, settings, data),
        statements=stages.statements(stage, data),
        opts=layer_options(provider),
    )
    for stage in STEPS
}
pipeline = PipelineStateMachine(
    "pipeline",
    settings.environment.name,
    region=settings.environment.region,
    function_arns={stage: function.function.arn for stage, function in steps.items()},
    log_level=settings.state_machine_log_level,
    log_retention_days=settings.log_retention_days,
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
    statements=stages.statements("ingest", data, pipeline.state_machine.arn),
    opts=layer_options(provider),
)
consumer = StreamConsumer(
    "ingest",
    settings.environment.name,
    StreamReading.of(settings),
    ingest=ingest,
    stream_arn=data.stream_arn,
    stream_kms_key_arn=data.stream_kms_key_arn,
    opts=layer_options(provider),
)

functions = {"ingest": ingest, **steps}
export_contract(
    COMPUTE,
    {
        "region": settings.environment.region,
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
    },
)
