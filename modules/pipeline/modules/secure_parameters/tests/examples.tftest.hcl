# The example under examples/ plans against the mocked provider, as an adopter
# would run it (terraform plan in the example's directory).

mock_provider "aws" {
  source = "./tests/mocks"
}

run "minimal_example_plans" {
  command = plan

  module {
    source = "./examples/minimal"
  }

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition     = output.names == { api_token = "/aipic-example/replicate/api-token" }
    error_message = "The example's parameter must be created under its name."
  }
}
