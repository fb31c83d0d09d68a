variable "emulator_url" {
  description = "URL of the emulator every AWS call goes to (python -m local.emulator), e.g. http://127.0.0.1:5000. Only loopback hosts are accepted: this root must never reach a real endpoint."
  type        = string

  validation {
    condition     = can(regex("^http://(127\\.0\\.0\\.1|localhost):[0-9]{1,5}$", var.emulator_url))
    error_message = "emulator_url must be http://127.0.0.1:<port> or http://localhost:<port>."
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
}

variable "replicate_api_url" {
  description = "Base URL of the local Replicate stand-in's API, e.g. http://127.0.0.1:8001/v1 (REPLICATE_API_URL of the generate function)."
  type        = string

  validation {
    condition     = can(regex("^http://(127\\.0\\.0\\.1|localhost):[0-9]{1,5}(/[^?#]*)?$", var.replicate_api_url))
    error_message = "replicate_api_url must be an http URL on 127.0.0.1 or localhost (the local stand-in)."
  }
}

variable "image_host_allowlist" {
  description = "Hosts the webhook may download pictures from: the stand-in's file host (IMAGE_HOST_ALLOWLIST)."
  type        = list(string)
  default     = ["127.0.0.1"]
}

variable "replicate_model" {
  description = "Replicate model the generate function asks for: a version id (the stand-in's own, local/replicate/standin.py MODEL_VERSION) or an official model's owner/name (the stand-in serves both endpoints)."
  type        = string
  default     = "39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b"
}

variable "daily_picture_quota" {
  description = "Pictures one user may create per UTC day."
  type        = number
  default     = 25
}

variable "daily_picture_ceiling" {
  description = "Pictures all users together may create per UTC day."
  type        = number
  default     = 100
}

variable "picture_deadline_minutes" {
  description = "Minutes after creation by which every picture is COMPLETED or FAILED (the sweeper fails the overdue ones; modules/pipeline validates 2-60). Short locally, where asynchronous retries take fractions of a second."
  type        = number
  default     = 2
}

variable "sweep_interval_minutes" {
  description = "Minutes between two sweeps (shorter than picture_deadline_minutes). The function runtime fires the rule on a scaled clock (RuntimeSettings.schedule_clock_scale) or on fire_schedules()."
  type        = number
  default     = 1
}
