# Each example under examples/ plans against the mocked provider, as an adopter
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
    bucket_arn  = "arn:aws:s3:::aipic-example-pics-123456789012"
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }
}

run "complete_example_plans" {
  command = plan

  module {
    source = "./examples/complete"
  }

  variables {
    bucket_arn  = "arn:aws:s3:::aipic-example-pics-123456789012"
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    functions_artifact = {
      path          = "build/functions.zip"
      sha256_base64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    }
    ses_source_arn = "arn:aws:ses:eu-west-1:123456789012:identity/example.com"
  }

  assert {
    condition     = output.user_pool_security.mfa_configuration == "ON" && output.user_pool_security.threat_protection_mode == "AUDIT"
    error_message = "The complete example's production settings must reach the pool."
  }
}
