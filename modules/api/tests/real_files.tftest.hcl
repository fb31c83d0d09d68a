# The module against the repository's real schema.graphql and resolvers
# (schema_path and resolvers_dir left at their defaults).

mock_provider "aws" {
  override_data {
    target = data.aws_caller_identity.current
    values = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:user/ci"
      user_id    = "AIDAEXAMPLEUSERID0001"
    }
  }

  override_data {
    target = data.aws_region.current
    values = {
      name        = "eu-west-1"
      description = "Europe (Ireland)"
      endpoint    = "ec2.eu-west-1.amazonaws.com"
    }
  }

  override_data {
    target = data.aws_partition.current
    values = {
      partition          = "aws"
      dns_suffix         = "amazonaws.com"
      reverse_dns_prefix = "com.amazonaws"
    }
  }

  mock_resource "aws_appsync_graphql_api" {
    defaults = {
      id  = "abcdefghijklmnopqrstuvwxyz"
      arn = "arn:aws:appsync:eu-west-1:123456789012:apis/abcdefghijklmnopqrstuvwxyz"
      uris = {
        GRAPHQL  = "https://abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-1.amazonaws.com/graphql"
        REALTIME = "wss://abcdefghijklmnopqrstuvwxyz.appsync-realtime-api.eu-west-1.amazonaws.com/graphql"
      }
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/appsync/apis/abcdefghijklmnopqrstuvwxyz"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/aipic-test-appsync"
    }
  }
}

override_resource {
  target = aws_appsync_function.create_pic["validatePrompt"]
  values = { function_id = "fn-validate-prompt" }
}
override_resource {
  target = aws_appsync_function.create_pic["enforceQuota"]
  values = { function_id = "fn-enforce-quota" }
}
override_resource {
  target = aws_appsync_function.create_pic["putPic"]
  values = { function_id = "fn-put-pic" }
}
override_resource {
  target = aws_appsync_function.create_pic["invokeGenerate"]
  values = { function_id = "fn-invoke-generate" }
}

variables {
  name_prefix           = "aipic-test"
  user_pool_id          = "eu-west-1_AbCdEf123"
  table_name            = "aipic-test-pics"
  table_arn             = "arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics"
  kms_key_arn           = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  generate_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-generate"
  daily_picture_quota   = 3
}

run "deploy_with_repository_files" {
  command = apply

  assert {
    condition     = aws_appsync_graphql_api.this.schema == file("../../schema.graphql")
    error_message = "By default the schema must be the repository's schema.graphql."
  }

  assert {
    condition = (
      alltrue([for name, f in aws_appsync_function.create_pic : f.code == file("resolvers/${name}.js")]) &&
      alltrue([for field, r in aws_appsync_resolver.unit : r.code == file("resolvers/${field}.js")])
    )
    error_message = "By default every function and unit resolver must be loaded from modules/api/resolvers."
  }

  assert {
    condition = (
      length(regexall("(?m)^const DAILY_PICTURE_QUOTA = 3;$", aws_appsync_resolver.create_pic.code)) == 1 &&
      replace(aws_appsync_resolver.create_pic.code, "const DAILY_PICTURE_QUOTA = 3;", "const DAILY_PICTURE_QUOTA = 25;") == file("resolvers/createAIPic.js")
    )
    error_message = "The real createAIPic.js must carry daily_picture_quota in its quota line, and nothing else may change."
  }
}

run "pipeline_order_with_repository_files" {
  command = apply

  assert {
    condition = aws_appsync_resolver.create_pic.pipeline_config[0].functions == tolist([
      "fn-validate-prompt", "fn-enforce-quota", "fn-put-pic", "fn-invoke-generate",
    ])
    error_message = "createAIPic must run validatePrompt, enforceQuota, putPic, invokeGenerate in that order."
  }
}
