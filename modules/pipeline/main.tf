module "contract" {
  source = "../contract"
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
  # Environment variable names by key: modules/contract (contract.json), which
  # aipic/settings.py reads too.
  env = module.contract.environment.variables

  function_names = {
    for key in ["generate", "webhook", "on_upload", "publish", "sweeper", "cleanup"] : key => "${var.name_prefix}-${replace(key, "_", "-")}"
  }
  # Names are known before the functions exist, so the log groups (created
  # first, with retention and KMS) and the policies need no function attribute.
  log_group_names = { for key, name in local.function_names : key => "/aws/lambda/${name}" }
  log_group_arns  = { for key, name in local.log_group_names : key => "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${name}" }

  # Asynchronous paths, each ending in its own on-failure queue: AppSync → generate,
  # S3 → on_upload and the schedule → sweeper (event invoke configs), DynamoDB
  # stream → publish and cleanup (mappings).
  async_invoked        = toset(["generate", "on_upload", "sweeper"])
  failure_queue_owners = toset(["generate", "on_upload", "publish", "sweeper", "cleanup"])
  stream_consumers     = toset(["publish", "cleanup"])

  # The fields the publish function may call: publish (subscribe) and, beside it,
  # publishAIPic (onAIPicChange), sent in one request.
  publish_field_arns  = [var.publish_field_arn, "${trimsuffix(var.publish_field_arn, "/publish")}/publishAIPic"]
  failure_queue_names = { for key in local.failure_queue_owners : key => "${local.function_names[key]}-failures" }

  kms_via = { for service in ["dynamodb", "s3", "sqs", "ssm"] : service => "${service}.${local.region}.amazonaws.com" }

  # Generate retries Replicate at most REPLICATE_MAX_ATTEMPTS times with a
  # per-request timeout, so its Lambda timeout leaves room for all attempts.
  replicate_max_attempts  = 4
  replicate_timeout_secs  = 10
  async_max_retries       = 2
  async_max_event_age_sec = 3600

  common_environment = {
    (local.env.service_name) = "aipic"
    (local.env.log_level)    = var.log_level
  }

  functions = {
    generate = {
      description = "Starts the Replicate prediction of a new picture (AppSync, asynchronous)."
      memory_size = 256
      timeout     = 90
      environment = {
        (local.env.pics_table_name)               = var.table_name
        (local.env.replicate_api_token_parameter) = module.secure_parameters.names["replicate_api_token"]
        (local.env.replicate_model)               = var.replicate_model
        (local.env.replicate_api_url)             = var.replicate_api_url
        (local.env.replicate_max_attempts)        = tostring(local.replicate_max_attempts)
        (local.env.replicate_timeout_seconds)     = tostring(local.replicate_timeout_secs)
        (local.env.webhook_url)                   = local.webhook_url
      }
      statements = [
        {
          Sid      = "ReadReplicateToken"
          Effect   = "Allow"
          Action   = ["ssm:GetParameter"]
          Resource = [local.parameter_arns["replicate_api_token"]]
        },
        {
          Sid      = "RecordPrediction"
          Effect   = "Allow"
          Action   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
          Resource = [var.table_arn]
        },
        local.failure_queue_statement["generate"],
        local.kms_statement["generate"],
      ]
    }
    webhook = {
      description = "Receives Replicate's signed webhook and stores the picture (API Gateway HTTP API)."
      memory_size = 512
      # Below the HTTP API's 30 s integration limit; Replicate retries a webhook that fails.
      timeout = 28
      environment = merge({
        (local.env.pics_table_name)                 = var.table_name
        (local.env.pics_bucket_name)                = var.bucket_name
        (local.env.webhook_secret_parameter)        = module.secure_parameters.names["webhook_secret"]
        (local.env.image_host_allowlist)            = join(",", var.image_host_allowlist)
        (local.env.max_image_bytes)                 = tostring(var.max_image_bytes)
        (local.env.image_download_deadline_seconds) = tostring(var.image_download_deadline_seconds)
        (local.env.image_fetch_allow_loopback)      = tostring(var.image_fetch_allow_loopback)
        },
        # Set only where it widens the handler's https-only default (a loopback stand-in).
        {
          for name, value in { (local.env.allowed_image_url_schemes) = join(",", var.allowed_image_url_schemes) } :
          name => value if var.allowed_image_url_schemes != tolist(["https"])
      })
      statements = [
        {
          Sid      = "ReadWebhookSecret"
          Effect   = "Allow"
          Action   = ["ssm:GetParameter"]
          Resource = [local.parameter_arns["webhook_secret"]]
        },
        {
          Sid      = "StorePictures"
          Effect   = "Allow"
          Action   = ["s3:PutObject", "s3:AbortMultipartUpload"]
          Resource = ["${var.bucket_arn}/pics/*"]
        },
        {
          Sid      = "RecordOutcome"
          Effect   = "Allow"
          Action   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
          Resource = [var.table_arn]
        },
        local.kms_statement["webhook"],
      ]
    }
    on_upload = {
      description = "Marks a picture COMPLETED when its object lands under pics/ (S3, asynchronous)."
      memory_size = 256
      timeout     = 30
      environment = {
        (local.env.pics_table_name) = var.table_name
      }
      statements = [
        {
          Sid      = "MarkCompleted"
          Effect   = "Allow"
          Action   = ["dynamodb:UpdateItem"]
          Resource = [var.table_arn]
        },
        local.failure_queue_statement["on_upload"],
        local.kms_statement["on_upload"],
      ]
    }
    publish = {
      description = "Publishes status changes from the pics stream to subscribers (AppSync publish mutation, IAM)."
      memory_size = 256
      timeout     = 60
      environment = {
        (local.env.appsync_graphql_url) = var.graphql_url
      }
      statements = [
        {
          # What Lambda's poller calls on the mapping's stream. dynamodb:ListStreams
          # is left out: it takes only "*" (granted on a stream ARN it never
          # matched, so the mapping has always run without it), and the mapping
          # names its stream, so nothing needs to list the account's streams.
          Sid      = "ReadPicsStream"
          Effect   = "Allow"
          Action   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
          Resource = [var.table_stream_arn]
        },
        {
          Sid      = "CallPublishMutationsOnly"
          Effect   = "Allow"
          Action   = ["appsync:GraphQL"]
          Resource = local.publish_field_arns
        },
        local.failure_queue_statement["publish"],
        local.kms_statement["publish"],
      ]
    }
    sweeper = {
      description = "Fails pictures still not final past their deadline and cancels their predictions (EventBridge schedule)."
      memory_size = 256
      # The handler stops taking pictures 10 s before this; the next run goes on.
      timeout = 120
      environment = {
        (local.env.pics_table_name)               = var.table_name
        (local.env.pending_index_name)            = var.pending_index_name
        (local.env.picture_deadline_minutes)      = tostring(var.picture_deadline_minutes)
        (local.env.replicate_api_token_parameter) = module.secure_parameters.names["replicate_api_token"]
        (local.env.replicate_api_url)             = var.replicate_api_url
      }
      statements = [
        {
          Sid      = "FindPendingPictures"
          Effect   = "Allow"
          Action   = ["dynamodb:Query"]
          Resource = ["${var.table_arn}/index/${var.pending_index_name}"]
        },
        {
          Sid      = "FailOverduePictures"
          Effect   = "Allow"
          Action   = ["dynamodb:UpdateItem"]
          Resource = [var.table_arn]
        },
        {
          Sid      = "ReadReplicateTokenToCancel"
          Effect   = "Allow"
          Action   = ["ssm:GetParameter"]
          Resource = [local.parameter_arns["replicate_api_token"]]
        },
        local.failure_queue_statement["sweeper"],
        local.kms_statement["sweeper"],
      ]
    }
    cleanup = {
      description = "Cancels the prediction of a picture its owner cancelled and deletes every object version of a deleted picture (pics stream)."
      memory_size = 256
      timeout     = 60
      environment = {
        (local.env.pics_bucket_name)              = var.bucket_name
        (local.env.replicate_api_token_parameter) = module.secure_parameters.names["replicate_api_token"]
        (local.env.replicate_api_url)             = var.replicate_api_url
      }
      statements = [
        {
          Sid      = "ReadPicsStream"
          Effect   = "Allow"
          Action   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
          Resource = [var.table_stream_arn]
        },
        {
          Sid      = "ReadReplicateTokenToCancel"
          Effect   = "Allow"
          Action   = ["ssm:GetParameter"]
          Resource = [local.parameter_arns["replicate_api_token"]]
        },
        {
          # Only the pictures' keys: a deleted picture's versions are listed by its prefix.
          Sid       = "ListPictureVersions"
          Effect    = "Allow"
          Action    = ["s3:ListBucketVersions"]
          Resource  = [var.bucket_arn]
          Condition = { StringLike = { "s3:prefix" = ["pics/*"] } }
        },
        {
          Sid      = "DeletePictureVersions"
          Effect   = "Allow"
          Action   = ["s3:DeleteObjectVersion"]
          Resource = ["${var.bucket_arn}/pics/*"]
        },
        local.failure_queue_statement["cleanup"],
        local.kms_statement["cleanup"],
      ]
    }
  }

  # The services through which each function uses the environment key.
  kms_services = {
    generate  = ["ssm", "dynamodb", "sqs"]
    webhook   = ["ssm", "s3", "dynamodb"]
    on_upload = ["dynamodb", "sqs"]
    publish   = ["dynamodb", "sqs"]
    sweeper   = ["ssm", "dynamodb", "sqs"]
    cleanup   = ["ssm", "dynamodb", "sqs"]
  }
  kms_statement = {
    for key, services in local.kms_services : key => {
      Sid       = "UseEnvironmentKey"
      Effect    = "Allow"
      Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
      Resource  = [var.kms_key_arn]
      Condition = { StringEquals = { "kms:ViaService" = [for service in services : local.kms_via[service]] } }
    }
  }
  # Lambda delivers failed events with the function's own role.
  failure_queue_statement = {
    for key in local.failure_queue_owners : key => {
      Sid      = "SendFailedEvents"
      Effect   = "Allow"
      Action   = ["sqs:SendMessage"]
      Resource = ["arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.failure_queue_names[key]}"]
    }
  }
}

# ---------------------------------------------------------------- roles

resource "aws_iam_role" "function" {
  for_each = local.function_names

  name        = "${each.value}-function"
  description = "Execution role of ${each.value}."
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

resource "aws_iam_role_policy" "function" {
  for_each = local.functions

  name = "${replace(each.key, "_", "-")}-least-privilege"
  role = aws_iam_role.function[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(each.value.statements, [
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${local.log_group_arns[each.key]}:log-stream:*"]
      },
      {
        # X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level
        # permissions, so "*" is the only resource the service accepts.
        Sid      = "SendTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = ["*"]
      },
    ])
  })
}

# ---------------------------------------------------------------- functions

resource "aws_cloudwatch_log_group" "function" {
  for_each = local.log_group_names

  name              = each.value
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "function" {
  # checkov:skip=CKV_AWS_116:Dead-letter queues only apply to asynchronous invocations. generate and on_upload use on-failure destinations (aws_lambda_function_event_invoke_config, which carry more context than a DLQ) to KMS-encrypted SQS queues; publish is stream-invoked, its mapping has an on-failure destination; webhook is invoked synchronously by API Gateway and Replicate retries failed deliveries.
  # checkov:skip=CKV_AWS_117:The functions call only public AWS APIs and Replicate over HTTPS; there are no VPC resources to reach, and a VPC would add NAT cost and cold-start latency without narrowing access (IAM does).
  # checkov:skip=CKV_AWS_272:Code signing needs the artifacts uploaded to S3 and signed by an AWS Signer profile; build.py produces deterministic local zips whose source_code_hash Terraform pins, so an unchanged build deploys nothing and a changed one is visible in the plan.
  for_each = local.functions

  function_name                  = local.function_names[each.key]
  description                    = each.value.description
  role                           = aws_iam_role.function[each.key].arn
  runtime                        = "python3.12"
  architectures                  = [var.architecture]
  handler                        = "aipic.handlers.${each.key}.handler"
  filename                       = var.artifacts.functions.path
  source_code_hash               = var.artifacts.functions.sha256_base64
  memory_size                    = each.value.memory_size
  timeout                        = each.value.timeout
  reserved_concurrent_executions = var.reserved_concurrency[each.key]
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags

  environment {
    variables = merge(local.common_environment, each.value.environment)
  }

  tracing_config {
    mode = var.tracing_mode
  }

  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function]
}
