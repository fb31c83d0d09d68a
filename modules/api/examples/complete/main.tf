# modules/api with every input set: a named owner index, tighter daily limits,
# longer log retention, field logs of failing fields only, X-Ray off, a WAF web ACL in front, and
# the resolvers from the module's own resolvers/ directory (the default, spelt out).

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

variable "waf_web_acl_arn" {
  description = "A regional WAFv2 web ACL to associate with the API."
  type        = string
}

module "api" {
  source = "../.."

  name_prefix           = "aipic-example"
  tags                  = { owner = "team-pictures" }
  schema                = var.schema
  resolvers_dir         = null
  user_pool_id          = var.user_pool_id
  table_name            = var.table_name
  table_arn             = var.table_arn
  owner_index_name      = null
  kms_key_arn           = var.kms_key_arn
  generate_function_arn = var.generate_function_arn
  daily_picture_quota   = 10
  daily_picture_ceiling = 200
  xray_enabled          = false
  log_retention_days    = 731
  field_log_level       = "ERROR"
  waf_web_acl_arn       = var.waf_web_acl_arn
}

output "graphql_url" {
  description = "The GraphQL endpoint clients call."
  value       = module.api.graphql_url
}

output "daily_picture_limits" {
  description = "The per-user quota and the all-users ceiling the resolvers enforce."
  value       = module.api.daily_picture_limits
}
