# Inputs the module must refuse, each with its own validation message.

mock_provider "aws" {
  source = "./tests/mocks"
}

# The SDL is text, not a path: tfvars cannot call file(), so it is set here.
variables {
  schema = file("tests/fixtures/schema.graphql")
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

run "rejects_trailing_hyphen_name_prefix" {
  command = plan
  variables {
    name_prefix = "aipic-"
  }
  expect_failures = [var.name_prefix]
}

run "rejects_quota_zero" {
  command = plan
  variables {
    daily_picture_quota = 0
  }
  expect_failures = [var.daily_picture_quota]
}

run "rejects_fractional_quota" {
  command = plan
  variables {
    daily_picture_quota = 2.5
  }
  expect_failures = [var.daily_picture_quota]
}

run "rejects_quota_over_1000" {
  command = plan
  variables {
    daily_picture_quota = 1001
  }
  expect_failures = [var.daily_picture_quota]
}

run "rejects_ceiling_zero" {
  command = plan
  variables {
    daily_picture_ceiling = 0
  }
  expect_failures = [var.daily_picture_ceiling]
}

run "rejects_fractional_ceiling" {
  command = plan
  variables {
    daily_picture_ceiling = 99.5
  }
  expect_failures = [var.daily_picture_ceiling]
}

run "rejects_ceiling_below_the_per_user_quota" {
  command = plan
  variables {
    daily_picture_quota   = 30
    daily_picture_ceiling = 29
  }
  expect_failures = [var.daily_picture_ceiling]
}

run "rejects_unsupported_retention" {
  command = plan
  variables {
    log_retention_days = 100
  }
  expect_failures = [var.log_retention_days]
}

run "rejects_unknown_field_log_level" {
  command = plan
  variables {
    field_log_level = "VERBOSE"
  }
  expect_failures = [var.field_log_level]
}

run "rejects_kms_alias_instead_of_key_arn" {
  command = plan
  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:alias/aipic"
  }
  expect_failures = [var.kms_key_arn]
}

run "rejects_table_name_as_arn" {
  command = plan
  variables {
    table_arn = "aipic-test-pics"
  }
  expect_failures = [var.table_arn]
}

run "rejects_qualified_function_arn" {
  command = plan
  variables {
    generate_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-generate:live"
  }
  expect_failures = [var.generate_function_arn]
}

run "rejects_malformed_user_pool_id" {
  command = plan
  variables {
    user_pool_id = "not-a-pool"
  }
  expect_failures = [var.user_pool_id]
}

run "rejects_a_schema_path_instead_of_its_text" {
  command = plan
  variables {
    schema = "../../schema.graphql"
  }
  expect_failures = [var.schema]
}

# listAIPics.js queries the contract's owner index; IAM must grant that one.
run "rejects_an_owner_index_other_than_the_contracts" {
  command = plan
  variables {
    owner_index_name = "byCreator"
  }
  expect_failures = [aws_iam_role_policy.pics_data_source]
}
