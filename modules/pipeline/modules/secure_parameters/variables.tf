variable "parameters" {
  description = "SecureString parameters to create, by key: each a full name (\"/<prefix>/...\") and what it holds (the description starts with it)."
  type = map(object({
    name    = string
    purpose = string
  }))

  validation {
    condition = length(var.parameters) > 0 && alltrue([
      for parameter in values(var.parameters) :
      can(regex("^(/[A-Za-z0-9_.-]+){1,15}$", parameter.name)) && length(parameter.name) <= 1011 && length(parameter.purpose) <= 900
    ])
    error_message = "Each parameter needs a hierarchical SSM name such as /aipic-dev/replicate/api-token (letters, digits, _ . - between slashes) and a purpose of at most 900 characters."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key the values are encrypted with."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:key/[0-9a-f-]{36}$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<uuid>), not an alias."
  }
}

variable "tags" {
  description = "Tags of every parameter."
  type        = map(string)
  default     = {}
}
