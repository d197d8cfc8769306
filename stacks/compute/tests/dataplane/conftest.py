"""Fixtures of the data-plane tests: one moto server per session on 127.0.0.1, real boto3 calls to it.

The AWS environment variables (endpoint, fake credentials, region) are set for each test module
of this folder and restored after it, so other layers' tests never see them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import dataplane_support
from dataplane_emulator.lambda_runtime import pipeline_core
from dataplane_emulator.pipeline import Pipeline, emulator_environment, powertools_environment, start_moto

# The functions read these when their modules are imported (Powertools' Metrics and Logger), which
# may happen while tests are collected: set them as Lambda does, before anything else.
for name, value in powertools_environment().items():
    os.environ.setdefault(name, value)


@pytest.fixture(scope="session")
def moto_endpoint():
    server, endpoint = start_moto()
    yield endpoint
    server.stop()


@pytest.fixture(scope="module", autouse=True)
def aws_environment(moto_endpoint):
    saved = dict(os.environ)
    os.environ.update(emulator_environment(moto_endpoint, dataplane_support.REGION))
    yield
    os.environ.clear()
    os.environ.update(saved)
    pipeline_core("aws").client.cache_clear()


@pytest.fixture
def pipeline():
    return Pipeline(region=dataplane_support.REGION)
