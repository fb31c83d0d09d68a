# Security and wiring properties of modules/pipeline, against the mocked AWS provider.
#
# The mock provider fills values that are unknown at plan time with random
# strings, and per-instance overrides below only take effect once the instance
# exists in state. The first run therefore deploys; later runs (same state) see
# every cross-resource reference with the realistic values set here.

mock_provider "aws" {
  source = "./tests/mocks"
}

override_resource {
  target = aws_lambda_function.function["generate"]
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-generate"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-generate/invocations"
  }
}

override_resource {
  target = aws_lambda_function.function["webhook"]
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-webhook"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-webhook/invocations"
  }
}

override_resource {
  target = aws_lambda_function.function["on_upload"]
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-on-upload"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-on-upload/invocations"
  }
}

override_resource {
  target = aws_lambda_function.function["cleanup"]
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-cleanup"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-cleanup/invocations"
  }
}

override_resource {
  target = aws_lambda_function.function["publish"]
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-publish"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-publish/invocations"
  }
}

override_resource {
  target = aws_lambda_function.function["sweeper"]
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-sweeper"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-sweeper/invocations"
  }
}

override_resource {
  target = aws_cloudwatch_event_rule.sweeper
  values = {
    arn = "arn:aws:events:eu-west-1:123456789012:rule/aipic-test-sweeper-schedule"
  }
}

override_resource {
  target = aws_sqs_queue.failures["sweeper"]
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:aipic-test-sweeper-failures"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/aipic-test-sweeper-failures"
  }
}

override_resource {
  target = aws_sqs_queue.failures["generate"]
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:aipic-test-generate-failures"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/aipic-test-generate-failures"
  }
}

override_resource {
  target = aws_sqs_queue.failures["on_upload"]
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:aipic-test-on-upload-failures"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/aipic-test-on-upload-failures"
  }
}

override_resource {
  target = aws_sqs_queue.failures["cleanup"]
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:aipic-test-cleanup-failures"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/aipic-test-cleanup-failures"
  }
}

override_resource {
  target = aws_sqs_queue.failures["publish"]
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:aipic-test-publish-failures"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/aipic-test-publish-failures"
  }
}

override_resource {
  target = aws_cloudwatch_log_group.webhook_access
  values = {
    arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/aipic-test-webhook"
  }
}

# Module inputs: tests/terraform.tfvars.

run "deploy" {
  command = apply

  assert {
    condition     = keys(aws_lambda_function.function) == ["cleanup", "generate", "on_upload", "publish", "sweeper", "webhook"]
    error_message = "The module must deploy exactly the six functions."
  }
}

run "functions_run_the_built_artifacts" {
  command = apply

  assert {
    condition = alltrue([
      for key, function in aws_lambda_function.function :
      function.runtime == "python3.12" &&
      function.architectures == tolist(["arm64"]) &&
      function.handler == "aipic.handlers.${key}.handler" &&
      function.filename == "build/functions.zip" &&
      function.source_code_hash == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" &&
      try(length(function.layers), 0) == 0 &&
      function.kms_key_arn == var.kms_key_arn &&
      function.tracing_config[0].mode == "Active" &&
      function.role == aws_iam_role.function[key].arn &&
      function.tags == tomap({ Project = "aipic" })
    ])
    error_message = "Every function must run aipic.handlers.<key>.handler from the functions artifact on python3.12/arm64 without a layer, KMS-encrypted environment, tracing and its own role."
  }

  assert {
    condition = { for key, function in aws_lambda_function.function : key => function.function_name } == {
      generate  = "aipic-test-generate"
      webhook   = "aipic-test-webhook"
      on_upload = "aipic-test-on-upload"
      publish   = "aipic-test-publish"
      sweeper   = "aipic-test-sweeper"
      cleanup   = "aipic-test-cleanup"
    }
    error_message = "Function names must be prefixed with name_prefix."
  }

  assert {
    condition = { for key, function in aws_lambda_function.function : key => function.reserved_concurrent_executions } == {
      generate = 10, webhook = 10, on_upload = 5, publish = 5, sweeper = 1, cleanup = 2
    }
    error_message = "Reserved concurrency must come from reserved_concurrency."
  }

  assert {
    condition     = aws_lambda_function.function["webhook"].timeout < 30 && aws_lambda_function.function["webhook"].timeout * 1000 < aws_apigatewayv2_integration.webhook.timeout_milliseconds
    error_message = "The webhook must answer before the HTTP API's integration timeout."
  }

  assert {
    condition     = aws_lambda_function.function["generate"].timeout > 4 * 10
    error_message = "generate's timeout must cover REPLICATE_MAX_ATTEMPTS x REPLICATE_TIMEOUT_SECONDS."
  }

  assert {
    condition = alltrue([
      for key, group in aws_cloudwatch_log_group.function :
      group.name == "/aws/lambda/${aws_lambda_function.function[key].function_name}" &&
      group.retention_in_days == 365 && group.kms_key_id == var.kms_key_arn
    ])
    error_message = "Each function must have its /aws/lambda/<name> log group with retention and the customer-managed key."
  }
}

run "environment_variables_follow_the_contract" {
  command = apply

  # Every function gets its required variables and only what the contract lists
  # for it (modules/contract/contract.json environment.functions): the same
  # names aipic/settings.py reads.
  assert {
    condition = alltrue([
      for key, function in aws_lambda_function.function : (
        length(setsubtract(
          [for name in module.contract.environment.functions[key].required : module.contract.environment.variables[name]],
          keys(function.environment[0].variables),
        )) == 0 &&
        length(setsubtract(
          keys(function.environment[0].variables),
          [
            for name in concat(
              module.contract.environment.common,
              module.contract.environment.functions[key].required,
              module.contract.environment.functions[key].optional,
            ) : module.contract.environment.variables[name]
          ],
        )) == 0
      )
    ])
    error_message = "Each function's environment must hold the contract's required variables and no name the contract does not list for it."
  }

  assert {
    condition = aws_lambda_function.function["generate"].environment[0].variables == tomap({ for key, value in {
      service_name                  = "aipic"
      log_level                     = "INFO"
      pics_table_name               = "aipic-test-pics"
      replicate_api_token_parameter = "/aipic-test/replicate/api-token"
      replicate_model               = "ac732df83cea7fff18b8472768c88ad041fa750ff7682a21affe81863cbe77e4"
      replicate_api_url             = "https://api.replicate.com/v1"
      replicate_max_attempts        = "4"
      replicate_timeout_seconds     = "10"
      webhook_url                   = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/webhooks/replicate"
    } : module.contract.environment.variables[key] => value })
    error_message = "generate's environment must be exactly the documented variables."
  }

  assert {
    condition = aws_lambda_function.function["webhook"].environment[0].variables == tomap({ for key, value in {
      service_name                    = "aipic"
      log_level                       = "INFO"
      pics_table_name                 = "aipic-test-pics"
      pics_bucket_name                = "aipic-test-pics-123456789012"
      webhook_secret_parameter        = "/aipic-test/replicate/webhook-secret"
      image_host_allowlist            = "replicate.delivery"
      max_image_bytes                 = "20971520"
      image_download_deadline_seconds = "20"
      image_fetch_allow_loopback      = "false"
    } : module.contract.environment.variables[key] => value })
    error_message = "webhook's environment must be exactly the documented variables (https only: no ALLOWED_IMAGE_URL_SCHEMES; loopback refused)."
  }

  assert {
    condition = aws_lambda_function.function["on_upload"].environment[0].variables == tomap({ for key, value in {
      service_name    = "aipic"
      log_level       = "INFO"
      pics_table_name = "aipic-test-pics"
    } : module.contract.environment.variables[key] => value })
    error_message = "on_upload's environment must be exactly the documented variables."
  }

  assert {
    condition = aws_lambda_function.function["cleanup"].environment[0].variables == tomap({ for key, value in {
      service_name                  = "aipic"
      log_level                     = "INFO"
      pics_bucket_name              = "aipic-test-pics-123456789012"
      replicate_api_token_parameter = "/aipic-test/replicate/api-token"
      replicate_api_url             = "https://api.replicate.com/v1"
    } : module.contract.environment.variables[key] => value })
    error_message = "cleanup's environment must be exactly the documented variables."
  }

  assert {
    condition = aws_lambda_function.function["publish"].environment[0].variables == tomap({ for key, value in {
      service_name        = "aipic"
      log_level           = "INFO"
      appsync_graphql_url = "https://abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-1.amazonaws.com/graphql"
    } : module.contract.environment.variables[key] => value })
    error_message = "publish's environment must be exactly the documented variables."
  }

  assert {
    condition = aws_lambda_function.function["sweeper"].environment[0].variables == tomap({ for key, value in {
      service_name                  = "aipic"
      log_level                     = "INFO"
      pics_table_name               = "aipic-test-pics"
      pending_index_name            = "byPending"
      picture_deadline_minutes      = "30"
      replicate_api_token_parameter = "/aipic-test/replicate/api-token"
      replicate_api_url             = "https://api.replicate.com/v1"
    } : module.contract.environment.variables[key] => value })
    error_message = "sweeper's environment must be exactly the documented variables."
  }
}

run "iam_policies_are_least_privilege" {
  command = apply

  assert {
    condition = jsondecode(aws_iam_role_policy.function["generate"].policy).Statement == [
      {
        Sid      = "ReadReplicateToken"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter"]
        Resource = ["arn:aws:ssm:eu-west-1:123456789012:parameter/aipic-test/replicate/api-token"]
      },
      {
        Sid      = "RecordPrediction"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
        Resource = ["arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics"]
      },
      {
        Sid      = "SendFailedEvents"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = ["arn:aws:sqs:eu-west-1:123456789012:aipic-test-generate-failures"]
      },
      {
        Sid       = "UseEnvironmentKey"
        Effect    = "Allow"
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = ["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
        Condition = { StringEquals = { "kms:ViaService" = ["ssm.eu-west-1.amazonaws.com", "dynamodb.eu-west-1.amazonaws.com", "sqs.eu-west-1.amazonaws.com"] } }
      },
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/aipic-test-generate:log-stream:*"]
      },
      {
        Sid      = "SendTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = ["*"]
      },
    ]
    error_message = "generate may only read its token parameter, read/update the table, send to its failure queue, use the key via SSM/DynamoDB/SQS, log and trace."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.function["webhook"].policy).Statement == [
      {
        Sid      = "ReadWebhookSecret"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter"]
        Resource = ["arn:aws:ssm:eu-west-1:123456789012:parameter/aipic-test/replicate/webhook-secret"]
      },
      {
        Sid      = "StorePictures"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:AbortMultipartUpload"]
        Resource = ["arn:aws:s3:::aipic-test-pics-123456789012/pics/*"]
      },
      {
        Sid      = "RecordOutcome"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
        Resource = ["arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics"]
      },
      {
        Sid       = "UseEnvironmentKey"
        Effect    = "Allow"
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = ["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
        Condition = { StringEquals = { "kms:ViaService" = ["ssm.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com", "dynamodb.eu-west-1.amazonaws.com"] } }
      },
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/aipic-test-webhook:log-stream:*"]
      },
      {
        Sid      = "SendTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = ["*"]
      },
    ]
    error_message = "webhook may only read its secret parameter, put objects under pics/, read/update the table, use the key via SSM/S3/DynamoDB, log and trace."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.function["on_upload"].policy).Statement == [
      {
        Sid      = "MarkCompleted"
        Effect   = "Allow"
        Action   = ["dynamodb:UpdateItem"]
        Resource = ["arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics"]
      },
      {
        Sid      = "SendFailedEvents"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = ["arn:aws:sqs:eu-west-1:123456789012:aipic-test-on-upload-failures"]
      },
      {
        Sid       = "UseEnvironmentKey"
        Effect    = "Allow"
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = ["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
        Condition = { StringEquals = { "kms:ViaService" = ["dynamodb.eu-west-1.amazonaws.com", "sqs.eu-west-1.amazonaws.com"] } }
      },
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/aipic-test-on-upload:log-stream:*"]
      },
      {
        Sid      = "SendTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = ["*"]
      },
    ]
    error_message = "on_upload may only update the table, send to its failure queue, use the key via DynamoDB/SQS, log and trace."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.function["publish"].policy).Statement == [
      {
        Sid      = "ReadPicsStream"
        Effect   = "Allow"
        Action   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
        Resource = ["arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics/stream/2025-11-26T04:12:00.000"]
      },
      {
        Sid    = "CallPublishMutationsOnly"
        Effect = "Allow"
        Action = ["appsync:GraphQL"]
        Resource = [
          "arn:aws:appsync:eu-west-1:123456789012:apis/abcdefghijklmnopqrstuvwxyz/types/Mutation/fields/publish",
          "arn:aws:appsync:eu-west-1:123456789012:apis/abcdefghijklmnopqrstuvwxyz/types/Mutation/fields/publishAIPic",
        ]
      },
      {
        Sid      = "SendFailedEvents"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = ["arn:aws:sqs:eu-west-1:123456789012:aipic-test-publish-failures"]
      },
      {
        Sid       = "UseEnvironmentKey"
        Effect    = "Allow"
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = ["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
        Condition = { StringEquals = { "kms:ViaService" = ["dynamodb.eu-west-1.amazonaws.com", "sqs.eu-west-1.amazonaws.com"] } }
      },
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/aipic-test-publish:log-stream:*"]
      },
      {
        Sid      = "SendTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = ["*"]
      },
    ]
    error_message = "publish may only read the stream, call the publish mutation field, send to its failure queue, use the key via DynamoDB/SQS, log and trace."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.function["sweeper"].policy).Statement == [
      {
        Sid      = "FindPendingPictures"
        Effect   = "Allow"
        Action   = ["dynamodb:Query"]
        Resource = ["arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics/index/byPending"]
      },
      {
        Sid      = "FailOverduePictures"
        Effect   = "Allow"
        Action   = ["dynamodb:UpdateItem"]
        Resource = ["arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics"]
      },
      {
        Sid      = "ReadReplicateTokenToCancel"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter"]
        Resource = ["arn:aws:ssm:eu-west-1:123456789012:parameter/aipic-test/replicate/api-token"]
      },
      {
        Sid      = "SendFailedEvents"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = ["arn:aws:sqs:eu-west-1:123456789012:aipic-test-sweeper-failures"]
      },
      {
        Sid       = "UseEnvironmentKey"
        Effect    = "Allow"
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = ["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
        Condition = { StringEquals = { "kms:ViaService" = ["ssm.eu-west-1.amazonaws.com", "dynamodb.eu-west-1.amazonaws.com", "sqs.eu-west-1.amazonaws.com"] } }
      },
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/aipic-test-sweeper:log-stream:*"]
      },
      {
        Sid      = "SendTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = ["*"]
      },
    ]
    error_message = "sweeper may only query the pending index, update pictures, read the Replicate token (to cancel), send to its failure queue, use the key via SSM/DynamoDB/SQS, log and trace: no GetItem, Scan or PutItem."
  }

  assert {
    condition = alltrue(flatten([
      for policy in aws_iam_role_policy.function : [
        for statement in jsondecode(policy.policy).Statement : [
          for action in statement.Action : statement.Effect == "Allow" && !strcontains(action, "*")
        ]
      ]
    ]))
    error_message = "No policy may allow a wildcard action."
  }

  assert {
    condition = [
      for key, policy in aws_iam_role_policy.function : key
      if anytrue([for statement in jsondecode(policy.policy).Statement : anytrue([for action in statement.Action : startswith(action, "appsync:")])])
    ] == ["publish"]
    error_message = "Only the publish role may call AppSync."
  }

  assert {
    condition = alltrue(flatten([
      for policy in aws_iam_role_policy.function : [
        for statement in jsondecode(policy.policy).Statement :
        statement.Sid == "SendTraces" || !contains(statement.Resource, "*")
      ]
    ]))
    error_message = "Only the X-Ray statement (which supports no resource-level permissions) may use Resource \"*\"."
  }

  # Actions that support no resource-level permissions match only Resource "*":
  # granted on an ARN they do nothing and only mislead a reader.
  assert {
    condition = alltrue(flatten([
      for policy in aws_iam_role_policy.function : [
        for statement in jsondecode(policy.policy).Statement : [
          for action in statement.Action :
          statement.Resource == ["*"] if contains(["dynamodb:ListStreams", "dynamodb:ListTables", "xray:PutTraceSegments", "xray:PutTelemetryRecords", "sqs:ListQueues", "ssm:DescribeParameters"], action)
        ]
      ]
    ]))
    error_message = "An action without resource-level permissions (e.g. dynamodb:ListStreams) must not be granted on a resource ARN, where it has no effect."
  }

  assert {
    condition = alltrue([
      for key, role in aws_iam_role.function :
      role.name == "aipic-test-${replace(key, "_", "-")}-function" &&
      jsondecode(role.assume_role_policy).Statement == [{
        Sid       = "LambdaAssumeRole"
        Effect    = "Allow"
        Principal = { Service = "lambda.amazonaws.com" }
        Action    = "sts:AssumeRole"
      }] &&
      length(role.managed_policy_arns) == 0
    ])
    error_message = "Each function has its own role, assumable by Lambda only, with no managed policies."
  }

  assert {
    condition     = output.function_role_policies == { for key, policy in aws_iam_role_policy.function : key => policy.policy } && length(output.function_role_policies) == 6
    error_message = "function_role_policies must map each of the six functions to its role's policy."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.function["cleanup"].policy).Statement == [
      {
        Sid      = "ReadPicsStream"
        Effect   = "Allow"
        Action   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
        Resource = ["arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics/stream/2025-11-26T04:12:00.000"]
      },
      {
        Sid      = "ReadReplicateTokenToCancel"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter"]
        Resource = ["arn:aws:ssm:eu-west-1:123456789012:parameter/aipic-test/replicate/api-token"]
      },
      {
        Sid       = "ListPictureVersions"
        Effect    = "Allow"
        Action    = ["s3:ListBucketVersions"]
        Resource  = ["arn:aws:s3:::aipic-test-pics-123456789012"]
        Condition = { StringLike = { "s3:prefix" = ["pics/*"] } }
      },
      {
        Sid      = "DeletePictureVersions"
        Effect   = "Allow"
        Action   = ["s3:DeleteObjectVersion"]
        Resource = ["arn:aws:s3:::aipic-test-pics-123456789012/pics/*"]
      },
      {
        Sid      = "SendFailedEvents"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = ["arn:aws:sqs:eu-west-1:123456789012:aipic-test-cleanup-failures"]
      },
      {
        Sid       = "UseEnvironmentKey"
        Effect    = "Allow"
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = ["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
        Condition = { StringEquals = { "kms:ViaService" = ["ssm.eu-west-1.amazonaws.com", "dynamodb.eu-west-1.amazonaws.com", "sqs.eu-west-1.amazonaws.com"] } }
      },
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/aipic-test-cleanup:log-stream:*"]
      },
      {
        Sid      = "SendTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = ["*"]
      },
    ]
    error_message = "cleanup may only read the stream and the token, list and delete picture versions under pics/, send to its failure queue, use the key, log and trace."
  }
}

# What the parameters hold is checked in modules/secure_parameters/tests and,
# against moto, in tests/terraform/test_secret_state.py.
run "secret_parameter_names_are_output" {
  command = apply

  assert {
    condition = (
      output.replicate_token_parameter_name == replace(module.contract.parameters.replicate_api_token, "{name_prefix}", "aipic-test") &&
      output.webhook_secret_parameter_name == replace(module.contract.parameters.webhook_secret, "{name_prefix}", "aipic-test")
    )
    error_message = "The parameter names must be output for the operator."
  }
}

run "asynchronous_failures_end_in_alarmed_queues" {
  command = apply

  variables {
    alarm_actions = ["arn:aws:sns:eu-west-1:123456789012:aipic-test-alerts"]
  }

  assert {
    condition = {
      for key, config in aws_lambda_function_event_invoke_config.async :
      key => [config.function_name, config.maximum_retry_attempts, config.maximum_event_age_in_seconds, config.destination_config[0].on_failure[0].destination]
      } == {
      generate  = ["aipic-test-generate", 2, 3600, "arn:aws:sqs:eu-west-1:123456789012:aipic-test-generate-failures"]
      on_upload = ["aipic-test-on-upload", 2, 3600, "arn:aws:sqs:eu-west-1:123456789012:aipic-test-on-upload-failures"]
      sweeper   = ["aipic-test-sweeper", 2, 3600, "arn:aws:sqs:eu-west-1:123456789012:aipic-test-sweeper-failures"]
    }
    error_message = "generate, on_upload and sweeper must retry asynchronous events twice, then send them to their own failure queue."
  }

  assert {
    condition = alltrue([
      for key, queue in aws_sqs_queue.failures :
      queue.name == "aipic-test-${replace(key, "_", "-")}-failures" &&
      queue.kms_master_key_id == var.kms_key_arn &&
      queue.message_retention_seconds == 1209600
    ]) && length(aws_sqs_queue.failures) == 5
    error_message = "The five failure queues must be KMS-encrypted and keep messages 14 days."
  }

  assert {
    condition = alltrue([
      for key, alarm in aws_cloudwatch_metric_alarm.failures :
      alarm.namespace == "AWS/SQS" &&
      alarm.metric_name == "ApproximateNumberOfMessagesVisible" &&
      alarm.dimensions == tomap({ QueueName = aws_sqs_queue.failures[key].name }) &&
      alarm.comparison_operator == "GreaterThanThreshold" && alarm.threshold == 0 &&
      alarm.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:aipic-test-alerts"])
    ]) && length(aws_cloudwatch_metric_alarm.failures) == 5
    error_message = "Each failure queue must raise an alarm as soon as it holds a message."
  }

  assert {
    condition = output.dead_letter_queue_urls == {
      generate  = "https://sqs.eu-west-1.amazonaws.com/123456789012/aipic-test-generate-failures"
      on_upload = "https://sqs.eu-west-1.amazonaws.com/123456789012/aipic-test-on-upload-failures"
      publish   = "https://sqs.eu-west-1.amazonaws.com/123456789012/aipic-test-publish-failures"
      sweeper   = "https://sqs.eu-west-1.amazonaws.com/123456789012/aipic-test-sweeper-failures"
      cleanup   = "https://sqs.eu-west-1.amazonaws.com/123456789012/aipic-test-cleanup-failures"
    }
    error_message = "The failure queue URLs must be output by function."
  }
}

run "prediction_rate_alarm_notifies_the_alarm_actions" {
  command = apply

  variables {
    alarm_actions                   = ["arn:aws:sns:eu-west-1:123456789012:aipic-test-alerts"]
    prediction_rate_alarm_threshold = 40
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.prediction_rate.alarm_name == "aipic-test-generate-prediction-rate-high" &&
      aws_cloudwatch_metric_alarm.prediction_rate.namespace == "AWS/Lambda" &&
      aws_cloudwatch_metric_alarm.prediction_rate.metric_name == "Invocations" &&
      aws_cloudwatch_metric_alarm.prediction_rate.dimensions == tomap({ FunctionName = "aipic-test-generate" }) &&
      aws_cloudwatch_metric_alarm.prediction_rate.statistic == "Sum" &&
      aws_cloudwatch_metric_alarm.prediction_rate.period == 300 &&
      aws_cloudwatch_metric_alarm.prediction_rate.evaluation_periods == 1 &&
      aws_cloudwatch_metric_alarm.prediction_rate.comparison_operator == "GreaterThanThreshold" &&
      aws_cloudwatch_metric_alarm.prediction_rate.threshold == 40 &&
      aws_cloudwatch_metric_alarm.prediction_rate.treat_missing_data == "notBreaching" &&
      aws_cloudwatch_metric_alarm.prediction_rate.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:aipic-test-alerts"]) &&
      aws_cloudwatch_metric_alarm.prediction_rate.ok_actions == toset(["arn:aws:sns:eu-west-1:123456789012:aipic-test-alerts"])
    )
    error_message = "The prediction-rate alarm must fire on more than prediction_rate_alarm_threshold generate invocations per 5 minutes and notify alarm_actions."
  }
}

run "stream_mapping_retries_records_boundedly" {
  command = apply

  assert {
    condition = (
      aws_lambda_event_source_mapping.publish.event_source_arn == var.table_stream_arn &&
      aws_lambda_event_source_mapping.publish.function_name == "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-publish" &&
      aws_lambda_event_source_mapping.publish.starting_position == "LATEST" &&
      aws_lambda_event_source_mapping.publish.batch_size == 10 &&
      aws_lambda_event_source_mapping.publish.maximum_batching_window_in_seconds == 0
    )
    error_message = "The pics stream must feed the publish function in small batches, without waiting to fill them."
  }

  assert {
    condition = (
      aws_lambda_event_source_mapping.publish.function_response_types == toset(["ReportBatchItemFailures"]) &&
      aws_lambda_event_source_mapping.publish.bisect_batch_on_function_error == true &&
      aws_lambda_event_source_mapping.publish.maximum_retry_attempts == 3 &&
      aws_lambda_event_source_mapping.publish.maximum_record_age_in_seconds == 3600 &&
      aws_lambda_event_source_mapping.publish.destination_config[0].on_failure[0].destination_arn == "arn:aws:sqs:eu-west-1:123456789012:aipic-test-publish-failures"
    )
    error_message = "Failed records must be reported individually, bisected, retried a bounded number of times and then sent to the publish failure queue."
  }

  assert {
    # The filters are a set: compared as sorted JSON texts.
    condition = sort([for filter in aws_lambda_event_source_mapping.publish.filter_criteria[0].filter : filter.pattern]) == sort([for pattern in [
      {
        eventName = ["MODIFY"]
        dynamodb = {
          NewImage = { completionStatus = { S = ["COMPLETED", "FAILED", "CANCELED"] } }
          OldImage = { completionStatus = { S = ["STARTED", "PROCESSING"] } }
        }
      },
      {
        eventName = ["MODIFY"]
        dynamodb = {
          NewImage = { completionStatus = { S = ["PROCESSING"] } }
          OldImage = { completionStatus = { S = ["STARTED"] } }
        }
      },
      {
        eventName = ["MODIFY"]
        dynamodb = {
          NewImage = {
            completionStatus = { S = ["PROCESSING"] }
            progress         = { N = [{ exists = true }] }
            imageStoreLease  = { S = [{ exists = false }] }
            storedImageKey   = { S = [{ exists = false }] }
          }
          OldImage = { completionStatus = { S = ["PROCESSING"] } }
        }
      },
      {
        eventName = ["REMOVE"]
        dynamodb  = { OldImage = { completionStatus = { S = [{ exists = true }] } } }
      },
    ] : jsonencode(pattern)])
    error_message = "Only a status change into PROCESSING or a final status, a progress step and a picture's removal may reach publish."
  }

  assert {
    condition = (
      aws_lambda_event_source_mapping.cleanup.event_source_arn == var.table_stream_arn &&
      aws_lambda_event_source_mapping.cleanup.function_name == "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-cleanup" &&
      aws_lambda_event_source_mapping.cleanup.function_response_types == toset(["ReportBatchItemFailures"]) &&
      aws_lambda_event_source_mapping.cleanup.maximum_retry_attempts == 3 &&
      aws_lambda_event_source_mapping.cleanup.destination_config[0].on_failure[0].destination_arn == "arn:aws:sqs:eu-west-1:123456789012:aipic-test-cleanup-failures"
    )
    error_message = "The pics stream must feed cleanup with per-record failures, bounded retries and its failure queue."
  }

  assert {
    condition = sort([for filter in aws_lambda_event_source_mapping.cleanup.filter_criteria[0].filter : filter.pattern]) == sort([for pattern in [
      {
        eventName = ["MODIFY"]
        dynamodb = {
          NewImage = { completionStatus = { S = ["CANCELED"] }, predictionId = { S = [{ exists = true }] } }
          OldImage = { completionStatus = { S = ["STARTED", "PROCESSING"] } }
        }
      },
      {
        eventName = ["REMOVE"]
        dynamodb  = { OldImage = { completionStatus = { S = [{ exists = true }] } } }
      },
    ] : jsonencode(pattern)])
    error_message = "Only a cancellation with a prediction and a picture's removal may reach cleanup."
  }
}

run "sweeper_runs_on_a_rate_schedule" {
  command = apply

  assert {
    condition = (
      aws_cloudwatch_event_rule.sweeper.name == "aipic-test-sweeper-schedule" &&
      aws_cloudwatch_event_rule.sweeper.schedule_expression == "rate(5 minutes)" &&
      aws_cloudwatch_event_rule.sweeper.event_pattern == null
    )
    error_message = "A plain EventBridge rule must fire every sweep_interval_minutes (5 by default)."
  }

  assert {
    condition = (
      aws_cloudwatch_event_target.sweeper.rule == aws_cloudwatch_event_rule.sweeper.name &&
      aws_cloudwatch_event_target.sweeper.arn == "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-sweeper"
    )
    error_message = "The schedule's target must be the sweeper function."
  }

  assert {
    condition = (
      aws_lambda_permission.schedule_invokes_sweeper.function_name == "aipic-test-sweeper" &&
      aws_lambda_permission.schedule_invokes_sweeper.action == "lambda:InvokeFunction" &&
      aws_lambda_permission.schedule_invokes_sweeper.principal == "events.amazonaws.com" &&
      aws_lambda_permission.schedule_invokes_sweeper.source_arn == "arn:aws:events:eu-west-1:123456789012:rule/aipic-test-sweeper-schedule" &&
      aws_lambda_permission.schedule_invokes_sweeper.source_account == "123456789012"
    )
    error_message = "Only the sweeper's own rule, in this account, may invoke the sweeper."
  }

  assert {
    condition = (
      aws_lambda_function.function["sweeper"].handler == "aipic.handlers.sweeper.handler" &&
      aws_lambda_function.function["sweeper"].timeout == 120 &&
      aws_lambda_function.function["sweeper"].reserved_concurrent_executions == 1
    )
    error_message = "The sweeper runs aipic.handlers.sweeper.handler, one run at a time, within 120 s."
  }
}

run "sweep_settings_follow_the_inputs" {
  command = apply

  variables {
    picture_deadline_minutes = 45
    sweep_interval_minutes   = 1
  }

  assert {
    condition     = aws_cloudwatch_event_rule.sweeper.schedule_expression == "rate(1 minute)"
    error_message = "A one-minute interval must use the singular unit EventBridge demands."
  }

  assert {
    condition = output.sweeper_settings == {
      schedule_expression      = "rate(1 minute)"
      picture_deadline_minutes = 45
      pending_index_name       = "byPending"
    }
    error_message = "The sweeper's deadline must come from picture_deadline_minutes, and sweeper_settings must report it."
  }
}

run "uploads_under_pics_trigger_on_upload" {
  command = apply

  assert {
    condition = (
      aws_s3_bucket_notification.pics.bucket == "aipic-test-pics-123456789012" &&
      length(aws_s3_bucket_notification.pics.lambda_function) == 1 &&
      aws_s3_bucket_notification.pics.lambda_function[0].lambda_function_arn == "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-on-upload" &&
      aws_s3_bucket_notification.pics.lambda_function[0].events == toset(["s3:ObjectCreated:*"]) &&
      aws_s3_bucket_notification.pics.lambda_function[0].filter_prefix == "pics/"
    )
    error_message = "Objects created under pics/ must notify on_upload, and nothing else."
  }

  assert {
    condition = (
      aws_lambda_permission.s3_invokes_on_upload.function_name == "aipic-test-on-upload" &&
      aws_lambda_permission.s3_invokes_on_upload.principal == "s3.amazonaws.com" &&
      aws_lambda_permission.s3_invokes_on_upload.action == "lambda:InvokeFunction" &&
      aws_lambda_permission.s3_invokes_on_upload.source_arn == "arn:aws:s3:::aipic-test-pics-123456789012" &&
      aws_lambda_permission.s3_invokes_on_upload.source_account == "123456789012"
    )
    error_message = "Only the pics bucket in this account may invoke on_upload."
  }
}

run "webhook_endpoint_is_a_throttled_logged_http_api_route" {
  command = apply

  assert {
    condition     = aws_apigatewayv2_api.webhook.protocol_type == "HTTP" && aws_apigatewayv2_api.webhook.name == "aipic-test-webhook"
    error_message = "The webhook endpoint must be an HTTP API."
  }

  assert {
    condition = (
      aws_apigatewayv2_integration.webhook.integration_type == "AWS_PROXY" &&
      aws_apigatewayv2_integration.webhook.payload_format_version == "2.0" &&
      aws_apigatewayv2_integration.webhook.integration_uri == "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-webhook/invocations"
    )
    error_message = "The integration must proxy to the webhook function with payload format 2.0."
  }

  assert {
    condition = (
      aws_apigatewayv2_route.webhook.route_key == "POST /webhooks/replicate" &&
      aws_apigatewayv2_route.webhook.target == "integrations/${aws_apigatewayv2_integration.webhook.id}"
    )
    error_message = "POST /webhooks/replicate must be the one route, to the webhook integration."
  }

  assert {
    condition = (
      aws_apigatewayv2_stage.webhook.name == "$default" &&
      aws_apigatewayv2_stage.webhook.auto_deploy == true &&
      aws_apigatewayv2_stage.webhook.default_route_settings[0].throttling_burst_limit == 20 &&
      aws_apigatewayv2_stage.webhook.default_route_settings[0].throttling_rate_limit == 10
    )
    error_message = "The stage must throttle every route with webhook_throttling."
  }

  assert {
    condition = (
      aws_apigatewayv2_stage.webhook.access_log_settings[0].destination_arn == "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/aipic-test-webhook" &&
      jsondecode(aws_apigatewayv2_stage.webhook.access_log_settings[0].format).status == "$context.status" &&
      jsondecode(aws_apigatewayv2_stage.webhook.access_log_settings[0].format).sourceIp == "$context.identity.sourceIp" &&
      aws_cloudwatch_log_group.webhook_access.retention_in_days == 365 &&
      aws_cloudwatch_log_group.webhook_access.kms_key_id == var.kms_key_arn
    )
    error_message = "Access logs must go, as JSON, to a KMS-encrypted log group with retention."
  }

  assert {
    condition = (
      aws_lambda_permission.api_invokes_webhook.function_name == "aipic-test-webhook" &&
      aws_lambda_permission.api_invokes_webhook.principal == "apigateway.amazonaws.com" &&
      aws_lambda_permission.api_invokes_webhook.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*/POST/webhooks/replicate"
    )
    error_message = "Only the webhook route of this API may invoke the webhook function."
  }

  assert {
    condition     = output.webhook_url == "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/webhooks/replicate"
    error_message = "webhook_url must be the stage URL plus /webhooks/replicate with exactly one slash between them."
  }
}

run "other_architecture_and_settings" {
  command = apply

  variables {
    architecture                    = "x86_64"
    tracing_mode                    = "PassThrough"
    log_level                       = "DEBUG"
    image_host_allowlist            = ["replicate.delivery", "pbxt.replicate.delivery"]
    reserved_concurrency            = { generate = -1, webhook = 50, on_upload = 5, publish = 2 }
    webhook_throttling              = { burst_limit = 5, rate_limit = 1.5 }
    image_download_deadline_seconds = 7.5
    image_fetch_allow_loopback      = true
  }

  assert {
    condition = (
      aws_lambda_function.function["webhook"].environment[0].variables["IMAGE_DOWNLOAD_DEADLINE_SECONDS"] == "7.5" &&
      aws_lambda_function.function["webhook"].environment[0].variables["IMAGE_FETCH_ALLOW_LOOPBACK"] == "true"
    )
    error_message = "image_download_deadline_seconds and image_fetch_allow_loopback must reach the webhook's environment."
  }

  assert {
    condition = alltrue([
      for key in ["generate", "on_upload", "publish"] :
      !contains(keys(aws_lambda_function.function[key].environment[0].variables), "IMAGE_FETCH_ALLOW_LOOPBACK")
    ])
    error_message = "only the webhook fetches images; no other function gets IMAGE_FETCH_ALLOW_LOOPBACK."
  }

  assert {
    condition = alltrue([
      for function in aws_lambda_function.function :
      function.architectures == tolist(["x86_64"]) && function.tracing_config[0].mode == "PassThrough" &&
      function.environment[0].variables["POWERTOOLS_LOG_LEVEL"] == "DEBUG"
    ])
    error_message = "architecture, tracing_mode and log_level must reach every function."
  }

  assert {
    condition     = aws_lambda_function.function["webhook"].environment[0].variables["IMAGE_HOST_ALLOWLIST"] == "replicate.delivery,pbxt.replicate.delivery"
    error_message = "IMAGE_HOST_ALLOWLIST must be the comma-joined allowlist."
  }

  assert {
    condition     = aws_lambda_function.function["generate"].reserved_concurrent_executions == -1 && aws_lambda_function.function["webhook"].reserved_concurrent_executions == 50
    error_message = "reserved_concurrency must be applied per function (-1 unreserved)."
  }

  assert {
    condition = (
      aws_apigatewayv2_stage.webhook.default_route_settings[0].throttling_burst_limit == 5 &&
      aws_apigatewayv2_stage.webhook.default_route_settings[0].throttling_rate_limit == 1.5
    )
    error_message = "webhook_throttling must set the stage throttling."
  }
}
