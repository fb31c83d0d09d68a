variable "name_prefix" {
  description = "Prefix of every resource name, e.g. \"aipic-prod\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,28}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-30 characters of lowercase letters, digits and hyphens, start with a letter and end with a letter or digit."
  }
}

variable "tags" {
  description = "Tags applied to every resource of this module (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}

variable "table_deletion_protection" {
  description = "Protect the pics table from deletion. Turn off only for throw-away environments."
  type        = bool
  default     = true
}

variable "bucket_force_destroy" {
  description = "Let `terraform destroy` delete the bucket with all its objects and versions. Keep false where the pictures matter."
  type        = bool
  default     = false
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which overwritten or deleted picture versions are removed."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && var.noncurrent_version_expiration_days <= 3650 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number from 1 to 3650."
  }
}

variable "access_log_bucket" {
  description = "Name of an existing bucket that receives the pics bucket's S3 server access logs; null disables access logging."
  type        = string
  default     = null

  validation {
    condition     = var.access_log_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket))
    error_message = "access_log_bucket must be null or a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "cors_allowed_origins" {
  description = "Browser origins allowed to GET pictures straight from the bucket (e.g. [\"https://app.example.com\"]); empty means no CORS rule."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for origin in var.cors_allowed_origins : can(regex("^(https?://[^/\\s]+|\\*)$", origin))])
    error_message = "Each CORS origin must be a scheme and host without a path (e.g. https://app.example.com), or \"*\"."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the customer-managed KMS key is deleted after `terraform destroy`."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30 && floor(var.kms_deletion_window_days) == var.kms_deletion_window_days
    error_message = "kms_deletion_window_days must be a whole number from 7 to 30."
  }
}
