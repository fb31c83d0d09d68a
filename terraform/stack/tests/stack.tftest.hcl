# The stack's wiring between modules/data, auth, api and pipeline, and the
# environment settings reaching the resources, against the mocked AWS provider
# (the fake account in tests/terraform/mocks). Each module's own tests cover
# what it builds from its inputs; these check which module feeds which.

mock_provider "aws" {
  source = "./tests/mocks"
}

# Every function gets the same mocked ARN unless pinned: pinning generate's makes
# any other function wired in its place show up.
override_resource {
  target = module.pipeline.aws_lambda_function.function["generate"]
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-generate"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-generate/invocations"
  }
}

# dev's settings
variables {
  name_prefix   = "aipic-test"
  artifacts_dir = "../../dist"
  artifacts_manifest = {
    architecture = "arm64"
    artifacts = {
      functions = {
        path          = "functions.zip"
        sha256_base64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
      }
    }
  }
  deletion_protection                = false
  noncurrent_version_expiration_days = 7
  kms_deletion_window_days           = 7
  password_minimum_length            = 12
  admin_password_auth_enabled        = true
  log_retention_days                 = 365
  function_log_level                 = "DEBUG"
  reserved_concurrency               = { generate = 5, webhook = 5, on_upload = 2, publish = 2 }
  webhook_throttling                 = { burst_limit = 10, rate_limit = 5 }
  daily_picture_quota                = 25
  daily_picture_ceiling              = 100
  mfa_configuration                  = "OPTIONAL"
  replicate_model                    = "ac732df83cea7fff18b8472768c88ad041fa750ff7682a21affe81863cbe77e4"
}

run "api_invokes_the_generate_function" {
  command = apply

  assert {
    condition = (
      module.api.invoked_function_arn == "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-generate" &&
      module.api.invoked_function_arn == module.pipeline.generate_function_arn
    )
    error_message = "The AppSync Lambda data source must target the pipeline's generate function."
  }
}

run "publish_may_call_only_this_apis_publish_mutation" {
  command = apply

  assert {
    condition = [
      for s in jsondecode(module.pipeline.function_role_policies["publish"]).Statement : s.Resource if contains(s.Action, "appsync:GraphQL")
      ] == [
      [
        "arn:aws:appsync:eu-west-1:123456789012:apis/abcdefghijklmnopqrstuvwxyz/types/Mutation/fields/publish",
        "arn:aws:appsync:eu-west-1:123456789012:apis/abcdefghijklmnopqrstuvwxyz/types/Mutation/fields/publishAIPic",
      ],
    ]
    error_message = "The publish role's appsync:GraphQL must be scoped to this API's Mutation/fields/publish and publishAIPic."
  }

  assert {
    condition     = output.graphql_url == "https://abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-1.amazonaws.com/graphql"
    error_message = "graphql_url must be this API's endpoint."
  }
}

run "functions_use_the_data_modules_table_bucket_stream_and_key" {
  command = apply

  assert {
    condition = {
      for key, policy in module.pipeline.function_role_policies : key => {
        for s in jsondecode(policy).Statement : s.Sid => s.Resource if s.Sid != "WriteOwnLogs" && s.Sid != "SendTraces" && s.Sid != "SendFailedEvents"
      }
      } == {
      generate = {
        ReadReplicateToken = ["arn:aws:ssm:eu-west-1:123456789012:parameter/aipic-test/replicate/api-token"]
        RecordPrediction   = [module.data.table_arn]
        UseEnvironmentKey  = [module.data.kms_key_arn]
      }
      webhook = {
        ReadWebhookSecret = ["arn:aws:ssm:eu-west-1:123456789012:parameter/aipic-test/replicate/webhook-secret"]
        StorePictures     = ["${module.data.bucket_arn}/pics/*"]
        RecordOutcome     = [module.data.table_arn]
        UseEnvironmentKey = [module.data.kms_key_arn]
      }
      on_upload = {
        MarkCompleted     = [module.data.table_arn]
        UseEnvironmentKey = [module.data.kms_key_arn]
      }
      publish = {
        ReadPicsStream           = [module.data.table_stream_arn]
        CallPublishMutationsOnly = [module.api.publish_field_arn, replace(module.api.publish_field_arn, "/fields/publish", "/fields/publishAIPic")]
        UseEnvironmentKey        = [module.data.kms_key_arn]
      }
      cleanup = {
        ReadPicsStream             = [module.data.table_stream_arn]
        ReadReplicateTokenToCancel = ["arn:aws:ssm:eu-west-1:123456789012:parameter/aipic-test/replicate/api-token"]
        ListPictureVersions        = [module.data.bucket_arn]
        DeletePictureVersions      = ["${module.data.bucket_arn}/pics/*"]
        UseEnvironmentKey          = [module.data.kms_key_arn]
      }
      sweeper = {
        FindPendingPictures        = ["${module.data.table_arn}/index/${module.data.pending_index_name}"]
        FailOverduePictures        = [module.data.table_arn]
        ReadReplicateTokenToCancel = ["arn:aws:ssm:eu-west-1:123456789012:parameter/aipic-test/replicate/api-token"]
        UseEnvironmentKey          = [module.data.kms_key_arn]
      }
    }
    error_message = "Each function's table, bucket, stream and key permissions must name the data module's resources."
  }

  assert {
    condition = [module.data.table_arn, module.data.bucket_arn, module.data.table_stream_arn, module.data.kms_key_arn] == [
      "arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics",
      "arn:aws:s3:::aipic-test-pics-123456789012",
      "arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics/stream/2025-01-01T00:00:00.000",
      "arn:aws:kms:eu-west-1:123456789012:key/0d6c1a52-8f1e-4f0b-9a8e-2f6a3c1d9b70",
    ]
    error_message = "The data module must expose the mocked table, bucket, stream and key (the other assertions compare against them)."
  }
}

run "sweeper_queries_the_data_modules_pending_index_on_the_configured_schedule" {
  command = apply

  variables {
    picture_deadline_minutes = 20
    sweep_interval_minutes   = 2
  }

  assert {
    condition = module.pipeline.sweeper_settings == {
      schedule_expression      = "rate(2 minutes)"
      picture_deadline_minutes = 20
      pending_index_name       = module.data.pending_index_name
    }
    error_message = "The stack must pass the data module's pending index and its deadline and sweep interval to the sweeper."
  }
}

run "identity_pool_role_reads_only_the_data_bucket" {
  command = apply

  assert {
    condition = [for s in jsondecode(module.auth.authenticated_role_policy).Statement : [s.Sid, s.Resource]] == [
      ["ReadOwnPictures", ["arn:aws:s3:::aipic-test-pics-123456789012/pics/$${aws:PrincipalTag/sub}/*"]],
      ["DecryptPicturesThroughS3", [module.data.kms_key_arn]],
    ]
    error_message = "Signed-in users may read only their own prefix of the data bucket, decrypting with the data key."
  }
}

run "client_outputs_come_from_their_modules" {
  command = apply

  assert {
    condition = {
      realtime_url                   = output.realtime_url
      user_pool_id                   = output.user_pool_id
      user_pool_client_id            = output.user_pool_client_id
      identity_pool_id               = output.identity_pool_id
      bucket_name                    = output.bucket_name
      webhook_url                    = output.webhook_url
      replicate_token_parameter_name = output.replicate_token_parameter_name
      webhook_secret_parameter_name  = output.webhook_secret_parameter_name
      kms_key_arn                    = output.kms_key_arn
      } == {
      realtime_url                   = "wss://abcdefghijklmnopqrstuvwxyz.appsync-realtime-api.eu-west-1.amazonaws.com/graphql"
      user_pool_id                   = "eu-west-1_AbCdEfGhI"
      user_pool_client_id            = "4s1ex2ampleclient7id0fd9k3"
      identity_pool_id               = "eu-west-1:3f1c2b9e-7d6a-4c5b-8e9f-0a1b2c3d4e5f"
      bucket_name                    = "aipic-test-pics-123456789012"
      webhook_url                    = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/webhooks/replicate"
      replicate_token_parameter_name = "/aipic-test/replicate/api-token"
      webhook_secret_parameter_name  = "/aipic-test/replicate/webhook-secret"
      kms_key_arn                    = "arn:aws:kms:eu-west-1:123456789012:key/0d6c1a52-8f1e-4f0b-9a8e-2f6a3c1d9b70"
    }
    error_message = "Each client output must come from the module that owns it."
  }

  assert {
    condition = output.client_outputs == {
      version = "1"
      auth = {
        aws_region          = "eu-west-1"
        user_pool_id        = "eu-west-1_AbCdEfGhI"
        user_pool_client_id = "4s1ex2ampleclient7id0fd9k3"
        identity_pool_id    = "eu-west-1:3f1c2b9e-7d6a-4c5b-8e9f-0a1b2c3d4e5f"
      }
      data = {
        aws_region                 = "eu-west-1"
        url                        = "https://abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-1.amazonaws.com/graphql"
        default_authorization_type = "AMAZON_COGNITO_USER_POOLS"
        authorization_types        = ["AWS_IAM"]
      }
      storage = {
        aws_region  = "eu-west-1"
        bucket_name = "aipic-test-pics-123456789012"
      }
    }
    error_message = "client_outputs must be Amplify Gen 2's outputs shape, built from the modules' outputs and the provider's region."
  }
}

run "disposable_settings_reach_the_resources" {
  command = apply

  assert {
    condition = module.data.protection == {
      table_deletion_protection = false
      bucket_force_destroy      = true
      kms_deletion_window_days  = 7
    }
    error_message = "deletion_protection = false must make the table deletable and the bucket force-destroyable; the key window must be 7 days."
  }

  assert {
    condition     = module.auth.user_pool_deletion_protection == "INACTIVE"
    error_message = "deletion_protection = false must reach the user pool."
  }
}

run "protected_settings_reach_the_resources" {
  command = apply

  variables {
    deletion_protection                = true
    kms_deletion_window_days           = 30
    noncurrent_version_expiration_days = 90
    admin_password_auth_enabled        = false
  }

  assert {
    condition = module.data.protection == {
      table_deletion_protection = true
      bucket_force_destroy      = false
      kms_deletion_window_days  = 30
    }
    error_message = "deletion_protection = true must protect the table and keep the bucket's objects; the key window must be 30 days."
  }

  assert {
    condition     = module.auth.user_pool_deletion_protection == "ACTIVE"
    error_message = "deletion_protection = true must reach the user pool."
  }
}

# Settings the stack refuses before any module sees them.

run "says_to_build_when_the_manifest_is_missing" {
  # What an environment root passes before `make build` (fileexists() is false).
  command = plan
  variables {
    artifacts_manifest = null
  }
  expect_failures = [var.artifacts_manifest]
}

run "rejects_a_manifest_of_an_older_build_with_a_layer" {
  command = plan
  variables {
    artifacts_manifest = {
      architecture = "arm64"
      artifacts = {
        functions          = { path = "functions.zip", sha256_base64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" }
        dependencies_layer = { path = "dependencies-layer.zip", sha256_base64 = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=" }
      }
    }
  }
  expect_failures = [var.artifacts_manifest]
}

run "rejects_a_trailing_slash_artifacts_dir" {
  command = plan
  variables {
    artifacts_dir = "../../dist/"
  }
  expect_failures = [var.artifacts_dir]
}

run "dev_cognito_and_spend_settings_reach_the_modules" {
  command = apply

  assert {
    condition = module.auth.user_pool_security == {
      mfa_configuration        = "OPTIONAL"
      threat_protection_mode   = "OFF"
      email_sending_account    = "COGNITO_DEFAULT"
      self_sign_up             = true
      pre_sign_up_function_arn = null
    }
    error_message = "dev: optional MFA, no threat protection, Cognito's email, open sign-up, got ${jsonencode(module.auth.user_pool_security)}."
  }

  assert {
    condition     = module.api.daily_picture_limits == { quota = 25, ceiling = 100 }
    error_message = "daily_picture_quota and daily_picture_ceiling must reach modules/api."
  }
}

run "production_cognito_settings_reach_the_pool" {
  command = apply

  variables {
    mfa_configuration      = "ON"
    threat_protection_mode = "ENFORCED"
    ses_email = {
      source_arn         = "arn:aws:ses:eu-west-1:123456789012:identity/example.com"
      from_email_address = "Pictures <no-reply@example.com>"
    }
    sign_up_policy        = "email_domain_allowlist"
    sign_up_email_domains = ["example.com"]
    alarm_actions         = ["arn:aws:sns:eu-west-1:123456789012:aipic-test-alarms"]
    require_alarm_actions = true
  }

  assert {
    condition = (
      module.auth.user_pool_security.mfa_configuration == "ON" &&
      module.auth.user_pool_security.threat_protection_mode == "ENFORCED" &&
      module.auth.user_pool_security.email_sending_account == "DEVELOPER" &&
      module.auth.user_pool_security.self_sign_up &&
      module.auth.user_pool_security.pre_sign_up_function_arn != null
    )
    error_message = "MFA, threat protection, SES email and the sign-up policy must reach the user pool, got ${jsonencode(module.auth.user_pool_security)}."
  }
}

run "admin_only_sign_up_reaches_the_pool" {
  command = plan

  variables {
    sign_up_policy = "admin_only"
  }

  assert {
    condition     = module.auth.user_pool_security.self_sign_up == false
    error_message = "sign_up_policy admin_only must turn self-service sign-up off."
  }
}

run "required_alarm_actions_refuse_an_empty_list" {
  command = plan

  variables {
    require_alarm_actions = true
    alarm_actions         = []
  }

  expect_failures = [var.require_alarm_actions]
}
