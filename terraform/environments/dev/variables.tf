variable "region" {
  description = "AWS region of the environment."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "allowed_account_ids" {
  description = "AWS account ids this environment may be applied to (guards against the wrong credentials); null allows any."
  type        = list(string)
  default     = null

  validation {
    condition     = var.allowed_account_ids == null || alltrue([for id in coalesce(var.allowed_account_ids, []) : can(regex("^[0-9]{12}$", id))])
    error_message = "allowed_account_ids must be 12-digit AWS account ids."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name in this environment."
  type        = string
  default     = "aipic-dev"
}

variable "tags" {
  description = "Extra tags for every resource (added to project/environment/managed_by)."
  type        = map(string)
  default     = {}
}

variable "replicate_model_version" {
  description = "Replicate model version id (64 hex characters) of the Stable Diffusion model to run."
  type        = string
}

variable "daily_picture_quota" {
  description = "Pictures one user may create per UTC day."
  type        = number
  default     = 25
}

variable "cors_allowed_origins" {
  description = "Browser origins allowed to GET pictures from the bucket, e.g. [\"http://localhost:5173\"]; empty means no CORS rule."
  type        = list(string)
  default     = []
}

variable "access_log_bucket" {
  description = "Existing bucket receiving the pictures bucket's S3 access logs; null disables them."
  type        = string
  default     = null
}

variable "alarm_actions" {
  description = "ARNs (e.g. an SNS topic) notified when a dead-letter queue receives messages."
  type        = list(string)
  default     = []
}
