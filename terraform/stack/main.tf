# The whole backend: data (table, bucket, key), auth (Cognito), api (AppSync)
# and pipeline (Lambda functions, webhook endpoint), wired to each other. An
# environment root adds only its backend, its provider and its settings.

locals {
  # build.py's manifest names each zip relative to the directory it wrote it to.
  artifacts = {
    # Empty while the manifest is missing: artifacts_manifest's validation then
    # stops the run with its message before any module needs the artifacts.
    for name, artifact in try(var.artifacts_manifest.artifacts, {}) : name => {
      path          = "${var.artifacts_dir}/${artifact.path}"
      sha256_base64 = artifact.sha256_base64
    }
  }
}

module "data" {
  source = "../../modules/data"

  name_prefix                        = var.name_prefix
  tags                               = var.tags
  table_deletion_protection          = var.deletion_protection
  bucket_force_destroy               = !var.deletion_protection
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  kms_deletion_window_days           = var.kms_deletion_window_days
  cors_allowed_origins               = var.cors_allowed_origins
  access_log_bucket                  = var.access_log_bucket
}

module "auth" {
  source = "../../modules/auth"

  name_prefix                 = var.name_prefix
  tags                        = var.tags
  bucket_arn                  = module.data.bucket_arn
  kms_key_arn                 = module.data.kms_key_arn
  deletion_protection         = var.deletion_protection
  mfa_configuration           = var.mfa_configuration
  password_minimum_length     = var.password_minimum_length
  admin_password_auth_enabled = var.admin_password_auth_enabled
  threat_protection_mode      = var.threat_protection_mode
  ses_email                   = var.ses_email
  sign_up_policy              = var.sign_up_policy
  sign_up_email_domains       = var.sign_up_email_domains
  # The pre sign-up trigger's code (used with the email-domain allow-list only).
  functions_artifact = local.artifacts.functions
  architecture       = var.artifacts_manifest.architecture
  log_retention_days = var.log_retention_days
}

module "api" {
  source = "../../modules/api"

  # The repository's schema.graphql is the single source of the schema (the
  # local AppSync endpoint and the resolver tests read it too); resolvers_dir
  # stays at its default, modules/api/resolvers.
  schema                = file("${path.module}/../../schema.graphql")
  name_prefix           = var.name_prefix
  tags                  = var.tags
  user_pool_id          = module.auth.user_pool_id
  table_name            = module.data.table_name
  table_arn             = module.data.table_arn
  owner_index_name      = module.data.owner_index_name
  kms_key_arn           = module.data.kms_key_arn
  generate_function_arn = module.pipeline.generate_function_arn
  daily_picture_quota   = var.daily_picture_quota
  daily_picture_ceiling = var.daily_picture_ceiling
  xray_enabled          = true
  log_retention_days    = var.log_retention_days
  field_log_level       = "ERROR"
}

module "pipeline" {
  source = "../../modules/pipeline"

  name_prefix          = var.name_prefix
  tags                 = var.tags
  artifacts            = local.artifacts
  architecture         = var.artifacts_manifest.architecture
  table_name           = module.data.table_name
  table_arn            = module.data.table_arn
  table_stream_arn     = module.data.table_stream_arn
  pending_index_name   = module.data.pending_index_name
  bucket_name          = module.data.bucket_name
  bucket_arn           = module.data.bucket_arn
  kms_key_arn          = module.data.kms_key_arn
  graphql_url          = module.api.graphql_url
  publish_field_arn    = module.api.publish_field_arn
  replicate_model      = var.replicate_model
  log_level            = var.function_log_level
  log_retention_days   = var.log_retention_days
  tracing_mode         = "Active"
  alarm_actions        = var.alarm_actions
  reserved_concurrency = var.reserved_concurrency
  webhook_throttling   = var.webhook_throttling

  picture_deadline_minutes        = var.picture_deadline_minutes
  sweep_interval_minutes          = var.sweep_interval_minutes
  image_fetch_allow_loopback      = var.image_fetch_allow_loopback
  replicate_api_url               = var.replicate_api_url
  image_host_allowlist            = var.image_host_allowlist
  allowed_image_url_schemes       = var.allowed_image_url_schemes
  prediction_rate_alarm_threshold = var.prediction_rate_alarm_threshold
}
