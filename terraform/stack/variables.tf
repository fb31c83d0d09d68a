# Every setting an environment chooses. Values that only pass through to one
# module (CORS origins, access-log bucket, alarm actions) are validated there.

variable "name_prefix" {
  description = "Prefix of every resource name, e.g. \"aipic-prod\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,28}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-30 characters of lowercase letters, digits and hyphens, start with a letter and end with a letter or digit."
  }
}

variable "tags" {
  description = "Tags for every resource, on top of the provider's default_tags."
  type        = map(string)
  default     = {}
}

variable "artifacts_dir" {
  description = "Directory holding build.py's output, as Terraform should open it (e.g. \"$${path.root}/../../../dist\"); the manifest's paths are relative to it."
  type        = string

  validation {
    condition     = length(var.artifacts_dir) > 0 && !endswith(var.artifacts_dir, "/")
    error_message = "artifacts_dir must be a directory path without a trailing slash."
  }
}

variable "artifacts_manifest" {
  description = "build.py's dist/manifest.json, decoded (jsondecode(file(...))): the architecture and, per artifact, its path and base64 SHA-256."
  type = object({
    architecture = string
    artifacts    = map(object({ path = string, sha256_base64 = string }))
  })

  validation {
    condition     = contains(["arm64", "x86_64"], var.artifacts_manifest.architecture)
    error_message = "The manifest's architecture must be \"arm64\" or \"x86_64\"."
  }

  validation {
    condition     = toset(keys(var.artifacts_manifest.artifacts)) == toset(["functions", "dependencies_layer"])
    error_message = "The manifest must list exactly the artifacts functions and dependencies_layer (run build.py)."
  }
}

variable "deletion_protection" {
  description = "Protects user data from `terraform destroy`: table and user pool deletion protection on, bucket force-destroy off. false makes the environment disposable."
  type        = bool
}

variable "noncurrent_version_expiration_days" {
  description = "Days an overwritten or deleted picture version is kept."
  type        = number

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && var.noncurrent_version_expiration_days <= 3650 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number from 1 to 3650."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period (days) before the KMS key is deleted after a destroy."
  type        = number

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30 && floor(var.kms_deletion_window_days) == var.kms_deletion_window_days
    error_message = "kms_deletion_window_days must be a whole number from 7 to 30."
  }
}

variable "password_minimum_length" {
  description = "Minimum length of user passwords."
  type        = number

  validation {
    condition     = var.password_minimum_length >= 8 && var.password_minimum_length <= 99 && floor(var.password_minimum_length) == var.password_minimum_length
    error_message = "password_minimum_length must be a whole number from 8 to 99."
  }
}

variable "admin_password_auth_enabled" {
  description = "Allows ADMIN_USER_PASSWORD_AUTH (IAM-authenticated sign-in, e.g. `aws cognito-idp admin-initiate-auth` to fetch tokens for testing); false leaves SRP only."
  type        = bool
}

variable "log_retention_days" {
  description = "Retention of the API's and the functions' log groups (a value CloudWatch Logs accepts)."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "function_log_level" {
  description = "Log level of the Lambda functions."
  type        = string

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.function_log_level)
    error_message = "function_log_level must be one of DEBUG, INFO, WARNING, ERROR."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions per function: protects the account's other functions (the Replicate bill is bounded by daily_picture_ceiling, not by concurrency)."
  type = object({
    generate  = number
    webhook   = number
    on_upload = number
    publish   = number
  })

  validation {
    condition     = alltrue([for limit in values(var.reserved_concurrency) : (limit == -1 || (limit >= 1 && limit <= 1000)) && floor(limit) == limit])
    error_message = "Each reserved concurrency must be -1 (unreserved) or a whole number from 1 to 1000; 0 would disable the function."
  }
}

variable "webhook_throttling" {
  description = "Throttling of the public webhook route: burst (requests) and steady rate (requests per second)."
  type = object({
    burst_limit = number
    rate_limit  = number
  })

  validation {
    condition     = var.webhook_throttling.burst_limit >= 1 && var.webhook_throttling.rate_limit > 0
    error_message = "webhook_throttling needs a burst_limit of at least 1 and a positive rate_limit."
  }
}

variable "daily_picture_quota" {
  description = "Pictures one user may create per UTC day."
  type        = number

  validation {
    condition     = var.daily_picture_quota >= 1 && var.daily_picture_quota <= 1000 && floor(var.daily_picture_quota) == var.daily_picture_quota
    error_message = "daily_picture_quota must be a whole number from 1 to 1000."
  }
}

variable "replicate_model_version" {
  description = "Replicate model version id (64 hex characters) of the Stable Diffusion model to run."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.replicate_model_version))
    error_message = "replicate_model_version must be a Replicate version id: 64 lowercase hex characters."
  }
}

variable "cors_allowed_origins" {
  description = "Browser origins allowed to GET pictures from the bucket; empty means no CORS rule (validated by modules/data)."
  type        = list(string)
  default     = []
}

variable "access_log_bucket" {
  description = "Existing bucket receiving the pictures bucket's S3 access logs; null disables them (validated by modules/data)."
  type        = string
  default     = null
}

variable "alarm_actions" {
  description = "ARNs (e.g. an SNS topic) notified when a dead-letter queue receives messages (validated by modules/pipeline)."
  type        = list(string)
  default     = []
}

variable "picture_deadline_minutes" {
  description = "Minutes after creation by which every picture is COMPLETED or FAILED; the sweeper fails the overdue ones (validated by modules/pipeline)."
  type        = number
  default     = 30
}

variable "sweep_interval_minutes" {
  description = "Minutes between two sweeps for overdue pictures (validated by modules/pipeline)."
  type        = number
  default     = 5
}

variable "image_fetch_allow_loopback" {
  description = "Let the webhook download images from loopback addresses: only for a local stack whose Replicate stand-in serves from 127.0.0.1; dev and prod keep false (validated by modules/pipeline)."
  type        = bool
  default     = false
  nullable    = false
}

variable "replicate_api_url" {
  description = "Base URL of the Replicate HTTP API (validated by modules/pipeline); the local environment points it at the loopback stand-in."
  type        = string
  default     = "https://api.replicate.com/v1"
}

variable "image_host_allowlist" {
  description = "Hosts the webhook may download generated pictures from, each with its subdomains (validated by modules/pipeline)."
  type        = list(string)
  default     = ["replicate.delivery"]
}

variable "allowed_image_url_schemes" {
  description = "URL schemes the webhook may download pictures over; [\"https\"] except for a loopback stand-in (validated by modules/pipeline)."
  type        = list(string)
  default     = ["https"]
}

variable "daily_picture_ceiling" {
  description = "Pictures all users together may create per UTC day: bounds the Replicate bill however many accounts sign up (at least daily_picture_quota; validated by modules/api)."
  type        = number
}

variable "prediction_rate_alarm_threshold" {
  description = "Generate invocations (Replicate predictions started) per 5 minutes above which an alarm notifies alarm_actions (validated by modules/pipeline)."
  type        = number
  default     = 100
}

variable "mfa_configuration" {
  description = "Cognito MFA with a TOTP app: \"OFF\", \"OPTIONAL\" (each user may enrol) or \"ON\" (required for every user; prod)."
  type        = string

  validation {
    condition     = contains(["OFF", "OPTIONAL", "ON"], var.mfa_configuration)
    error_message = "mfa_configuration must be one of OFF, OPTIONAL, ON."
  }
}

variable "threat_protection_mode" {
  description = "Cognito threat protection: \"OFF\", \"AUDIT\" or \"ENFORCED\" (the last two on the Plus plan; validated by modules/auth)."
  type        = string
  default     = "OFF"
}

variable "ses_email" {
  description = "Verified SES identity Cognito sends its emails through ({ source_arn, from_email_address, reply_to_email_address?, configuration_set? }); null keeps Cognito's own sender with its small daily allowance (validated by modules/auth)."
  type = object({
    source_arn             = string
    from_email_address     = string
    reply_to_email_address = optional(string)
    configuration_set      = optional(string)
  })
  default = null
}

variable "sign_up_policy" {
  description = "Who may create an account: \"open\", \"email_domain_allowlist\" (sign_up_email_domains, through a pre sign-up trigger) or \"admin_only\" (validated by modules/auth)."
  type        = string
  default     = "open"
}

variable "sign_up_email_domains" {
  description = "Email domains allowed to sign up with sign_up_policy \"email_domain_allowlist\" (validated by modules/auth)."
  type        = list(string)
  default     = []
}

variable "require_alarm_actions" {
  description = "Refuse a plan whose alarm_actions is empty, so the failure-queue and prediction-rate alarms always notify someone (prod sets it)."
  type        = bool
  default     = false

  validation {
    condition     = !var.require_alarm_actions || length(var.alarm_actions) > 0
    error_message = "This environment requires alarm_actions: give at least one ARN (e.g. an SNS topic) to notify when a dead-letter queue fills or predictions start at an unusual rate."
  }
}
