# Sign-up policy, threat protection and email sending of the user pool, against
# the mocked AWS provider.

mock_provider "aws" {
  source = "./tests/mocks"
}

override_resource {
  target = aws_lambda_function.pre_sign_up[0]
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-pre-sign-up"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-pre-sign-up/invocations"
  }
}

variables {
  name_prefix = "aipic-test"
  bucket_arn  = "arn:aws:s3:::aipic-test-pics-123456789012"
  kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/0d6c1a52-8f1e-4f0b-9a8e-2f6a3c1d9b70"
  functions_artifact = {
    path          = "build/functions.zip"
    sha256_base64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  }
}

run "defaults_open_sign_up_cognito_email_no_threat_protection" {
  command = apply

  assert {
    condition     = aws_cognito_user_pool.this.admin_create_user_config[0].allow_admin_create_user_only == false
    error_message = "sign_up_policy \"open\" (the default) lets users sign themselves up."
  }

  assert {
    condition     = length(aws_cognito_user_pool.this.lambda_config) == 0 && length(aws_lambda_function.pre_sign_up) == 0
    error_message = "Without the allow-list no pre sign-up trigger may exist."
  }

  assert {
    condition     = aws_cognito_user_pool.this.user_pool_add_ons[0].advanced_security_mode == "OFF"
    error_message = "Threat protection is off by default."
  }

  assert {
    condition = (
      aws_cognito_user_pool.this.email_configuration[0].email_sending_account == "COGNITO_DEFAULT" &&
      aws_cognito_user_pool.this.email_configuration[0].source_arn == null &&
      aws_cognito_user_pool.this.email_configuration[0].from_email_address == null
    )
    error_message = "Without ses_email the pool sends with Cognito's default email."
  }
}

run "admin_only_turns_self_sign_up_off" {
  command = plan

  variables {
    sign_up_policy = "admin_only"
  }

  assert {
    condition     = aws_cognito_user_pool.this.admin_create_user_config[0].allow_admin_create_user_only == true
    error_message = "sign_up_policy \"admin_only\" must allow only administrators to create users."
  }

  assert {
    condition     = length(aws_lambda_function.pre_sign_up) == 0
    error_message = "admin_only needs no trigger."
  }
}

run "email_domain_allowlist_installs_the_pre_sign_up_trigger" {
  command = apply

  variables {
    sign_up_policy        = "email_domain_allowlist"
    sign_up_email_domains = ["example.com", "partner.example.org"]
    architecture          = "x86_64"
    log_retention_days    = 90
  }

  assert {
    condition     = aws_cognito_user_pool.this.admin_create_user_config[0].allow_admin_create_user_only == false
    error_message = "The allow-list keeps self-service sign-up, filtered by the trigger."
  }

  assert {
    condition     = aws_cognito_user_pool.this.lambda_config[0].pre_sign_up == "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-pre-sign-up"
    error_message = "The pool's pre sign-up trigger must be the pre_sign_up function."
  }

  assert {
    condition = (
      aws_lambda_function.pre_sign_up[0].function_name == "aipic-test-pre-sign-up" &&
      aws_lambda_function.pre_sign_up[0].handler == "aipic.handlers.pre_sign_up.handler" &&
      aws_lambda_function.pre_sign_up[0].runtime == "python3.12" &&
      aws_lambda_function.pre_sign_up[0].architectures == tolist(["x86_64"]) &&
      aws_lambda_function.pre_sign_up[0].filename == "build/functions.zip" &&
      aws_lambda_function.pre_sign_up[0].source_code_hash == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" &&
      length(coalesce(aws_lambda_function.pre_sign_up[0].layers, [])) == 0 &&
      aws_lambda_function.pre_sign_up[0].timeout <= 5 &&
      aws_lambda_function.pre_sign_up[0].kms_key_arn == var.kms_key_arn &&
      aws_lambda_function.pre_sign_up[0].role == aws_iam_role.pre_sign_up[0].arn &&
      aws_lambda_function.pre_sign_up[0].environment[0].variables == tomap({ (module.contract.environment.variables.allowed_email_domains) = "example.com,partner.example.org" })
    )
    error_message = "The trigger must run aipic.handlers.pre_sign_up from the functions artifact (no layer) within Cognito's 5 s, with the allowed domains in ALLOWED_EMAIL_DOMAINS and its own role."
  }

  assert {
    condition = (
      aws_cloudwatch_log_group.pre_sign_up[0].name == "/aws/lambda/aipic-test-pre-sign-up" &&
      aws_cloudwatch_log_group.pre_sign_up[0].retention_in_days == 90 &&
      aws_cloudwatch_log_group.pre_sign_up[0].kms_key_id == var.kms_key_arn
    )
    error_message = "The trigger's log group must exist with retention and the customer-managed key."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.pre_sign_up[0].policy).Statement == [
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/aipic-test-pre-sign-up:log-stream:*"]
      },
      {
        Sid      = "SendTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = ["*"]
      },
    ]
    error_message = "The trigger may only write its own logs and traces."
  }

  assert {
    condition = (
      jsondecode(aws_iam_role.pre_sign_up[0].assume_role_policy).Statement[0].Principal == { Service = "lambda.amazonaws.com" } &&
      aws_lambda_permission.cognito_invokes_pre_sign_up[0].principal == "cognito-idp.amazonaws.com" &&
      aws_lambda_permission.cognito_invokes_pre_sign_up[0].action == "lambda:InvokeFunction" &&
      aws_lambda_permission.cognito_invokes_pre_sign_up[0].source_arn == aws_cognito_user_pool.this.arn &&
      aws_lambda_permission.cognito_invokes_pre_sign_up[0].source_account == "123456789012"
    )
    error_message = "Only this user pool (in this account) may invoke the trigger."
  }
}

run "threat_protection_enforced_uses_the_plus_plan" {
  command = plan

  variables {
    threat_protection_mode = "ENFORCED"
  }

  assert {
    condition = (
      aws_cognito_user_pool.this.user_pool_add_ons[0].advanced_security_mode == "ENFORCED" &&
      aws_cognito_user_pool.this.user_pool_tier == "PLUS"
    )
    error_message = "ENFORCED threat protection must reach the pool, on the Plus plan it needs."
  }
}

run "ses_email_sends_through_the_developers_identity" {
  command = plan

  variables {
    ses_email = {
      source_arn         = "arn:aws:ses:eu-west-1:123456789012:identity/example.com"
      from_email_address = "Pictures <no-reply@example.com>"
    }
  }

  assert {
    condition = (
      aws_cognito_user_pool.this.email_configuration[0].email_sending_account == "DEVELOPER" &&
      aws_cognito_user_pool.this.email_configuration[0].source_arn == "arn:aws:ses:eu-west-1:123456789012:identity/example.com" &&
      aws_cognito_user_pool.this.email_configuration[0].from_email_address == "Pictures <no-reply@example.com>"
    )
    error_message = "ses_email must make Cognito send through the SES identity (DEVELOPER) from the given address."
  }
}

run "rejects_an_unknown_sign_up_policy" {
  command = plan
  variables {
    sign_up_policy = "invite"
  }
  expect_failures = [var.sign_up_policy]
}

run "rejects_an_allowlist_without_domains" {
  command = plan
  variables {
    sign_up_policy = "email_domain_allowlist"
  }
  expect_failures = [var.sign_up_email_domains]
}

run "rejects_domains_without_the_allowlist_policy" {
  command = plan
  variables {
    sign_up_email_domains = ["example.com"]
  }
  expect_failures = [var.sign_up_email_domains]
}

run "rejects_an_email_address_as_domain" {
  command = plan
  variables {
    sign_up_policy        = "email_domain_allowlist"
    sign_up_email_domains = ["ana@example.com"]
  }
  expect_failures = [var.sign_up_email_domains]
}

run "rejects_an_allowlist_without_the_functions_artifact" {
  command = plan
  variables {
    sign_up_policy        = "email_domain_allowlist"
    sign_up_email_domains = ["example.com"]
    functions_artifact    = null
  }
  expect_failures = [var.functions_artifact]
}

run "rejects_an_unknown_threat_protection_mode" {
  command = plan
  variables {
    threat_protection_mode = "FULL"
  }
  expect_failures = [var.threat_protection_mode]
}

run "rejects_an_ses_source_that_is_not_an_identity_arn" {
  command = plan
  variables {
    ses_email = {
      source_arn         = "example.com"
      from_email_address = "no-reply@example.com"
    }
  }
  expect_failures = [var.ses_email]
}

run "rejects_an_ses_sender_that_is_not_an_address" {
  command = plan
  variables {
    ses_email = {
      source_arn         = "arn:aws:ses:eu-west-1:123456789012:identity/example.com"
      from_email_address = "Pictures"
    }
  }
  expect_failures = [var.ses_email]
}
