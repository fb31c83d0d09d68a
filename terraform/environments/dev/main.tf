# dev: a disposable environment. Deletion protection is off so that
# `terraform destroy` removes everything; tokens can be fetched from the CLI.

locals {
  environment = "dev"
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

  deletion_protection                = false
  noncurrent_version_expiration_days = 7
  kms_deletion_window_days           = 7
  password_minimum_length            = 12
  # Lets `aws cognito-idp admin-initiate-auth` (IAM-authenticated) fetch tokens for testing.
  admin_password_auth_enabled = true
  log_retention_days          = 365
  function_log_level          = "DEBUG"
  reserved_concurrency        = { generate = 5, webhook = 5, on_upload = 2, publish = 2 }
  webhook_throttling          = { burst_limit = 10, rate_limit = 5 }

  daily_picture_quota  = var.daily_picture_quota
  replicate_model      = var.replicate_model
  cors_allowed_origins = var.cors_allowed_origins
  access_log_bucket    = var.access_log_bucket
  alarm_actions        = var.alarm_actions

  daily_picture_ceiling           = var.daily_picture_ceiling
  prediction_rate_alarm_threshold = var.prediction_rate_alarm_threshold
  mfa_configuration               = "OPTIONAL"
  threat_protection_mode          = var.threat_protection_mode
  ses_email                       = var.ses_email
  sign_up_policy                  = var.sign_up_policy
  sign_up_email_domains           = var.sign_up_email_domains
}
