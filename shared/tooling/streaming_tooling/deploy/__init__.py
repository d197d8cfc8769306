"""Deploying the layers: ordered multi-stack operations, local mode, and the offline plan."""
