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
  default     = "aipic-prod"
}

variable "tags" {
  description = "Extra tags for every resource (added to project/environment/managed_by)."
  type        = map(string)
  default     = {}
}

variable "replicate_model" {
  description = "The Replicate model to run: an official model's owner/name (e.g. stability-ai/stable-diffusion-3.5-large) or a model version id (64 hex characters, alone or as owner/name:<id>)."
  type        = string
}

variable "daily_picture_quota" {
  description = "Pictures one user may create per UTC day."
  type        = number
  default     = 10
}

variable "cors_allowed_origins" {
  description = "Browser origins allowed to GET pictures from the bucket, e.g. [\"https://app.example.com\"]; empty means no CORS rule."
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

variable "daily_picture_ceiling" {
  description = "Pictures all users together may create per UTC day (bounds the Replicate bill however many accounts sign up); past it createAIPic fails with errorType GlobalQuotaExceeded."
  type        = number
  default     = 1000
}

variable "prediction_rate_alarm_threshold" {
  description = "Generate invocations (Replicate predictions started) per 5 minutes above which an alarm notifies alarm_actions."
  type        = number
  default     = 100
}

variable "threat_protection_mode" {
  description = "Cognito threat protection: \"OFF\", \"AUDIT\" or \"ENFORCED\" (AUDIT and ENFORCED use the Plus feature plan, billed per monthly active user)."
  type        = string
  default     = "ENFORCED"
}

variable "ses_email" {
  description = "Verified SES identity Cognito sends verification and password-reset emails through: { source_arn = \"arn:aws:ses:<region>:<account>:identity/<domain>\", from_email_address = \"Name <no-reply@domain>\" }. null uses Cognito's own sender, whose small daily allowance scripted sign-ups can use up."
  type = object({
    source_arn             = string
    from_email_address     = string
    reply_to_email_address = optional(string)
    configuration_set      = optional(string)
  })
  default = null
}

variable "sign_up_policy" {
  description = "Who may create an account: \"open\", \"email_domain_allowlist\" (only emails at sign_up_email_domains) or \"admin_only\" (aws cognito-idp admin-create-user)."
  type        = string
  default     = "open"
}

variable "sign_up_email_domains" {
  description = "Email domains allowed to sign up with sign_up_policy \"email_domain_allowlist\", e.g. [\"example.com\"]."
  type        = list(string)
  default     = []
}
