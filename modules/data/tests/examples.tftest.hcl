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

  assert {
    condition     = output.table_name == "aipic-example-pics"
    error_message = "The minimal example must create the pics table under its name prefix."
  }
}

run "complete_example_plans" {
  command = plan

  module {
    source = "./examples/complete"
  }

  variables {
    access_log_bucket = "aipic-example-access-logs"
  }

  assert {
    condition     = output.protection.table_deletion_protection == false && output.protection.bucket_force_destroy == true
    error_message = "The complete example's disposable settings must reach the module."
  }
}
