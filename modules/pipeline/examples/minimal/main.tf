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
    functions          = object({ path = string, sha256_base64 = string })
    dependencies_layer = object({ path = string, sha256_base64 = string })
  })
}

variable "data" {
  description = "modules/data's outputs: table_name, table_arn, table_stream_arn, pending_index_name, bucket_name, bucket_arn, kms_key_arn."
  type        = map(string)
}

variable "api" {
  description = "modules/api's outputs: graphql_url, publish_field_arn."
  type        = map(string)
}

module "pipeline" {
  source = "../.."

  name_prefix        = "aipic-example"
  replicate_model    = "stability-ai/stable-diffusion-3.5-large"
  artifacts          = var.artifacts
  table_name         = var.data.table_name
  table_arn          = var.data.table_arn
  table_stream_arn   = var.data.table_stream_arn
  pending_index_name = var.data.pending_index_name
  bucket_name        = var.data.bucket_name
  bucket_arn         = var.data.bucket_arn
  kms_key_arn        = var.data.kms_key_arn
  graphql_url        = var.api.graphql_url
  publish_field_arn  = var.api.publish_field_arn
}

output "webhook_url" {
  description = "Where Replicate posts the finished predictions."
  value       = module.pipeline.webhook_url
}

output "replicate_token_parameter_name" {
  description = "Put the Replicate API token here (aws ssm put-parameter)."
  value       = module.pipeline.replicate_token_parameter_name
}
