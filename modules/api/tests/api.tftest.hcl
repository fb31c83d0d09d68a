# Security and wiring properties of modules/api, against the mocked AWS provider.
# The resolver/schema fixtures stand in for the real files; the run
# deploy_with_module_resolvers checks the default resolvers (the module's
# resolvers/). The schema is an input: the repository's schema.graphql is
# passed by terraform/stack.

mock_provider "aws" {
  source = "./tests/mocks"
}

# The SDL is text, not a path: tfvars cannot call file(), so it is set here.
variables {
  schema = file("tests/fixtures/schema.graphql")
}

# Known, distinct pipeline function ids. The mock provider fills values that are
# unknown at plan time with random strings, so the pipeline order can only be
# checked once the functions exist in state: the first run creates them, later
# runs see the resolver's function list with these ids.
override_resource {
  target = aws_appsync_function.create_pic["validatePrompt"]
  values = { function_id = "fn-validate-prompt" }
}
override_resource {
  target = aws_appsync_function.create_pic["enforceQuota"]
  values = { function_id = "fn-enforce-quota" }
}
override_resource {
  target = aws_appsync_function.create_pic["enforceGlobalCeiling"]
  values = { function_id = "fn-enforce-global-ceiling" }
}
override_resource {
  target = aws_appsync_function.create_pic["putPic"]
  values = { function_id = "fn-put-pic" }
}
override_resource {
  target = aws_appsync_function.create_pic["invokeGenerate"]
  values = { function_id = "fn-invoke-generate" }
}
override_resource {
  target = aws_appsync_function.own_pic["getOwnPic"]
  values = { function_id = "fn-get-own-pic" }
}
override_resource {
  target = aws_appsync_function.own_pic["cancelPic"]
  values = { function_id = "fn-cancel-pic" }
}
override_resource {
  target = aws_appsync_function.own_pic["deletePic"]
  values = { function_id = "fn-delete-pic" }
}

# The API's log group, named after the mocked API id.
override_resource {
  target = aws_cloudwatch_log_group.api
  values = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/appsync/apis/abcdefghijklmnopqrstuvwxyz" }
}

# Module inputs: tests/terraform.tfvars.

run "api_authorization_logging_and_schema" {
  command = apply

  assert {
    condition     = aws_appsync_graphql_api.this.authentication_type == "AMAZON_COGNITO_USER_POOLS"
    error_message = "The default authorization must be the Cognito user pool."
  }

  assert {
    condition = (
      aws_appsync_graphql_api.this.user_pool_config[0].user_pool_id == "eu-west-1_AbCdEf123" &&
      aws_appsync_graphql_api.this.user_pool_config[0].aws_region == "eu-west-1" &&
      aws_appsync_graphql_api.this.user_pool_config[0].default_action == "ALLOW"
    )
    error_message = "The user pool config must point at the given pool in the API's region."
  }

  assert {
    condition     = [for p in aws_appsync_graphql_api.this.additional_authentication_provider : p.authentication_type] == ["AWS_IAM"]
    error_message = "IAM must be the one additional authorization mode (for the publish Lambda)."
  }

  assert {
    condition     = aws_appsync_graphql_api.this.schema == file("tests/fixtures/schema.graphql")
    error_message = "The schema must be served verbatim as given."
  }

  assert {
    condition = (
      aws_appsync_graphql_api.this.log_config[0].field_log_level == "ERROR" &&
      aws_appsync_graphql_api.this.log_config[0].exclude_verbose_content == true &&
      aws_appsync_graphql_api.this.log_config[0].cloudwatch_logs_role_arn == aws_iam_role.logs.arn
    )
    error_message = "Field logging must be ERROR, without verbose content, through the module's log role."
  }

  assert {
    condition     = aws_appsync_graphql_api.this.xray_enabled == true
    error_message = "X-Ray must be on by default."
  }

  assert {
    condition     = aws_appsync_graphql_api.this.name == "aipic-test-api" && aws_appsync_graphql_api.this.tags == tomap({ Project = "aipic" })
    error_message = "The API must be named after name_prefix and tagged."
  }

  assert {
    condition = (
      aws_cloudwatch_log_group.api.name == "/aws/appsync/apis/abcdefghijklmnopqrstuvwxyz" &&
      aws_cloudwatch_log_group.api.retention_in_days == 365 &&
      aws_cloudwatch_log_group.api.kms_key_id == var.kms_key_arn
    )
    error_message = "The API log group must be AppSync's own name, with retention and the customer-managed key."
  }

  assert {
    condition     = length(aws_wafv2_web_acl_association.this) == 0
    error_message = "No WAF association without waf_web_acl_arn."
  }

  assert {
    condition     = output.publish_field_arn == "arn:aws:appsync:eu-west-1:123456789012:apis/abcdefghijklmnopqrstuvwxyz/types/Mutation/fields/publish"
    error_message = "publish_field_arn must name the Mutation.publish field of this API."
  }

  assert {
    condition = (
      output.graphql_url == "https://abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-1.amazonaws.com/graphql" &&
      output.realtime_url == "wss://abcdefghijklmnopqrstuvwxyz.appsync-realtime-api.eu-west-1.amazonaws.com/graphql"
    )
    error_message = "graphql_url and realtime_url must come from the API's uris."
  }
}

run "roles_are_least_privilege" {
  command = apply

  assert {
    condition = jsondecode(aws_iam_role_policy.logs.policy).Statement == [{
      Sid      = "WriteApiLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/appsync/apis/abcdefghijklmnopqrstuvwxyz:log-stream:*"]
    }]
    error_message = "The log role may only write streams of the API's own log group (the group is created by Terraform)."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.pics_data_source.policy).Statement == [
      {
        Sid      = "WritePicItems"
        Effect   = "Allow"
        Action   = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
        Resource = ["arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics"]
      },
      {
        Sid      = "ReadPicItems"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem"]
        Resource = ["arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics"]
      },
      {
        Sid      = "QueryOwnerIndex"
        Effect   = "Allow"
        Action   = ["dynamodb:Query"]
        Resource = ["arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics/index/byOwner"]
      },
      {
        Sid       = "UseTableKeyThroughDynamoDB"
        Effect    = "Allow"
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = ["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
        Condition = { StringEquals = { "kms:ViaService" = "dynamodb.eu-west-1.amazonaws.com" } }
      },
    ]
    error_message = "The DynamoDB data source role may only get/put/update/delete pics table items, query the byOwner index and use the key through DynamoDB."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.generate_data_source.policy).Statement == [{
      Sid      = "InvokeGenerate"
      Effect   = "Allow"
      Action   = ["lambda:InvokeFunction"]
      Resource = ["arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-generate"]
    }]
    error_message = "The Lambda data source role may only invoke the generate function."
  }

  assert {
    condition = alltrue([
      for policy in [aws_iam_role_policy.logs.policy, aws_iam_role_policy.pics_data_source.policy, aws_iam_role_policy.generate_data_source.policy] :
      alltrue([for statement in jsondecode(policy).Statement : statement.Effect == "Allow" && alltrue([
        for action in statement.Action : !strcontains(action, "*") && !startswith(action, "appsync:")
      ])])
    ])
    error_message = "No wildcard action, and no appsync:GraphQL, in any role of the api module."
  }

  assert {
    condition = alltrue([
      for role in [aws_iam_role.logs, aws_iam_role.pics_data_source, aws_iam_role.generate_data_source] :
      jsondecode(role.assume_role_policy).Statement == [{
        Sid       = "AppSyncAssumeRole"
        Effect    = "Allow"
        Principal = { Service = "appsync.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = {
          StringEquals = { "aws:SourceAccount" = "123456789012" }
          ArnLike      = { "aws:SourceArn" = "arn:aws:appsync:eu-west-1:123456789012:apis/*" }
        }
      }]
    ])
    error_message = "Only AppSync acting for this account may assume the module's roles."
  }

  assert {
    condition = (
      aws_appsync_datasource.pics.type == "AMAZON_DYNAMODB" &&
      aws_appsync_datasource.pics.dynamodb_config[0].table_name == "aipic-test-pics" &&
      aws_appsync_datasource.pics.service_role_arn == aws_iam_role.pics_data_source.arn &&
      aws_appsync_datasource.generate.type == "AWS_LAMBDA" &&
      aws_appsync_datasource.generate.lambda_config[0].function_arn == var.generate_function_arn &&
      aws_appsync_datasource.generate.service_role_arn == aws_iam_role.generate_data_source.arn &&
      aws_appsync_datasource.none.type == "NONE"
    )
    error_message = "Each data source must use its own role and target."
  }

  assert {
    condition     = output.invoked_function_arn == "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-generate"
    error_message = "invoked_function_arn must read the generate data source's target."
  }
}

run "resolvers_are_appsync_js_loaded_from_files" {
  command = apply

  variables {
    daily_picture_quota   = 7
    daily_picture_ceiling = 4321
  }

  assert {
    condition = alltrue(concat(
      [for f in aws_appsync_function.create_pic : f.runtime[0].name == "APPSYNC_JS" && f.runtime[0].runtime_version == "1.0.0"],
      [for r in aws_appsync_resolver.unit : r.runtime[0].name == "APPSYNC_JS" && r.runtime[0].runtime_version == "1.0.0"],
      [for f in aws_appsync_function.own_pic : f.runtime[0].name == "APPSYNC_JS" && f.runtime[0].runtime_version == "1.0.0"],
      [for r in aws_appsync_resolver.own_pic : r.runtime[0].name == "APPSYNC_JS" && r.runtime[0].runtime_version == "1.0.0"],
      [aws_appsync_resolver.create_pic.runtime[0].name == "APPSYNC_JS"],
    ))
    error_message = "Every function and resolver must use the APPSYNC_JS 1.0.0 runtime."
  }

  assert {
    condition = aws_appsync_resolver.create_pic.pipeline_config[0].functions == tolist([
      for step in module.contract.api.pipelines.createAIPic.functions : aws_appsync_function.create_pic[step.name].function_id
    ])
    error_message = "createAIPic must run the contract's functions (validatePrompt, enforceQuota, enforceGlobalCeiling, putPic, invokeGenerate) in its order, got ${jsonencode(aws_appsync_resolver.create_pic.pipeline_config[0].functions)}."
  }

  assert {
    condition = (
      aws_appsync_resolver.create_pic.type == "Mutation" &&
      aws_appsync_resolver.create_pic.field == "createAIPic" &&
      aws_appsync_resolver.create_pic.kind == "PIPELINE"
    )
    error_message = "Mutation.createAIPic must be a pipeline resolver."
  }

  assert {
    condition = {
      for name, f in aws_appsync_function.create_pic : name => f.data_source
      } == {
      for step in module.contract.api.pipelines.createAIPic.functions : step.name => step.data_source
    }
    error_message = "Each pipeline function must use the contract's data source."
  }

  assert {
    condition = {
      for ds in [aws_appsync_datasource.none, aws_appsync_datasource.pics, aws_appsync_datasource.generate] : ds.name => ds.type
    } == module.contract.api.data_sources
    error_message = "The data sources must be the contract's (name and type)."
  }

  assert {
    condition = alltrue([
      for name, f in aws_appsync_function.create_pic : f.code == file("tests/fixtures/resolvers/${name}.js")
    ])
    error_message = "Pipeline functions must be loaded from <resolvers_dir>/<name>.js."
  }

  assert {
    condition = {
      for field, r in aws_appsync_resolver.unit : field => [r.type, r.kind, r.data_source, r.code]
      } == {
      for field, unit in module.contract.api.units : field => [unit.type, "UNIT", unit.data_source, file("tests/fixtures/resolvers/${field}.js")]
    }
    error_message = "The contract's unit resolvers (listAIPics, publish, publishAIPic, subscribe, onAIPicChange) must have its types and data sources and be loaded from their files."
  }

  assert {
    condition = {
      for field, r in aws_appsync_resolver.own_pic : field => [r.type, r.kind, r.code, r.pipeline_config[0].functions]
      } == {
      for field, pipeline in module.contract.api.pipelines : field => [
        pipeline.type, "PIPELINE", file("tests/fixtures/resolvers/${pipeline.code}.js"),
        tolist([for step in pipeline.functions : aws_appsync_function.own_pic[step.name].function_id]),
      ] if field != "createAIPic"
    }
    error_message = "cancelAIPic and deleteAIPic must be the contract's pipelines: getOwnPic first, then cancelPic or deletePic."
  }

  assert {
    condition = alltrue([
      for name, f in aws_appsync_function.own_pic : f.data_source == "pics" && f.code == file("tests/fixtures/resolvers/${name}.js")
    ])
    error_message = "getOwnPic, cancelPic and deletePic must use the pics data source and be loaded from their files."
  }

  assert {
    condition = (
      strcontains(aws_appsync_resolver.create_pic.code, "\nconst DAILY_PICTURE_QUOTA = 7;\n") &&
      strcontains(aws_appsync_resolver.create_pic.code, "\nconst DAILY_PICTURE_CEILING = 4321;\n") &&
      replace(replace(aws_appsync_resolver.create_pic.code, "QUOTA = 7;", "QUOTA = 25;"), "CEILING = 4321;", "CEILING = 1000;") == file("tests/fixtures/resolvers/createAIPic.js")
    )
    error_message = "The quota and ceiling lines of createAIPic.js must carry daily_picture_quota and daily_picture_ceiling, and nothing else may change."
  }
}

run "waf_association_when_given" {
  command = apply

  variables {
    waf_web_acl_arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/aipic/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
  }

  assert {
    condition     = aws_wafv2_web_acl_association.this[0].web_acl_arn == var.waf_web_acl_arn && aws_wafv2_web_acl_association.this[0].resource_arn == aws_appsync_graphql_api.this.arn
    error_message = "The given web ACL must be associated with the API."
  }
}

run "deploy_with_module_resolvers" {
  command = apply

  # null is the variable's default: the module's own resolvers/.
  variables {
    resolvers_dir         = null
    daily_picture_quota   = 3
    daily_picture_ceiling = 250
  }

  assert {
    condition = (
      alltrue([for name, f in aws_appsync_function.create_pic : f.code == file("resolvers/${name}.js")]) &&
      alltrue([for name, f in aws_appsync_function.own_pic : f.code == file("resolvers/${name}.js")]) &&
      alltrue([for field, r in aws_appsync_resolver.unit : r.code == file("resolvers/${field}.js")]) &&
      alltrue([for r in aws_appsync_resolver.own_pic : r.code == file("resolvers/ownPicPipeline.js")])
    )
    error_message = "By default every function and unit resolver must be loaded from modules/api/resolvers."
  }

  assert {
    condition = (
      length(regexall("(?m)^const DAILY_PICTURE_QUOTA = 3;$", aws_appsync_resolver.create_pic.code)) == 1 &&
      length(regexall("(?m)^const DAILY_PICTURE_CEILING = 250;$", aws_appsync_resolver.create_pic.code)) == 1 &&
      replace(replace(aws_appsync_resolver.create_pic.code, "const DAILY_PICTURE_QUOTA = 3;", "const DAILY_PICTURE_QUOTA = 25;"), "const DAILY_PICTURE_CEILING = 250;", "const DAILY_PICTURE_CEILING = 1000;") == file("resolvers/createAIPic.js")
    )
    error_message = "The real createAIPic.js must carry daily_picture_quota and daily_picture_ceiling in their lines, and nothing else may change."
  }

  assert {
    condition = aws_appsync_resolver.create_pic.pipeline_config[0].functions == tolist([
      for step in module.contract.api.pipelines.createAIPic.functions : aws_appsync_function.create_pic[step.name].function_id
    ])
    error_message = "createAIPic must run the contract's functions in its order."
  }
}

run "quota_line_missing_is_refused" {
  command = plan

  variables {
    resolvers_dir = "tests/fixtures/resolvers-without-quota"
  }

  expect_failures = [aws_appsync_resolver.create_pic]
}

run "ceiling_line_missing_is_refused" {
  command = plan

  variables {
    resolvers_dir = "tests/fixtures/resolvers-without-ceiling"
  }

  expect_failures = [aws_appsync_resolver.create_pic]
}
