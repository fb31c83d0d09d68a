# modules/auth with every input set, as a production pool would be: MFA
# required, longer passwords, sign-up limited to one email domain (a pre sign-up
# trigger from build.py's functions zip), threat protection in audit mode,
# Cognito's emails through a verified SES identity, and the CLI sign-in
# (ADMIN_USER_PASSWORD_AUTH) allowed for operators.

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

variable "functions_artifact" {
  description = "build.py's functions zip: its path and base64 SHA-256 (dist/manifest.json)."
  type = object({
    path          = string
    sha256_base64 = string
  })
}

variable "ses_source_arn" {
  description = "A verified SES identity, arn:aws:ses:<region>:<account>:identity/<domain>."
  type        = string
}

module "auth" {
  source = "../.."

  name_prefix                   = "aipic-example"
  tags                          = { owner = "team-pictures" }
  bucket_arn                    = var.bucket_arn
  kms_key_arn                   = var.kms_key_arn
  deletion_protection           = true
  mfa_configuration             = "ON"
  password_minimum_length       = 14
  access_token_validity_minutes = 30
  refresh_token_validity_days   = 7
  admin_password_auth_enabled   = true
  sign_up_policy                = "email_domain_allowlist"
  sign_up_email_domains         = ["example.com"]
  functions_artifact            = var.functions_artifact
  architecture                  = "arm64"
  log_retention_days            = 731
  threat_protection_mode        = "AUDIT"
  ses_email = {
    source_arn             = var.ses_source_arn
    from_email_address     = "Pictures <no-reply@example.com>"
    reply_to_email_address = "support@example.com"
  }
}

output "user_pool_id" {
  description = "The user pool."
  value       = module.auth.user_pool_id
}

output "user_pool_security" {
  description = "MFA, threat protection and sign-up settings as applied."
  value       = module.auth.user_pool_security
}
