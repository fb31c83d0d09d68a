# The smallest use of modules/pipeline: the generate, webhook, on-upload,
# publish and sweeper functions, the webhook's HTTP API and the SSM parameters
# for the Replicate token and webhook secret, every setting at its default. It
# runs Stability AI's Stable Diffusion 3.5 Large, an official Replicate model
# (owner/name, always its latest version, priced per image). The table, bucket,
# key and API come from modules/data and modules/api (terraform/stack wires them).

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

variable "artifacts" {
  description = "build.py's zips and their base64 SHA-256, as dist/manifest.json lists them (paths as Terraform opens them)."
  type = object({
    functions = object({ path = string, sha256_base64 = string })
  })
}

variable "table_name" {
  description = "The pics table (modules/data output table_name)."
  type        = string
}

variable "table_arn" {
  description = "The pics table's ARN (modules/data output table_arn)."
  type        = string
}

variable "table_stream_arn" {
  description = "The table's stream (modules/data output table_stream_arn)."
  type        = string
}

variable "pending_index_name" {
  description = "The sparse index of pictures not final yet (modules/data output pending_index_name)."
  type        = string
}

variable "bucket_name" {
  description = "The pictures bucket (modules/data output bucket_name)."
  type        = string
}

variable "bucket_arn" {
  description = "The pictures bucket's ARN (modules/data output bucket_arn)."
  type        = string
}

variable "kms_key_arn" {
  description = "The environment's key (modules/data output kms_key_arn)."
  type        = string
}

variable "graphql_url" {
  description = "The GraphQL endpoint publish posts to (modules/api output graphql_url)."
  type        = string
}

variable "publish_field_arn" {
  description = "The API's Mutation.publish field (modules/api output publish_field_arn)."
  type        = string
}

module "pipeline" {
  source = "../.."

  name_prefix        = "aipic-example"
  replicate_model    = "stability-ai/stable-diffusion-3.5-large"
  artifacts          = var.artifacts
  table_name         = var.table_name
  table_arn          = var.table_arn
  table_stream_arn   = var.table_stream_arn
  pending_index_name = var.pending_index_name
  bucket_name        = var.bucket_name
  bucket_arn         = var.bucket_arn
  kms_key_arn        = var.kms_key_arn
  graphql_url        = var.graphql_url
  publish_field_arn  = var.publish_field_arn
}

output "webhook_url" {
  description = "Where Replicate posts the finished predictions."
  value       = module.pipeline.webhook_url
}

output "replicate_token_parameter_name" {
  description = "Put the Replicate API token here (aws ssm put-parameter)."
  value       = module.pipeline.replicate_token_parameter_name
}
