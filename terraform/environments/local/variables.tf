variable "moto_endpoint" {
  description = "URL of the moto server every AWS call goes to, e.g. http://127.0.0.1:5000. Only loopback hosts are accepted: this root must never reach a real endpoint."
  type        = string

  validation {
    condition     = can(regex("^http://(127\\.0\\.0\\.1|localhost):[0-9]{1,5}$", var.moto_endpoint))
    error_message = "moto_endpoint must be http://127.0.0.1:<port> or http://localhost:<port>."
  }
}

variable "region" {
  description = "Region the emulated resources claim to live in."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "aipic-local"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,28}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-30 characters of lowercase letters, digits and hyphens, start with a letter and end with a letter or digit."
  }
}

variable "replicate_api_token" {
  description = "Value of the Replicate token parameter. Locally only a stand-in's fake token: real environments never pass secrets through Terraform."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.replicate_api_token) > 0
    error_message = "replicate_api_token must not be empty."
  }
}

variable "webhook_secret" {
  description = "Value of the webhook signing secret parameter, in Replicate's whsec_<base64> form. Locally a throw-away secret the stand-in signs with."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^whsec_[A-Za-z0-9+/]+={0,2}$", var.webhook_secret))
    error_message = "webhook_secret must look like whsec_<base64>."
  }
}
