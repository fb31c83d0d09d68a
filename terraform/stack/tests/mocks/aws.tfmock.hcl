# One fake AWS account for every `terraform test` (modules/* and terraform/stack):
# account 123456789012, region eu-west-1, name prefix aipic-test.
#
# The mock provider invents random strings for computed attributes; these
# defaults give each resource type realistic identifiers instead, because the
# modules validate the ARNs, ids and URLs they receive from each other.
#
# This file is the source; each module keeps a byte-identical copy in its own
# tests/mocks/ (so a module is tested without reaching outside itself), loaded with
#   mock_provider "aws" { source = "./tests/mocks" }
# Edit this one, then `make terraform-mocks` rewrites the copies;
# tests/terraform/test_mock_copies.py fails while any copy differs. Values that
# one test pins down for a single resource instance stay in that test as
# override_resource.

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
    arn        = "arn:aws:iam::123456789012:user/ci"
    user_id    = "AIDAEXAMPLEUSERID0001"
  }
}

mock_data "aws_region" {
  defaults = {
    name        = "eu-west-1"
    description = "Europe (Ireland)"
    endpoint    = "ec2.eu-west-1.amazonaws.com"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition          = "aws"
    dns_suffix         = "amazonaws.com"
    reverse_dns_prefix = "com.amazonaws"
  }
}

# modules/data

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:eu-west-1:123456789012:key/0d6c1a52-8f1e-4f0b-9a8e-2f6a3c1d9b70"
    key_id = "0d6c1a52-8f1e-4f0b-9a8e-2f6a3c1d9b70"
  }
}

mock_resource "aws_dynamodb_table" {
  defaults = {
    arn        = "arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics"
    stream_arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics/stream/2025-01-01T00:00:00.000"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn = "arn:aws:s3:::aipic-test-pics-123456789012"
    id  = "aipic-test-pics-123456789012"
  }
}

# modules/auth

mock_resource "aws_cognito_user_pool" {
  defaults = {
    id       = "eu-west-1_AbCdEfGhI"
    arn      = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEfGhI"
    endpoint = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI"
  }
}

mock_resource "aws_cognito_user_pool_client" {
  defaults = {
    id = "4s1ex2ampleclient7id0fd9k3"
  }
}

mock_resource "aws_cognito_identity_pool" {
  defaults = {
    id = "eu-west-1:3f1c2b9e-7d6a-4c5b-8e9f-0a1b2c3d4e5f"
  }
}

# modules/api

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

# modules/pipeline

mock_resource "aws_lambda_function" {
  defaults = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-function"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-function/invocations"
  }
}

mock_resource "aws_lambda_layer_version" {
  defaults = {
    arn = "arn:aws:lambda:eu-west-1:123456789012:layer:aipic-test-dependencies:1"
  }
}

mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:aipic-test-failures"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/aipic-test-failures"
  }
}

mock_resource "aws_cloudwatch_event_rule" {
  defaults = {
    arn = "arn:aws:events:eu-west-1:123456789012:rule/aipic-test-rule"
  }
}

mock_resource "aws_ssm_parameter" {
  defaults = {
    arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/aipic-test/replicate/parameter"
  }
}

mock_resource "aws_apigatewayv2_api" {
  defaults = {
    id            = "a1b2c3d4e5"
    api_endpoint  = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
    execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
  }
}

mock_resource "aws_apigatewayv2_stage" {
  defaults = {
    invoke_url = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/"
  }
}

# Shared by several modules

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/aipic-test-role"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aipic-test/log-group"
  }
}
