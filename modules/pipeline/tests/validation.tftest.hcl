# Inputs the module must refuse, each with its own validation message.

mock_provider "aws" {
  source = "./tests/mocks"
}

# Module inputs: tests/terraform.tfvars.

run "valid_inputs_plan" {
  command = plan
}

run "rejects_uppercase_name_prefix" {
  command = plan
  variables {
    name_prefix = "AiPic"
  }
  expect_failures = [var.name_prefix]
}

run "rejects_artifact_without_zip" {
  command = plan
  variables {
    artifacts = {
      functions = { path = "build/functions.tar.gz", sha256_base64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" }
    }
  }
  expect_failures = [var.artifacts]
}

run "rejects_hex_instead_of_base64_hash" {
  command = plan
  variables {
    artifacts = {
      functions = { path = "build/functions.zip", sha256_base64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" }
    }
  }
  expect_failures = [var.artifacts]
}

run "rejects_unknown_architecture" {
  command = plan
  variables {
    architecture = "aarch64"
  }
  expect_failures = [var.architecture]
}

run "rejects_a_short_version_id" {
  command = plan
  variables {
    replicate_model = "ac732df83cea"
  }
  expect_failures = [var.replicate_model]
}

run "rejects_an_uppercase_version_id" {
  command = plan
  variables {
    replicate_model = "AC732DF83CEA7FFF18B8472768C88AD041FA750FF7682A21AFFE81863CBE77E4"
  }
  expect_failures = [var.replicate_model]
}

run "rejects_a_model_url" {
  command = plan
  variables {
    replicate_model = "https://replicate.com/stability-ai/stable-diffusion-3.5-large"
  }
  expect_failures = [var.replicate_model]
}

run "rejects_a_model_without_owner" {
  command = plan
  variables {
    replicate_model = "stable-diffusion-3.5-large"
  }
  expect_failures = [var.replicate_model]
}

run "refuses_the_all_zeros_placeholder" {
  command = plan
  variables {
    replicate_model = "0000000000000000000000000000000000000000000000000000000000000000"
  }
  expect_failures = [var.replicate_model]
}

run "refuses_a_named_all_zeros_placeholder" {
  command = plan
  variables {
    replicate_model = "stability-ai/sdxl:0000000000000000000000000000000000000000000000000000000000000000"
  }
  expect_failures = [var.replicate_model]
}

run "refuses_the_hex_alphabet_placeholder" {
  command = plan
  variables {
    replicate_model = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
  }
  expect_failures = [var.replicate_model]
}

run "refuses_replace_me" {
  command = plan
  variables {
    replicate_model = "replace-me/replace-me"
  }
  expect_failures = [var.replicate_model]
}

run "refuses_the_literal_owner_name" {
  command = plan
  variables {
    replicate_model = "owner/name"
  }
  expect_failures = [var.replicate_model]
}

run "accepts_an_official_model_name" {
  command = plan
  variables {
    replicate_model = "stability-ai/stable-diffusion-3.5-large"
  }
  assert {
    condition     = aws_lambda_function.function["generate"].environment[0].variables.REPLICATE_MODEL == "stability-ai/stable-diffusion-3.5-large"
    error_message = "An official model's owner/name must reach the generate function as REPLICATE_MODEL."
  }
}

run "accepts_a_named_version" {
  command = plan
  variables {
    replicate_model = "stability-ai/stable-diffusion:ac732df83cea7fff18b8472768c88ad041fa750ff7682a21affe81863cbe77e4"
  }
}

run "rejects_plain_http_replicate_url" {
  command = plan
  variables {
    replicate_api_url = "http://api.replicate.com/v1"
  }
  expect_failures = [var.replicate_api_url]
}

run "rejects_url_in_host_allowlist" {
  command = plan
  variables {
    image_host_allowlist = ["https://replicate.delivery"]
  }
  expect_failures = [var.image_host_allowlist]
}

run "rejects_empty_host_allowlist" {
  command = plan
  variables {
    image_host_allowlist = []
  }
  expect_failures = [var.image_host_allowlist]
}

run "rejects_tiny_image_cap" {
  command = plan
  variables {
    max_image_bytes = 10
  }
  expect_failures = [var.max_image_bytes]
}

run "rejects_unsupported_retention" {
  command = plan
  variables {
    log_retention_days = 100
  }
  expect_failures = [var.log_retention_days]
}

run "rejects_zero_reserved_concurrency" {
  command = plan
  variables {
    reserved_concurrency = { generate = 0, webhook = 10, on_upload = 5, publish = 5 }
  }
  expect_failures = [var.reserved_concurrency]
}

run "rejects_zero_burst" {
  command = plan
  variables {
    webhook_throttling = { burst_limit = 0, rate_limit = 10 }
  }
  expect_failures = [var.webhook_throttling]
}

run "rejects_non_arn_alarm_action" {
  command = plan
  variables {
    alarm_actions = ["ops@example.com"]
  }
  expect_failures = [var.alarm_actions]
}

run "rejects_unknown_tracing_mode" {
  command = plan
  variables {
    tracing_mode = "On"
  }
  expect_failures = [var.tracing_mode]
}

run "rejects_unknown_log_level" {
  command = plan
  variables {
    log_level = "TRACE"
  }
  expect_failures = [var.log_level]
}

run "rejects_kms_alias" {
  command = plan
  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:alias/aipic"
  }
  expect_failures = [var.kms_key_arn]
}

run "rejects_table_arn_as_stream_arn" {
  command = plan
  variables {
    table_stream_arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics"
  }
  expect_failures = [var.table_stream_arn]
}

run "rejects_bucket_name_as_arn" {
  command = plan
  variables {
    bucket_arn = "aipic-test-pics-123456789012"
  }
  expect_failures = [var.bucket_arn]
}

run "rejects_other_field_than_publish" {
  command = plan
  variables {
    publish_field_arn = "arn:aws:appsync:eu-west-1:123456789012:apis/abcdefghijklmnopqrstuvwxyz/types/Mutation/fields/createAIPic"
  }
  expect_failures = [var.publish_field_arn]
}

run "rejects_graphql_url_without_path" {
  command = plan
  variables {
    graphql_url = "https://abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-1.amazonaws.com"
  }
  expect_failures = [var.graphql_url]
}

run "rejects_a_deadline_shorter_than_generates_attempts" {
  command = plan
  variables {
    picture_deadline_minutes = 1
  }
  expect_failures = [var.picture_deadline_minutes]
}

run "rejects_a_deadline_past_replicates_output_lifetime" {
  command = plan
  variables {
    picture_deadline_minutes = 90
  }
  expect_failures = [var.picture_deadline_minutes]
}

run "rejects_a_zero_sweep_interval" {
  command = plan
  variables {
    sweep_interval_minutes = 0
  }
  expect_failures = [var.sweep_interval_minutes]
}

run "rejects_a_sweep_interval_not_shorter_than_the_deadline" {
  command = plan
  variables {
    picture_deadline_minutes = 20
    sweep_interval_minutes   = 20
  }
  expect_failures = [var.sweep_interval_minutes]
}

run "rejects_a_malformed_pending_index_name" {
  command = plan
  variables {
    pending_index_name = "by pending"
  }
  expect_failures = [var.pending_index_name]
}

run "rejects_a_download_deadline_past_the_webhook_timeout" {
  command = plan
  variables {
    image_download_deadline_seconds = 30
  }
  expect_failures = [var.image_download_deadline_seconds]
}

run "rejects_a_zero_download_deadline" {
  command = plan
  variables {
    image_download_deadline_seconds = 0
  }
  expect_failures = [var.image_download_deadline_seconds]
}

run "accepts_http_replicate_url_on_loopback" {
  command = plan
  variables {
    replicate_api_url         = "http://127.0.0.1:8001/v1"
    image_host_allowlist      = ["127.0.0.1"]
    allowed_image_url_schemes = ["https", "http"]
  }

  assert {
    condition     = aws_lambda_function.function["webhook"].environment[0].variables["ALLOWED_IMAGE_URL_SCHEMES"] == "https,http"
    error_message = "ALLOWED_IMAGE_URL_SCHEMES must carry the configured schemes when they widen https."
  }
}

run "rejects_http_replicate_url_off_loopback" {
  command = plan
  variables {
    replicate_api_url = "http://10.0.0.1:8001/v1"
  }
  expect_failures = [var.replicate_api_url]
}

run "rejects_http_pictures_from_a_public_host" {
  command = plan
  variables {
    allowed_image_url_schemes = ["https", "http"]
  }
  expect_failures = [var.allowed_image_url_schemes]
}

run "rejects_unknown_image_url_scheme" {
  command = plan
  variables {
    allowed_image_url_schemes = ["ftp"]
  }
  expect_failures = [var.allowed_image_url_schemes]
}

run "accepts_a_loopback_http_graphql_url" {
  command = plan
  variables {
    graphql_url = "http://127.0.0.1:4001/graphql"
  }

  assert {
    condition     = aws_lambda_function.function["publish"].environment[0].variables["APPSYNC_GRAPHQL_URL"] == "http://127.0.0.1:4001/graphql"
    error_message = "The local AppSync endpoint's URL must reach the publish function."
  }
}

run "rejects_an_http_graphql_url_off_loopback" {
  command = plan
  variables {
    graphql_url = "http://abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-1.amazonaws.com/graphql"
  }
  expect_failures = [var.graphql_url]
}

run "rejects_zero_prediction_rate_threshold" {
  command = plan
  variables {
    prediction_rate_alarm_threshold = 0
  }
  expect_failures = [var.prediction_rate_alarm_threshold]
}
