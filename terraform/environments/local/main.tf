# local: the same terraform/stack as dev and prod, applied to the emulator
# (python -m local.emulator). Only settings differ; each one that exists for the
# emulator says why.

locals {
  # build.py output (make build), as dev and prod read it.
  dist_dir      = "${path.root}/../../../dist"
  manifest_path = "${local.dist_dir}/manifest.json"
}

module "stack" {
  source = "../../stack"

  name_prefix   = var.name_prefix
  artifacts_dir = local.dist_dir
  # null before `make build`: the stack then stops with "run make build first"
  # instead of file()'s "Invalid function argument".
  artifacts_manifest = fileexists(local.manifest_path) ? jsondecode(file(local.manifest_path)) : null

  # Throw-away: `terraform destroy` removes everything.
  deletion_protection                = false
  noncurrent_version_expiration_days = 7
  kms_deletion_window_days           = 7
  password_minimum_length            = 12
  # Tests and the demo sign users in with admin-initiate-auth.
  admin_password_auth_enabled = true
  log_retention_days          = 365
  function_log_level          = "INFO"
  reserved_concurrency        = { generate = 5, webhook = 5, on_upload = 2, publish = 2 }
  webhook_throttling          = { burst_limit = 10, rate_limit = 5 }
  daily_picture_quota         = var.daily_picture_quota
  daily_picture_ceiling       = var.daily_picture_ceiling
  # Users sign in without a TOTP app locally (the demo and the tests script them).
  mfa_configuration = "OPTIONAL"
  replicate_model   = var.replicate_model
  # Lambda's asynchronous retries are scaled to fractions of a second locally
  # (local/runtime), so a lost webhook can fail within minutes, not half an hour.
  picture_deadline_minutes = var.picture_deadline_minutes
  sweep_interval_minutes   = var.sweep_interval_minutes

  # The local Replicate stand-in (local/replicate) instead of api.replicate.com:
  # plain http on loopback, its pictures served from the same host.
  replicate_api_url          = var.replicate_api_url
  image_host_allowlist       = var.image_host_allowlist
  allowed_image_url_schemes  = ["https", "http"]
  image_fetch_allow_loopback = true
}
