"""terraform/environments/local applies the whole terraform/stack to the emulator.

Starts the emulator, applies the local root (artifacts from `make build` in dist/, the
provider from the machine's mirror), and checks: the state holds every resource that
terraform/stack declares, a second plan has no changes, destroy leaves nothing behind.
Prints per-resource apply times (the slowest first). Slow: select with `-m slow`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from local.emulator.inventory import leftovers
from local.emulator.server import MotoServer
from local.terraform import (
    REPO_ROOT,
    LocalTerraform,
    declared_resources,
    put_secrets,
    without_instance_key,
)

NAME_PREFIX = "aipic-apply-test"
# Counted resources the stack leaves out unless an input asks for them (dev and prod
# included): a web ACL, a CORS rule, access logging.
OPTIONAL_BY_INPUT = {
    "module.stack.module.api.aws_wafv2_web_acl_association.this": "waf_web_acl_arn is null",
    "module.stack.module.data.aws_s3_bucket_cors_configuration.pics": "no cors_allowed_origins",
    "module.stack.module.data.aws_s3_bucket_logging.pics": "access_log_bucket is null",
    **{
        f"module.stack.module.auth.{address}": "sign_up_policy is open"
        for address in (
            "aws_cloudwatch_log_group.pre_sign_up",
            "aws_iam_role.pre_sign_up",
            "aws_iam_role_policy.pre_sign_up",
            "aws_lambda_function.pre_sign_up",
            "aws_lambda_permission.cognito_invokes_pre_sign_up",
        )
    },
}

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def artifacts() -> None:
    if not (REPO_ROOT / "dist" / "manifest.json").is_file():
        pytest.fail("dist/manifest.json is missing: run `make build` first")


def test_local_root_applies_the_whole_stack(artifacts: None, tmp_path: Path) -> None:
    with MotoServer() as emulator:
        terraform = LocalTerraform(
            emulator_url=emulator.url,
            state_path=tmp_path / "local.tfstate",
            variables={"name_prefix": NAME_PREFIX, "replicate_api_url": "http://127.0.0.1:9/v1"},
        )
        terraform.init()
        report = terraform.apply()
        print(f"\napply: {report.seconds:.1f} s, {len(report.resource_seconds)} resources")
        for address, seconds in report.slowest(15):
            print(f"  {seconds:5.1f} s  {address}")

        in_state = {without_instance_key(a) for a in terraform.state_addresses()}
        declared = declared_resources()
        missing = {
            address
            for address, counted in declared.items()
            if address not in in_state and not (counted and address in OPTIONAL_BY_INPUT)
        }
        assert not missing, f"declared by terraform/stack but not in the state: {sorted(missing)}"
        modules = {address.split(".")[3] for address in declared}
        assert modules == {"data", "auth", "api", "pipeline"}, "the stack's modules were not found"

        # As an operator would: the secrets go in outside Terraform, and the plan stays empty.
        outputs = terraform.outputs()
        put_secrets(
            emulator.url, outputs, replicate_api_token="r8_fake", webhook_secret="whsec_c2VjcmV0"
        )
        unchanged, plan = terraform.plan_is_empty()
        assert unchanged, f"a plan right after apply wants changes:\n{plan[-4000:]}"

        assert outputs["graphql_url"].startswith("https://")

        seconds = terraform.destroy()
        print(f"destroy: {seconds:.1f} s")
        assert leftovers(emulator.url, name_prefix=NAME_PREFIX) == []
