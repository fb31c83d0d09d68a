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

variable "sign_up_policy" {
  description = "Who may create an account: \"open\" (anyone with an email address), \"email_domain_allowlist\" (only emails at sign_up_email_domains, checked by a pre sign-up Lambda trigger) or \"admin_only\" (no self-service sign-up; operators create users, e.g. aws cognito-idp admin-create-user)."
  type        = string
  default     = "open"

  validation {
    condition     = contains(["open", "email_domain_allowlist", "admin_only"], var.sign_up_policy)
    error_message = "sign_up_policy must be one of open, email_domain_allowlist, admin_only."
  }
}

variable "sign_up_email_domains" {
  description = "Email domains that may sign up when sign_up_policy is \"email_domain_allowlist\" (exact match, case-insensitive: \"example.com\" does not admit \"mail.example.com\")."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for domain in var.sign_up_email_domains : can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", domain))
    ])
    error_message = "sign_up_email_domains must be lowercase DNS domain names such as example.com (no @, scheme or path)."
  }

  validation {
    condition     = var.sign_up_policy != "email_domain_allowlist" || length(var.sign_up_email_domains) > 0
    error_message = "sign_up_policy \"email_domain_allowlist\" needs at least one domain in sign_up_email_domains."
  }

  validation {
    condition     = var.sign_up_policy == "email_domain_allowlist" || length(var.sign_up_email_domains) == 0
    error_message = "sign_up_email_domains only applies with sign_up_policy \"email_domain_allowlist\"; leave it empty otherwise."
  }
}

variable "functions_artifact" {
  description = "build.py's functions zip (dist/manifest.json artifact functions: path as Terraform should open it, base64 SHA-256); needed only for sign_up_policy \"email_domain_allowlist\", whose trigger runs aipic.handlers.pre_sign_up (standard library only, so no dependencies layer)."
  type = object({
    path          = string
    sha256_base64 = string
  })
  default = null

  validation {
    condition     = var.functions_artifact == null || (endswith(try(var.functions_artifact.path, ""), ".zip") && can(regex("^[A-Za-z0-9+/]{43}=$", try(var.functions_artifact.sha256_base64, ""))))
    error_message = "functions_artifact needs a .zip path and a base64 SHA-256 (44 characters ending in \"=\") as build.py writes into dist/manifest.json."
  }

  validation {
    condition     = var.sign_up_policy != "email_domain_allowlist" || var.functions_artifact != null
    error_message = "sign_up_policy \"email_domain_allowlist\" needs functions_artifact (the pre sign-up trigger's code)."
  }
}

variable "architecture" {
  description = "Instruction set of the pre sign-up function; must match the artifact's build (manifest \"architecture\")."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "log_retention_days" {
  description = "Retention of the pre sign-up function's log group, in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "threat_protection_mode" {
  description = "Cognito threat protection (advanced security) for sign-in: \"OFF\", \"AUDIT\" (detect and log risky sign-ins, compromised credentials) or \"ENFORCED\" (also block or challenge them). AUDIT and ENFORCED put the pool on the Plus feature plan, billed per monthly active user."
  type        = string
  default     = "OFF"

  validation {
    condition     = contains(["OFF", "AUDIT", "ENFORCED"], var.threat_protection_mode)
    error_message = "threat_protection_mode must be one of OFF, AUDIT, ENFORCED."
  }
}

variable "ses_email" {
  description = "Send Cognito's emails (verification codes, password resets) through a verified Amazon SES identity instead of Cognito's own sender, whose small daily allowance scripted sign-ups can use up. null keeps COGNITO_DEFAULT. source_arn: the SES identity (arn:...:ses:<region>:<account>:identity/<domain or address>); from_email_address: the sender, an address of that identity, optionally as \"Name <address>\"."
  type = object({
    source_arn             = string
    from_email_address     = string
    reply_to_email_address = optional(string)
    configuration_set      = optional(string)
  })
  default = null

  validation {
    condition     = var.ses_email == null || can(regex("^arn:aws[a-z-]*:ses:[a-z0-9-]+:[0-9]{12}:identity/[^/]+$", try(var.ses_email.source_arn, "")))
    error_message = "ses_email.source_arn must be a verified SES identity ARN: arn:<partition>:ses:<region>:<account>:identity/<domain or email address>."
  }

  validation {
    condition     = var.ses_email == null || can(regex("^([^<>@]+ <[^<>@\\s]+@[^<>@\\s]+>|[^<>@\\s]+@[^<>@\\s]+)$", try(var.ses_email.from_email_address, "")))
    error_message = "ses_email.from_email_address must be an email address, optionally with a display name: \"noreply@example.com\" or \"Pictures <noreply@example.com>\"."
  }

  validation {
    condition     = var.ses_email == null || try(var.ses_email.reply_to_email_address, null) == null || can(regex("^[^<>@\\s]+@[^<>@\\s]+$", try(var.ses_email.reply_to_email_address, "")))
    error_message = "ses_email.reply_to_email_address must be a plain email address when set."
  }
}
