# Every setting an environment chooses. Each is validated once, by the module
# that uses it (its description says which); only what the stack itself derives
# (the artifacts) or decides (require_alarm_actions) is validated here.

variable "name_prefix" {
  description = "Prefix of every resource name, e.g. \"aipic-prod\" (validated by every module)."
  type        = string
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
  description = "build.py's dist/manifest.json, decoded (jsondecode(file(...))): the architecture (validated by modules/auth and pipeline) and, per artifact, its path and base64 SHA-256. null (the roots pass it while the file is missing) stops the plan with a message to run make build."
  type = object({
    architecture = string
    artifacts    = map(object({ path = string, sha256_base64 = string }))
  })

  validation {
    condition     = var.artifacts_manifest != null
    error_message = "The Lambda artifacts are not built: dist/manifest.json is missing. Run `make build` (python build.py) at the repository root first, then run terraform again."
  }

  validation {
    condition     = var.artifacts_manifest == null || toset(keys(try(var.artifacts_manifest.artifacts, {}))) == toset(["functions"])
    error_message = "The manifest must list exactly the artifact functions (run build.py)."
  }
}

variable "deletion_protection" {
  description = "Protects user data from `terraform destroy`: table and user pool deletion protection on, bucket force-destroy off. false makes the environment disposable."
  type        = bool
}

variable "noncurrent_version_expiration_days" {
  description = "Days an overwritten or deleted picture version is kept (validated by modules/data)."
  type        = number
}

variable "kms_deletion_window_days" {
  description = "Waiting period (days) before the KMS key is deleted after a destroy (validated by modules/data)."
  type        = number
}

variable "password_minimum_length" {
  description = "Minimum length of user passwords (validated by modules/auth)."
  type        = number
}

variable "admin_password_auth_enabled" {
  description = "Allows ADMIN_USER_PASSWORD_AUTH (IAM-authenticated sign-in, e.g. `aws cognito-idp admin-initiate-auth` to fetch tokens for testing); false leaves SRP only."
  type        = bool
}

variable "log_retention_days" {
  description = "Retention of the API's and the functions' log groups (a value CloudWatch Logs accepts; validated by modules/auth, api and pipeline)."
  type        = number
}

variable "function_log_level" {
  description = "Log level of the Lambda functions (validated by modules/pipeline as log_level)."
  type        = string
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions per function: protects the account's other functions (the Replicate bill is bounded by daily_picture_ceiling, not by concurrency) (validated by modules/pipeline)."
  type = object({
    generate  = number
    webhook   = number
    on_upload = number
    publish   = number
  })
}

variable "webhook_throttling" {
  description = "Throttling of the public webhook route: burst (requests) and steady rate (requests per second) (validated by modules/pipeline)."
  type = object({
    burst_limit = number
    rate_limit  = number
  })
}

variable "daily_picture_quota" {
  description = "Pictures one user may create per UTC day (validated by modules/api)."
  type        = number
}

variable "replicate_model" {
  description = "The Replicate model to run: an official model's owner/name (e.g. stability-ai/stable-diffusion-3.5-large) or a version id (validated by modules/pipeline)."
  type        = string
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
  description = "Cognito MFA with a TOTP app: \"OFF\", \"OPTIONAL\" (each user may enrol) or \"ON\" (required for every user; prod) (validated by modules/auth)."
  type        = string
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
