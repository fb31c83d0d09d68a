variable "name_prefix" {
  description = "Prefix of every name this module creates, for example \"aipic-dev\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,28}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-30 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "tags" {
  description = "Tags applied to every taggable resource (the root also sets provider default_tags)."
  type        = map(string)
  default     = {}
}

variable "schema" {
  description = "The GraphQL schema the API serves, as SDL text: pass file() of the schema file (the repository's schema.graphql), not its path."
  type        = string

  validation {
    condition     = can(regex("(?m)^\\s*type\\s+Query\\b", var.schema))
    error_message = "schema must be GraphQL SDL text with a Query type, e.g. file(\"$${path.root}/schema.graphql\"); a file path is not enough."
  }
}

variable "resolvers_dir" {
  description = "Directory holding the APPSYNC_JS resolver and function files; null means \"<module>/resolvers\"."
  type        = string
  default     = null
}

variable "user_pool_id" {
  description = "Cognito user pool id used as the API's default authorization (modules/auth output user_pool_id)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-\\d_[0-9A-Za-z]+$", var.user_pool_id))
    error_message = "user_pool_id must look like \"eu-west-1_AbCdEf123\"."
  }
}

variable "table_name" {
  description = "Name of the pics table (modules/data output table_name)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.table_name))
    error_message = "table_name must be a valid DynamoDB table name (3-255 of A-Z, a-z, 0-9, _ . -)."
  }
}

variable "table_arn" {
  description = "ARN of the pics table (modules/data output table_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\\d{12}:table/[A-Za-z0-9_.-]{3,255}$", var.table_arn))
    error_message = "table_arn must be a DynamoDB table ARN (arn:<partition>:dynamodb:<region>:<account>:table/<name>)."
  }
}

variable "owner_index_name" {
  description = "Name of the table's owner/createdAt global secondary index that listAIPics queries (modules/data output owner_index_name); null means the contract's (modules/contract), the one listAIPics.js names."
  type        = string
  default     = null

  validation {
    condition     = var.owner_index_name == null || can(regex("^[A-Za-z0-9_.-]{3,255}$", var.owner_index_name))
    error_message = "owner_index_name must be a valid DynamoDB index name."
  }
}

variable "kms_key_arn" {
  description = "ARN of the environment's customer-managed KMS key (modules/data output kms_key_arn): encrypts the API's log group; the DynamoDB data source may use it through DynamoDB."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:key/[0-9a-f-]{36}$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<uuid>), not an alias."
  }
}

variable "generate_function_arn" {
  description = "ARN of the generate Lambda function (modules/pipeline output generate_function_arn), invoked asynchronously by the createAIPic pipeline."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\\d{12}:function:[A-Za-z0-9_-]{1,64}$", var.generate_function_arn))
    error_message = "generate_function_arn must be an unqualified Lambda function ARN (arn:<partition>:lambda:<region>:<account>:function:<name>)."
  }
}

variable "daily_picture_quota" {
  description = "Pictures one user may create per UTC day; substituted into createAIPic.js."
  type        = number
  default     = 25

  validation {
    condition     = var.daily_picture_quota >= 1 && var.daily_picture_quota <= 1000 && floor(var.daily_picture_quota) == var.daily_picture_quota
    error_message = "daily_picture_quota must be a whole number between 1 and 1000."
  }
}

variable "xray_enabled" {
  description = "Whether AppSync sends X-Ray traces."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the API's CloudWatch log group, in days (one of the values CloudWatch accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "field_log_level" {
  description = "AppSync field-level log level: ERROR logs only failing fields (the default); ALL/INFO/DEBUG log every field and may include user prompts."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["NONE", "ERROR", "INFO", "DEBUG", "ALL"], var.field_log_level)
    error_message = "field_log_level must be one of NONE, ERROR, INFO, DEBUG, ALL."
  }
}

variable "waf_web_acl_arn" {
  description = "Optional ARN of a regional WAFv2 web ACL to associate with the API (null: none)."
  type        = string
  default     = null

  validation {
    condition     = var.waf_web_acl_arn == null || can(regex("^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\\d{12}:regional/webacl/.+$", coalesce(var.waf_web_acl_arn, "-")))
    error_message = "waf_web_acl_arn must be a regional WAFv2 web ACL ARN."
  }
}

variable "daily_picture_ceiling" {
  description = "Pictures all users together may create per UTC day (bounds the Replicate bill however many accounts sign up); substituted into createAIPic.js. Calls past it fail with errorType GlobalQuotaExceeded."
  type        = number
  default     = 1000

  validation {
    condition     = var.daily_picture_ceiling >= 1 && var.daily_picture_ceiling <= 1000000 && floor(var.daily_picture_ceiling) == var.daily_picture_ceiling
    error_message = "daily_picture_ceiling must be a whole number between 1 and 1000000."
  }

  validation {
    condition     = var.daily_picture_ceiling >= var.daily_picture_quota
    error_message = "daily_picture_ceiling (all users per day) must be at least daily_picture_quota (one user per day)."
  }
}
