# prod: everything that holds user data is protected from deletion, logs are
# kept for two years, users only sign in through SRP (no CLI password flow)
# with a TOTP second factor, and every alarm notifies someone.

locals {
  environment = "prod"
  # build.py output (make build); the path stays relative so plans do not
  # depend on where the repository is checked out.
  dist_dir      = "${path.root}/../../../dist"
  manifest_path = "${local.dist_dir}/manifest.json"
}

module "stack" {
  source = "../../stack"

  name_prefix   = var.name_prefix
  tags          = var.tags
  artifacts_dir = local.dist_dir
  # null before `make build`: the stack then stops with "run make build first"
  # instead of file()'s "Invalid function argument".
  artifacts_manifest = fileexists(local.manifest_path) ? jsondecode(file(local.manifest_path)) : null

  deletion_protection                = true
  noncurrent_version_expiration_days = 90
  kms_deletion_window_days           = 30
  password_minimum_length            = 14
  admin_password_auth_enabled        = false
  log_retention_days                 = 731
  function_log_level                 = "INFO"
  reserved_concurrency               = { generate = 20, webhook = 20, on_upload = 10, publish = 10 }
  webhook_throttling                 = { burst_limit = 50, rate_limit = 25 }

  daily_picture_quota  = var.daily_picture_quota
  replicate_model      = var.replicate_model
  cors_allowed_origins = var.cors_allowed_origins
  access_log_bucket    = var.access_log_bucket
  alarm_actions        = var.alarm_actions

  daily_picture_ceiling           = var.daily_picture_ceiling
  prediction_rate_alarm_threshold = var.prediction_rate_alarm_threshold
  mfa_configuration               = "ON"
  threat_protection_mode          = var.threat_protection_mode
  ses_email                       = var.ses_email
  sign_up_policy                  = var.sign_up_policy
  sign_up_email_domains           = var.sign_up_email_domains
  # Alarms must notify someone: a plan with an empty alarm_actions is refused.
  require_alarm_actions = true
}
