# The smallest use of modules/api: the AppSync API serving the given schema with
# the module's resolvers, user-pool auth and IAM for publish, every setting at
# its default (25 pictures per user and 1000 in all per UTC day, X-Ray on,
# field logs at ERROR). The user pool, table, key and generate function come
# from modules/auth, data and pipeline (terraform/stack wires them).

terraform {
  required_version = ">= 1.11.4, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

variable "schema" {
  description = "The GraphQL schema as SDL text: file() of the repository's schema.graphql."
  type        = string
}

variable "user_pool_id" {
  description = "The Cognito user pool (modules/auth output user_pool_id)."
  type        = string
}

variable "table_name" {
  description = "The pics table (modules/data output table_name)."
  type        = string
}

variable "table_arn" {
  description = "The pics table's ARN (modules/data output table_arn)."
  type        = string
}

variable "kms_key_arn" {
  description = "The environment's key (modules/data output kms_key_arn)."
  type        = string
}

variable "generate_function_arn" {
  description = "The generate function (modules/pipeline output generate_function_arn)."
  type        = string
}

module "api" {
  source = "../.."

  name_prefix           = "aipic-example"
  schema                = var.schema
  user_pool_id          = var.user_pool_id
  table_name            = var.table_name
  table_arn             = var.table_arn
  kms_key_arn           = var.kms_key_arn
  generate_function_arn = var.generate_function_arn
}

output "graphql_url" {
  description = "The GraphQL endpoint clients call."
  value       = module.api.graphql_url
}
