# The resolver wiring, pipeline order and the owner index's name: modules/contract.
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

  resolvers_dir = coalesce(var.resolvers_dir, "${path.module}/resolvers")

  # createAIPic.js carries each daily limit as one literal line; the module
  # substitutes the configured values so the resolver code stays plain,
  # lintable JavaScript.
  quota_pattern            = "const DAILY_PICTURE_QUOTA = \\d+;"
  ceiling_pattern          = "const DAILY_PICTURE_CEILING = \\d+;"
  create_pic_code_template = file("${local.resolvers_dir}/${module.contract.api.pipelines.createAIPic.code}.js")
  create_pic_code = replace(
    replace(
      local.create_pic_code_template,
      "/${local.quota_pattern}/",
      "const DAILY_PICTURE_QUOTA = ${var.daily_picture_quota};",
    ),
    "/${local.ceiling_pattern}/",
    "const DAILY_PICTURE_CEILING = ${var.daily_picture_ceiling};",
  )

  js_runtime = { name = "APPSYNC_JS", runtime_version = "1.0.0" }

  # Functions of each pipeline, in execution order, and the unit resolvers
  # (modules/contract/contract.json api). createAIPic has its own resources
  # (its code carries the daily limits); the others share own_pic.
  pipelines        = module.contract.api.pipelines
  create_pic_steps = local.pipelines.createAIPic.functions
  own_pic_pipelines = {
    for field, pipeline in local.pipelines : field => pipeline if field != "createAIPic"
  }
  own_pic_functions = {
    for step in flatten([for pipeline in values(local.own_pic_pipelines) : pipeline.functions]) :
    step.name => step...
  }
  unit_resolvers = module.contract.api.units

  data_source_names = {
    none     = aws_appsync_datasource.none.name
    pics     = aws_appsync_datasource.pics.name
    generate = aws_appsync_datasource.generate.name
  }

  owner_index_name = coalesce(var.owner_index_name, module.contract.table.indexes.owner.name)
  owner_index_arn  = "${var.table_arn}/index/${local.owner_index_name}"

  # Only AppSync acting for this account may assume the module's roles.
  appsync_trust_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AppSyncAssumeRole"
      Effect    = "Allow"
      Principal = { Service = "appsync.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:appsync:${local.region}:${local.account_id}:apis/*" }
      }
    }]
  })
}

# ---------------------------------------------------------------- the API

resource "aws_appsync_graphql_api" "this" {
  # checkov:skip=CKV2_AWS_33:WAF is optional (input waf_web_acl_arn): every operation needs a Cognito user (sign-up policy: var.sign_up_policy of modules/auth) or an IAM signature, and createAIPic's spend is bounded per user (daily_picture_quota) and across all users (daily_picture_ceiling, atomic in the pipeline), so scripted accounts cannot raise the bill; rate limiting per IP is the operator's choice of a paid web ACL.
  # checkov:skip=CKV2_AWS_78:No web ACL is attached by default (see CKV2_AWS_33); an operator-supplied ACL's rule groups are the operator's choice, and nothing behind this API runs Java (APPSYNC_JS resolvers, Python Lambda), so Log4j rules protect nothing here.
  name                = "${var.name_prefix}-api"
  authentication_type = "AMAZON_COGNITO_USER_POOLS"
  schema              = var.schema
  xray_enabled        = var.xray_enabled
  tags                = var.tags

  user_pool_config {
    user_pool_id   = var.user_pool_id
    aws_region     = local.region
    default_action = "ALLOW"
  }

  # IAM is how the publish Lambda calls the publish mutation.
  additional_authentication_provider {
    authentication_type = "AWS_IAM"
  }

  log_config {
    cloudwatch_logs_role_arn = aws_iam_role.logs.arn
    field_log_level          = var.field_log_level
    exclude_verbose_content  = true
  }
}

resource "aws_wafv2_web_acl_association" "this" {
  count        = var.waf_web_acl_arn == null ? 0 : 1
  resource_arn = aws_appsync_graphql_api.this.arn
  web_acl_arn  = var.waf_web_acl_arn
}

# Created by Terraform (not by AppSync on first write) so it has retention and
# encryption; the log role therefore gets no logs:CreateLogGroup.
resource "aws_cloudwatch_log_group" "api" {
  name              = "/aws/appsync/apis/${aws_appsync_graphql_api.this.id}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_iam_role" "logs" {
  name               = "${var.name_prefix}-appsync-logs"
  description        = "AppSync writes the ${var.name_prefix}-api logs."
  assume_role_policy = local.appsync_trust_policy
  tags               = var.tags
}

resource "aws_iam_role_policy" "logs" {
  name = "write-api-logs"
  role = aws_iam_role.logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "WriteApiLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = ["${aws_cloudwatch_log_group.api.arn}:log-stream:*"]
    }]
  })
}

# ---------------------------------------------------------------- data sources

resource "aws_appsync_datasource" "none" {
  api_id      = aws_appsync_graphql_api.this.id
  name        = "none"
  description = "Local resolvers: prompt validation, publish, publishAIPic, subscribe, onAIPicChange."
  type        = "NONE"
}

resource "aws_iam_role" "pics_data_source" {
  name               = "${var.name_prefix}-appsync-pics"
  description        = "AppSync DynamoDB data source for the pics table."
  assume_role_policy = local.appsync_trust_policy
  tags               = var.tags
}

resource "aws_iam_role_policy" "pics_data_source" {
  name = "pics-table"
  role = aws_iam_role.pics_data_source.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # enforceQuota and enforceGlobalCeiling (UpdateItem on the counters), putPic
        # (PutItem), cancelPic (UpdateItem), deletePic (DeleteItem), each conditional.
        Sid      = "WritePicItems"
        Effect   = "Allow"
        Action   = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
        Resource = [var.table_arn]
      },
      {
        # getOwnPic reads the picture to check its owner and status.
        Sid      = "ReadPicItems"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem"]
        Resource = [var.table_arn]
      },
      {
        # listAIPics queries the owner index only; no Scan anywhere.
        Sid      = "QueryOwnerIndex"
        Effect   = "Allow"
        Action   = ["dynamodb:Query"]
        Resource = [local.owner_index_arn]
      },
      {
        Sid      = "UseTableKeyThroughDynamoDB"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = [var.kms_key_arn]
        Condition = {
          StringEquals = { "kms:ViaService" = "dynamodb.${local.region}.amazonaws.com" }
        }
      },
    ]
  })

  lifecycle {
    precondition {
      condition     = local.owner_index_name == module.contract.table.indexes.owner.name
      error_message = "owner_index_name must be the contract's owner index (modules/contract/contract.json), the one listAIPics.js queries."
    }
  }
}

resource "aws_appsync_datasource" "pics" {
  api_id           = aws_appsync_graphql_api.this.id
  name             = "pics"
  description      = "The pics table (items, per-user and global daily counters)."
  type             = "AMAZON_DYNAMODB"
  service_role_arn = aws_iam_role.pics_data_source.arn

  dynamodb_config {
    table_name = var.table_name
    region     = local.region
  }

  depends_on = [aws_iam_role_policy.pics_data_source]
}

resource "aws_iam_role" "generate_data_source" {
  name               = "${var.name_prefix}-appsync-generate"
  description        = "AppSync Lambda data source for the generate function."
  assume_role_policy = local.appsync_trust_policy
  tags               = var.tags
}

resource "aws_iam_role_policy" "generate_data_source" {
  name = "invoke-generate"
  role = aws_iam_role.generate_data_source.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "InvokeGenerate"
      Effect   = "Allow"
      Action   = ["lambda:InvokeFunction"]
      Resource = [var.generate_function_arn]
    }]
  })
}

resource "aws_appsync_datasource" "generate" {
  api_id           = aws_appsync_graphql_api.this.id
  name             = "generate"
  description      = "The generate Lambda, invoked asynchronously (Event)."
  type             = "AWS_LAMBDA"
  service_role_arn = aws_iam_role.generate_data_source.arn

  lambda_config {
    function_arn = var.generate_function_arn
  }

  depends_on = [aws_iam_role_policy.generate_data_source]
}

# ---------------------------------------------------------------- resolvers

resource "aws_appsync_function" "create_pic" {
  for_each = { for step in local.create_pic_steps : step.name => step }

  api_id      = aws_appsync_graphql_api.this.id
  name        = each.key
  data_source = local.data_source_names[each.value.data_source]
  code        = file("${local.resolvers_dir}/${each.key}.js")

  runtime {
    name            = local.js_runtime.name
    runtime_version = local.js_runtime.runtime_version
  }
}

resource "aws_appsync_resolver" "create_pic" {
  api_id = aws_appsync_graphql_api.this.id
  type   = local.pipelines.createAIPic.type
  field  = "createAIPic"
  kind   = "PIPELINE"
  code   = local.create_pic_code

  pipeline_config {
    functions = [for step in local.create_pic_steps : aws_appsync_function.create_pic[step.name].function_id]
  }

  runtime {
    name            = local.js_runtime.name
    runtime_version = local.js_runtime.runtime_version
  }

  lifecycle {
    precondition {
      condition     = length(regexall(local.quota_pattern, local.create_pic_code_template)) == 1
      error_message = "createAIPic.js must contain exactly one line \"const DAILY_PICTURE_QUOTA = <number>;\" for the module to set the quota."
    }
    precondition {
      condition     = length(regexall(local.ceiling_pattern, local.create_pic_code_template)) == 1
      error_message = "createAIPic.js must contain exactly one line \"const DAILY_PICTURE_CEILING = <number>;\" for the module to set the daily ceiling."
    }
  }
}

resource "aws_appsync_function" "own_pic" {
  for_each = local.own_pic_functions

  api_id      = aws_appsync_graphql_api.this.id
  name        = each.key
  data_source = local.data_source_names[each.value[0].data_source]
  code        = file("${local.resolvers_dir}/${each.key}.js")

  runtime {
    name            = local.js_runtime.name
    runtime_version = local.js_runtime.runtime_version
  }
}

resource "aws_appsync_resolver" "own_pic" {
  for_each = local.own_pic_pipelines

  api_id = aws_appsync_graphql_api.this.id
  type   = each.value.type
  field  = each.key
  kind   = "PIPELINE"
  code   = file("${local.resolvers_dir}/${each.value.code}.js")

  pipeline_config {
    functions = [for step in each.value.functions : aws_appsync_function.own_pic[step.name].function_id]
  }

  runtime {
    name            = local.js_runtime.name
    runtime_version = local.js_runtime.runtime_version
  }
}

resource "aws_appsync_resolver" "unit" {
  for_each = local.unit_resolvers

  api_id      = aws_appsync_graphql_api.this.id
  type        = each.value.type
  field       = each.key
  kind        = "UNIT"
  data_source = local.data_source_names[each.value.data_source]
  code        = file("${local.resolvers_dir}/${each.key}.js")

  runtime {
    name            = local.js_runtime.name
    runtime_version = local.js_runtime.runtime_version
  }
}
