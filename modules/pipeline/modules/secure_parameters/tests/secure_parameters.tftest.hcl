# The parameters as the provider receives them, against the mocked AWS provider.
# That their values stay out of state against a real SSM API (moto) is
# tests/terraform/test_secret_state.py.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  parameters = {
    token  = { name = "/aipic-test/replicate/api-token", purpose = "Replicate API token." }
    secret = { name = "/aipic-test/replicate/webhook-secret", purpose = "Webhook signing secret." }
  }
  tags = { Project = "aipic" }
}

run "write_only_securestring_parameters" {
  command = apply

  assert {
    condition = {
      for key, parameter in aws_ssm_parameter.this :
      key => [parameter.name, parameter.type, parameter.key_id, parameter.value_wo_version, parameter.tags]
      } == {
      token  = ["/aipic-test/replicate/api-token", "SecureString", var.kms_key_arn, 1, tomap({ Project = "aipic" })]
      secret = ["/aipic-test/replicate/webhook-secret", "SecureString", var.kms_key_arn, 1, tomap({ Project = "aipic" })]
    }
    # value_wo_version needs value_wo, and the provider allows exactly one of
    # value_wo, value and insecure_value: the value is write-only.
    error_message = "Each parameter must be a KMS-encrypted, tagged SecureString set through value_wo (version 1)."
  }

  assert {
    condition = alltrue([
      for key, parameter in aws_ssm_parameter.this :
      parameter.description == "${var.parameters[key].purpose} Set with aws ssm put-parameter --overwrite; Terraform never stores the value."
    ])
    error_message = "The description must state the purpose and how the value is set (the suffix is also what upgrades a former parameter)."
  }

  assert {
    condition     = output.names == { token = "/aipic-test/replicate/api-token", secret = "/aipic-test/replicate/webhook-secret" }
    error_message = "names must map each key to its parameter name."
  }
}

run "rejects_a_name_without_leading_slash" {
  command = plan
  variables {
    parameters = { token = { name = "aipic-test/token", purpose = "x" } }
  }
  expect_failures = [var.parameters]
}

run "rejects_a_kms_alias" {
  command = plan
  variables {
    kms_key_arn = "alias/aws/ssm"
  }
  expect_failures = [var.kms_key_arn]
}
