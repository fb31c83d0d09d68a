# Each example under examples/ plans against the mocked provider, as an adopter
# would run it (terraform plan in the example's directory). The upstream values
# are the other modules' outputs in the fake account.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  schema                = file("tests/fixtures/schema.graphql")
  user_pool_id          = "eu-west-1_AbCdEf123"
  table_name            = "aipic-example-pics"
  table_arn             = "arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-example-pics"
  kms_key_arn           = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  generate_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:aipic-example-generate"
}

run "minimal_example_plans" {
  command = plan

  module {
    source = "./examples/minimal"
  }
}

run "complete_example_plans" {
  command = plan

  module {
    source = "./examples/complete"
  }

  variables {
    waf_web_acl_arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/aipic-example/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition     = output.daily_picture_limits.quota == 10 && output.daily_picture_limits.ceiling == 200
    error_message = "The complete example's daily limits must reach the resolvers."
  }
}
