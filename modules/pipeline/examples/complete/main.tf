# modules/pipeline with every input set: a pinned model version (owner/name:<id>),
# x86_64 artifacts, quieter logs kept longer, reserved concurrency and webhook
# throttling sized for more traffic, alarms to an SNS topic, a shorter picture
# deadline and a smaller image cap.

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

variable "alarm_topic_arn" {
  description = "SNS topic notified when a dead-letter queue fills or predictions start at an unusual rate."
  type        = string
}

module "pipeline" {
  source = "../.."

  name_prefix        = "aipic-example"
  tags               = { owner = "team-pictures" }
  replicate_model    = "stability-ai/stable-diffusion:ac732df83cea7fff18b8472768c88ad041fa750ff7682a21affe81863cbe77e4"
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

  architecture                    = "x86_64"
  replicate_api_url               = "https://api.replicate.com/v1"
  image_host_allowlist            = ["replicate.delivery"]
  allowed_image_url_schemes       = ["https"]
  image_fetch_allow_loopback      = false
  max_image_bytes                 = 10485760
  image_download_deadline_seconds = 15
  log_level                       = "WARNING"
  log_retention_days              = 731
  tracing_mode                    = "PassThrough"
  reserved_concurrency            = { generate = 20, webhook = 20, on_upload = 10, publish = 10, sweeper = 1 }
  webhook_throttling              = { burst_limit = 50, rate_limit = 25 }
  alarm_actions                   = [var.alarm_topic_arn]
  picture_deadline_minutes        = 15
  sweep_interval_minutes          = 3
  prediction_rate_alarm_threshold = 300
}

output "webhook_url" {
  description = "Where Replicate posts the finished predictions."
  value       = module.pipeline.webhook_url
}

output "sweeper_settings" {
  description = "The deadline and schedule the sweeper runs with."
  value       = module.pipeline.sweeper_settings
}
