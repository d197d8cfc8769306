"""The data plane run in-process against moto server: what the data-plane tests and `nox -s bench` share.

Never deployed. Lambda and Step Functions cannot run the stage code in moto, so `lambda_runtime`
loads the handlers as Lambda would and gives them a context, `step_functions` answers
StartSyncExecution by running them in the state machine definition's order, and `pipeline` creates
a stream, a table and a bucket in moto and runs each function with the environment the compute
layer gives it. Every other call (DynamoDB, S3, Kinesis) reaches moto for real.

Import it with `stacks/compute/tests` and `stacks/compute` on `sys.path` (the compute tests'
conftest puts them there; the bench does the same).
"""
