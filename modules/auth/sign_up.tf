# sign_up_policy "email_domain_allowlist": Cognito's pre sign-up trigger
# (aipic.handlers.pre_sign_up) refuses self-service sign-ups whose email
# domain is not in sign_up_email_domains. It lives here, not in
# modules/pipeline, because the user pool needs its ARN and modules/pipeline
# already depends on this module through modules/api.

locals {
  allowlist_trigger         = var.sign_up_policy == "email_domain_allowlist"
  pre_sign_up_name          = "${var.name_prefix}-pre-sign-up"
  pre_sign_up_log_group     = "/aws/lambda/${local.pre_sign_up_name}"
  pre_sign_up_log_group_arn = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:${local.pre_sign_up_log_group}"
}

resource "aws_iam_role" "pre_sign_up" {
  count = local.allowlist_trigger ? 1 : 0

  name        = "${local.pre_sign_up_name}-function"
  description = "Execution role of ${local.pre_sign_up_name}."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "LambdaAssumeRole"
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "pre_sign_up" {
  count = local.allowlist_trigger ? 1 : 0

  name = "pre-sign-up-least-privilege"
  role = aws_iam_role.pre_sign_up[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${local.pre_sign_up_log_group_arn}:log-stream:*"]
      },
      {
        # X-Ray supports no resource-level permissions.
        Sid      = "SendTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = ["*"]
      },
    ]
  })
}

resource "aws_cloudwatch_log_group" "pre_sign_up" {
  count = local.allowlist_trigger ? 1 : 0

  name              = local.pre_sign_up_log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "pre_sign_up" {
  # checkov:skip=CKV_AWS_116:Cognito invokes the trigger synchronously and refuses the sign-up when it fails; a dead-letter queue applies only to asynchronous invocations.
  # checkov:skip=CKV_AWS_117:The function reads only its environment and calls no network service; a VPC would add cold-start latency inside Cognito's 5-second budget.
  # checkov:skip=CKV_AWS_272:Code signing needs the artifacts uploaded to S3 and signed by an AWS Signer profile; build.py's deterministic zip is pinned by source_code_hash, as for modules/pipeline's functions.
  count = local.allowlist_trigger ? 1 : 0

  function_name    = local.pre_sign_up_name
  description      = "Cognito pre sign-up trigger: refuses emails outside the allowed domains."
  role             = aws_iam_role.pre_sign_up[0].arn
  runtime          = "python3.12"
  architectures    = [var.architecture]
  handler          = "aipic.handlers.pre_sign_up.handler"
  filename         = var.functions_artifact.path
  source_code_hash = var.functions_artifact.sha256_base64
  # Cognito waits at most 5 s for a trigger.
  memory_size = 128
  timeout     = 5
  # Also a brake on scripted sign-ups: more at once are throttled and refused.
  reserved_concurrent_executions = 10
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags

  environment {
    variables = {
      (module.contract.environment.variables.allowed_email_domains) = join(",", var.sign_up_email_domains)
    }
  }

  tracing_config {
    mode = "Active"
  }

  depends_on = [aws_cloudwatch_log_group.pre_sign_up, aws_iam_role_policy.pre_sign_up]
}

resource "aws_lambda_permission" "cognito_invokes_pre_sign_up" {
  count = local.allowlist_trigger ? 1 : 0

  statement_id   = "AllowUserPoolPreSignUp"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.pre_sign_up[0].function_name
  principal      = "cognito-idp.amazonaws.com"
  source_arn     = aws_cognito_user_pool.this.arn
  source_account = data.aws_caller_identity.current.account_id
}
