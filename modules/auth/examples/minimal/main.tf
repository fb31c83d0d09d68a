# The smallest use of modules/auth: a user pool (open sign-up, optional TOTP MFA,
# SRP sign-in only), its app client and an identity pool whose signed-in users
# read their own pics/<sub>/ prefix of the pictures bucket. The bucket and key
# come from modules/data (terraform/stack wires them).

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

variable "bucket_arn" {
  description = "The pictures bucket (modules/data output bucket_arn)."
  type        = string
}

variable "kms_key_arn" {
  description = "The key the bucket is encrypted with (modules/data output kms_key_arn)."
  type        = string
}

module "auth" {
  source = "../.."

  name_prefix = "aipic-example"
  bucket_arn  = var.bucket_arn
  kms_key_arn = var.kms_key_arn
}

output "user_pool_id" {
  description = "The user pool."
  value       = module.auth.user_pool_id
}

output "user_pool_client_id" {
  description = "The app client (SRP sign-in)."
  value       = module.auth.user_pool_client_id
}
