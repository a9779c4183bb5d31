"""Shared fixtures of the policy tests: template.yaml as written (SAM) and as
CloudFormation after an offline transform with aws-sam-translator, the library
`sam deploy` hands the template to as the AWS::Serverless-2016-10-31 transform.

Nothing here calls AWS: the translator gets a region but no credentials, and an
empty managed-policy map (the template names no managed policy by short name).
"""

from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path

import boto3
import pytest
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
# BOOKSHELF_TEMPLATE points the tests at another file (e.g. a mutated copy,
# to see an assertion fail).
TEMPLATE = Path(os.environ.get("BOOKSHELF_TEMPLATE", ROOT / "template.yaml"))


@functools.cache
def sam_template() -> dict:
    """template.yaml, parsed (short-form intrinsics become their long form)."""
    return yaml_parse(TEMPLATE.read_text())


@functools.cache
def _transformed(parameters: tuple[tuple[str, str], ...]) -> str:
    template = copy.deepcopy(sam_template())
    # `sam package` replaces each local CodeUri with the S3 location it
    # uploaded; the transform accepts nothing else.
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            code_uri = resource["Properties"]["CodeUri"]
            resource["Properties"]["CodeUri"] = f"s3://bookshelf-artifacts/{code_uri}"
    translator = Translator(
        managed_policy_map={},
        sam_parser=Parser(),
        boto_session=boto3.session.Session(region_name="us-east-1"),
    )
    output = translator.translate(sam_template=template, parameter_values=dict(parameters))
    return json.dumps(output)


def transform(**parameters: str) -> dict:
    """The CloudFormation template SAM makes of template.yaml with these parameter values."""
    return json.loads(_transformed(tuple(sorted(parameters.items()))))


@pytest.fixture(scope="session")
def sam() -> dict:
    return sam_template()


@pytest.fixture(scope="session")
def cfn() -> dict:
    """The transform with every parameter at its default."""
    return transform()


@pytest.fixture(scope="session")
def resources(cfn) -> dict:
    return cfn["Resources"]
