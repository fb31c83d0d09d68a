# Each example under examples/ plans against the mocked provider, as an adopter
# would run it (terraform plan in the example's directory). The upstream values
# are the other modules' outputs in the fake account.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  table_name         = "aipic-example-pics"
  table_arn          = "arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-example-pics"
  table_stream_arn   = "arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-example-pics/stream/2025-11-26T04:12:00.000"
  pending_index_name = "byPending"
  bucket_name        = "aipic-example-pics-123456789012"
  bucket_arn         = "arn:aws:s3:::aipic-example-pics-123456789012"
  kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  graphql_url        = "https://abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-1.amazonaws.com/graphql"
  publish_field_arn  = "arn:aws:appsync:eu-west-1:123456789012:apis/abcdefghijklmnopqrstuvwxyz/types/Mutation/fields/publish"
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
    alarm_topic_arn = "arn:aws:sns:eu-west-1:123456789012:aipic-example-alarms"
  }

  assert {
    condition     = output.sweeper_settings.picture_deadline_minutes == 15 && output.sweeper_settings.schedule_expression == "rate(3 minutes)"
    error_message = "The complete example's deadline and sweep interval must reach the sweeper."
  }
}
