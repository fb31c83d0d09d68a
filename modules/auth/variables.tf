variable "name_prefix" {
  description = "Prefix of every resource name, e.g. \"aipic-prod\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,28}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-30 characters of lowercase letters, digits and hyphens, start with a letter and end with a letter or digit."
  }
}

variable "tags" {
  description = "Tags applied to every taggable resource of this module (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}

variable "bucket_arn" {
  description = "ARN of the pictures bucket (modules/data output bucket_arn); signed-in users may read their own pics/<sub>/ prefix of it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_arn))
    error_message = "bucket_arn must be an S3 bucket ARN such as arn:aws:s3:::my-bucket (no object path)."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key the bucket is encrypted with (modules/data output kms_key_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/<key id>."
  }
}

variable "deletion_protection" {
  description = "Protect the user pool (and so every account in it) from deletion."
  type        = bool
  default     = true
}

variable "mfa_configuration" {
  description = "Multi-factor authentication with a TOTP app: \"OFF\", \"OPTIONAL\" (each user may enrol) or \"ON\" (required for everyone)."
  type        = string
  default     = "OPTIONAL"

  validation {
    condition     = contains(["OFF", "OPTIONAL", "ON"], var.mfa_configuration)
    error_message = "mfa_configuration must be one of OFF, OPTIONAL, ON."
  }
}

variable "password_minimum_length" {
  description = "Minimum password length; passwords must also mix lower and upper case letters, digits and symbols."
  type        = number
  default     = 12

  validation {
    condition     = var.password_minimum_length >= 8 && var.password_minimum_length <= 99 && floor(var.password_minimum_length) == var.password_minimum_length
    error_message = "password_minimum_length must be a whole number from 8 to 99."
  }
}

variable "access_token_validity_minutes" {
  description = "Lifetime of access and ID tokens, in minutes."
  type        = number
  default     = 60

  validation {
    condition     = var.access_token_validity_minutes >= 5 && var.access_token_validity_minutes <= 1440 && floor(var.access_token_validity_minutes) == var.access_token_validity_minutes
    error_message = "access_token_validity_minutes must be a whole number from 5 to 1440 (Cognito's limits)."
  }
}

variable "refresh_token_validity_days" {
  description = "Lifetime of refresh tokens, in days: how long a user stays signed in without entering the password."
  type        = number
  default     = 30

  validation {
    condition     = var.refresh_token_validity_days >= 1 && var.refresh_token_validity_days <= 3650 && floor(var.refresh_token_validity_days) == var.refresh_token_validity_days
    error_message = "refresh_token_validity_days must be a whole number from 1 to 3650."
  }
}

variable "admin_password_auth_enabled" {
  description = "Also allow ADMIN_USER_PASSWORD_AUTH, a server-side sign-in that needs IAM credentials (cognito-idp:AdminInitiateAuth); lets operators get tokens from the AWS CLI. Browsers and apps use SRP either way."
  type        = bool
  default     = false
}
