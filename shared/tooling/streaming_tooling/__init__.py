"""The pipeline's tooling: deploy orchestration, the offline plan, guardrails, the test harness, docs.

Never installed into a stack program's environment: the programs import only `streaming_shared`.
"""
