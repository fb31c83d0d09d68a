# modules/data with every input set: a disposable environment (no deletion
# protection, force-destroyable bucket, short key window), browser downloads
# from one origin, and S3 access logs into a bucket the account already has.

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

variable "access_log_bucket" {
  description = "An existing bucket that receives the pictures bucket's S3 server access logs."
  type        = string
}

module "data" {
  source = "../.."

  name_prefix                        = "aipic-example"
  tags                               = { owner = "team-pictures" }
  table_deletion_protection          = false
  bucket_force_destroy               = true
  noncurrent_version_expiration_days = 7
  kms_deletion_window_days           = 7
  cors_allowed_origins               = ["https://app.example.com"]
  access_log_bucket                  = var.access_log_bucket
}

output "table_name" {
  description = "The pics table."
  value       = module.data.table_name
}

output "bucket_name" {
  description = "The pictures bucket."
  value       = module.data.bucket_name
}

output "protection" {
  description = "What protects the data from a destroy (all off here)."
  value       = module.data.protection
}
