"""The offline plan's engine: a layer's real program under Pulumi's mock engine, no CLI, no cloud
(`program`), with AWS-shaped answers (`cloud`). `nox -s plan`, the deploy guard, the estimate and
the policies run offline stand on it, and so do the tests (through `streaming_tooling.testing`)."""
