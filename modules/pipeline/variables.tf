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

variable "artifacts" {
  description = "The build.py artifact from dist/manifest.json: the functions zip's path (as Terraform should open it) and its base64 SHA-256 (= filebase64sha256). No layer: the functions need nothing the runtime does not ship."
  type = object({
    functions = object({
      path          = string
      sha256_base64 = string
    })
  })

  validation {
    condition = (
      endswith(var.artifacts.functions.path, ".zip") &&
      can(regex("^[A-Za-z0-9+/]{43}=$", var.artifacts.functions.sha256_base64))
    )
    error_message = "The functions artifact needs a .zip path and a base64 SHA-256 (44 characters ending in \"=\") as build.py writes into dist/manifest.json."
  }
}

variable "architecture" {
  description = "Instruction set of the functions; must match the architecture the artifacts were built for (manifest \"architecture\")."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be \"arm64\" or \"x86_64\"."
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

variable "table_stream_arn" {
  description = "ARN of the pics table's NEW_AND_OLD_IMAGES stream (modules/data output table_stream_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\\d{12}:table/[A-Za-z0-9_.-]{3,255}/stream/.+$", var.table_stream_arn))
    error_message = "table_stream_arn must be a DynamoDB stream ARN (.../table/<name>/stream/<label>)."
  }
}

variable "bucket_name" {
  description = "Name of the pictures bucket (modules/data output bucket_name)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name."
  }
}

variable "bucket_arn" {
  description = "ARN of the pictures bucket (modules/data output bucket_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_arn))
    error_message = "bucket_arn must be an S3 bucket ARN (arn:<partition>:s3:::<bucket>)."
  }
}

variable "kms_key_arn" {
  description = "ARN of the environment's customer-managed KMS key (modules/data output kms_key_arn): SSM parameters, queues, log groups, Lambda environment variables."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:key/[0-9a-f-]{36}$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<uuid>), not an alias."
  }
}

variable "graphql_url" {
  description = "AppSync GraphQL endpoint the publish function posts the publish mutation to (modules/api output graphql_url)."
  type        = string

  validation {
    # Plain http only to a loopback host: the local stack's AppSync endpoint.
    condition     = can(regex("^(https://[^/?#]+|http://(127\\.0\\.0\\.1|localhost):[0-9]{1,5})/graphql$", var.graphql_url))
    error_message = "graphql_url must be an https URL ending in /graphql (http only on 127.0.0.1 or localhost)."
  }
}

variable "publish_field_arn" {
  description = "ARN of the API's Mutation.publish field (modules/api output publish_field_arn): the only AppSync resource the publish function may call."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:appsync:[a-z0-9-]+:\\d{12}:apis/[A-Za-z0-9]+/types/Mutation/fields/publish$", var.publish_field_arn))
    error_message = "publish_field_arn must be \"arn:<partition>:appsync:<region>:<account>:apis/<api id>/types/Mutation/fields/publish\"."
  }
}

variable "replicate_model" {
  description = "The Replicate model the generate function runs (REPLICATE_MODEL): an official model's \"owner/name\" (created through POST /v1/models/{owner}/{name}/predictions, always its latest version), or a model version id, 64 hex characters alone or as \"owner/name:<id>\" (POST /v1/predictions). Obvious placeholders are refused."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9._-]*[a-z0-9])?/[a-z0-9]([a-z0-9._-]*[a-z0-9])?|([a-z0-9]([a-z0-9._-]*[a-z0-9])?/[a-z0-9]([a-z0-9._-]*[a-z0-9])?:)?[0-9a-f]{64})$", var.replicate_model))
    error_message = "replicate_model must be an official model's owner/name (e.g. stability-ai/stable-diffusion-3.5-large) or a version id: 64 lowercase hex characters, alone or as owner/name:<id>."
  }

  validation {
    # A version id is a SHA-256: a run of one or two characters (all zeros), or
    # the hex alphabet in order, is a placeholder left in a tfvars file; so are
    # the usual fill-me-in words. Replicate would refuse every picture.
    condition = !(
      length(distinct(split("", element(reverse(split(":", var.replicate_model)), 0)))) <= 2 ||
      strcontains(var.replicate_model, "0123456789abcdef") ||
      can(regex("(replace|placeholder|changeme|change-me|your-|example|todo|xxx|owner/name|model-name)", var.replicate_model))
    )
    error_message = "replicate_model looks like a placeholder (all zeros, REPLACE_ME, owner/name, ...): set a real model, e.g. stability-ai/stable-diffusion-3.5-large, or a version id from the model's Versions page on replicate.com."
  }
}

variable "replicate_api_url" {
  description = "Base URL of the Replicate HTTP API."
  type        = string
  default     = "https://api.replicate.com/v1"

  validation {
    # Plain http only to a loopback stand-in (terraform/environments/local).
    condition     = can(regex("^(https://[^/?#]+|http://(127\\.0\\.0\\.1|localhost)(:[0-9]{1,5})?)(/[^?#]*)?$", var.replicate_api_url))
    error_message = "replicate_api_url must be an https URL (http only to 127.0.0.1 or localhost) without query or fragment."
  }
}

variable "image_host_allowlist" {
  description = "Hosts the webhook may download generated images from (each also allows its subdomains)."
  type        = list(string)
  default     = ["replicate.delivery"]

  validation {
    # 127.0.0.1 and localhost are for a loopback stand-in (terraform/environments/local).
    condition = length(var.image_host_allowlist) > 0 && alltrue([
      for host in var.image_host_allowlist : can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", host)) || contains(["127.0.0.1", "localhost"], host)
    ])
    error_message = "image_host_allowlist must list at least one lowercase DNS host name, 127.0.0.1 or localhost (no scheme, port or path)."
  }
}

variable "max_image_bytes" {
  description = "Largest image the webhook stores; larger downloads are aborted and the picture marked FAILED."
  type        = number
  default     = 20971520

  validation {
    condition     = var.max_image_bytes >= 1024 && var.max_image_bytes <= 104857600 && floor(var.max_image_bytes) == var.max_image_bytes
    error_message = "max_image_bytes must be a whole number between 1024 and 104857600 (100 MiB)."
  }
}

variable "log_level" {
  description = "POWERTOOLS_LOG_LEVEL of the functions."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be one of DEBUG, INFO, WARNING, ERROR."
  }
}

variable "log_retention_days" {
  description = "Retention of the functions' and the webhook endpoint's log groups, in days (one of the values CloudWatch accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions per function: caps what one function can take from the account's pool (not the Replicate bill: predictions run on Replicate after generate returns; modules/api's daily_picture_ceiling bounds that); -1 means unreserved."
  type = object({
    generate  = number
    webhook   = number
    on_upload = number
    publish   = number
    # One sweep at a time: two would only race for the same pictures.
    sweeper = optional(number, 1)
    cleanup = optional(number, 2)
  })
  default = {
    generate  = 10
    webhook   = 10
    on_upload = 5
    publish   = 5
    sweeper   = 1
    cleanup   = 2
  }

  validation {
    condition = alltrue([
      for limit in values(var.reserved_concurrency) : (limit == -1 || (limit >= 1 && limit <= 1000)) && floor(limit) == limit
    ])
    error_message = "Each reserved_concurrency value must be -1 (unreserved) or a whole number between 1 and 1000; 0 would disable the function."
  }
}

variable "webhook_throttling" {
  description = "Throttling of the public webhook endpoint's stage: token-bucket burst and steady rate (requests per second)."
  type = object({
    burst_limit = number
    rate_limit  = number
  })
  default = {
    burst_limit = 20
    rate_limit  = 10
  }

  validation {
    condition = (
      var.webhook_throttling.burst_limit >= 1 && var.webhook_throttling.burst_limit <= 5000 &&
      floor(var.webhook_throttling.burst_limit) == var.webhook_throttling.burst_limit &&
      var.webhook_throttling.rate_limit > 0 && var.webhook_throttling.rate_limit <= 10000
    )
    error_message = "webhook_throttling needs burst_limit a whole number in 1..5000 and rate_limit in (0, 10000]."
  }
}

variable "alarm_actions" {
  description = "ARNs notified when a dead-letter queue receives messages (for example an SNS topic); empty means the alarms only change state."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.alarm_actions : can(regex("^arn:aws[a-z-]*:", arn))])
    error_message = "alarm_actions must be ARNs."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing mode of the functions."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be \"Active\" or \"PassThrough\"."
  }
}

variable "pending_index_name" {
  description = "Name of the pics table's sparse index of pictures not final yet (modules/data output pending_index_name): the only index the sweeper may query."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.pending_index_name))
    error_message = "pending_index_name must be a valid DynamoDB index name (3-255 of A-Z, a-z, 0-9, _ . -)."
  }
}

variable "picture_deadline_minutes" {
  description = "Minutes after its creation by which a picture is COMPLETED or FAILED: the sweeper fails one still STARTED or PROCESSING (its event or webhook was lost) and cancels its prediction."
  type        = number
  default     = 30

  validation {
    # Above generate's worst case: on AWS its timeout and two asynchronous retries
    # (about 1 and 2 minutes apart), so dev and prod keep 30; the local stack scales
    # those retries to fractions of a second (local/runtime), leaving generate's own
    # 4 x 10 s attempts, hence 2 there. At most an hour, after which Replicate deletes
    # the output anyway.
    condition     = var.picture_deadline_minutes >= 2 && var.picture_deadline_minutes <= 60 && floor(var.picture_deadline_minutes) == var.picture_deadline_minutes
    error_message = "picture_deadline_minutes must be a whole number from 2 to 60."
  }
}

variable "sweep_interval_minutes" {
  description = "Minutes between two sweeps for overdue pictures: a picture is failed at most this long after its deadline."
  type        = number
  default     = 5

  validation {
    condition     = var.sweep_interval_minutes >= 1 && var.sweep_interval_minutes <= 30 && floor(var.sweep_interval_minutes) == var.sweep_interval_minutes
    error_message = "sweep_interval_minutes must be a whole number from 1 to 30."
  }

  validation {
    condition     = var.sweep_interval_minutes < var.picture_deadline_minutes
    error_message = "sweep_interval_minutes must be shorter than picture_deadline_minutes."
  }
}

variable "image_download_deadline_seconds" {
  description = "Bound on the webhook's whole image download (connect, TLS, headers, body, every redirect), in seconds; a slower file host marks the picture FAILED. Below the webhook's 28 s timeout, leaving time for the S3 write."
  type        = number
  default     = 20

  validation {
    condition     = var.image_download_deadline_seconds >= 1 && var.image_download_deadline_seconds <= 24
    error_message = "image_download_deadline_seconds must be between 1 and 24 (the webhook function's timeout is 28 s)."
  }
}

variable "image_fetch_allow_loopback" {
  description = "Let the webhook download from loopback addresses (127.0.0.0/8, ::1) and any port on a loopback host. Only for a local stack whose Replicate stand-in serves images from 127.0.0.1; private, link-local and other non-public addresses stay refused either way."
  type        = bool
  default     = false
  nullable    = false
}

variable "allowed_image_url_schemes" {
  description = "URL schemes the webhook may download pictures over (ALLOWED_IMAGE_URL_SCHEMES). Only [\"https\"] for Replicate; \"http\" is for a loopback stand-in and needs an allow-list of loopback hosts only."
  type        = list(string)
  default     = ["https"]

  validation {
    condition     = length(var.allowed_image_url_schemes) > 0 && alltrue([for scheme in var.allowed_image_url_schemes : contains(["https", "http"], scheme)])
    error_message = "allowed_image_url_schemes may list only \"https\" and \"http\", at least one."
  }

  validation {
    condition     = !contains(var.allowed_image_url_schemes, "http") || alltrue([for host in var.image_host_allowlist : contains(["127.0.0.1", "localhost"], host)])
    error_message = "allowed_image_url_schemes may include \"http\" only when image_host_allowlist lists loopback hosts only (127.0.0.1, localhost): pictures from anywhere else must come over https."
  }
}

variable "prediction_rate_alarm_threshold" {
  description = "Generate invocations (Replicate predictions started) per 5 minutes above which the prediction-rate alarm notifies alarm_actions."
  type        = number
  default     = 100

  validation {
    condition     = var.prediction_rate_alarm_threshold >= 1 && floor(var.prediction_rate_alarm_threshold) == var.prediction_rate_alarm_threshold
    error_message = "prediction_rate_alarm_threshold must be a whole number of at least 1."
  }
}
