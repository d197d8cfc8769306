"""The data plane run in-process against moto server: what the data-plane tests and `nox -s bench`
share, never deployed (its modules: stacks/compute/README.md's file map). Moto cannot run the stage
code in Lambda or Step Functions, so the handlers run here with the environment the compute layer
gives them; every other call (DynamoDB, S3, Kinesis) reaches moto for real. Import it with
`stacks/compute/tests` and `stacks/compute` on `sys.path` (the compute tests' conftest and the
bench put them there).
"""
