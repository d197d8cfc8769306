"""Guardrails: the CrossGuard policies and the IAM checks, runnable offline and in the policy pack."""
