# prod: everything that holds user data is protected from deletion, logs are
# kept for two years, and users only sign in through SRP (no CLI password flow).

locals {
  environment = "prod"
  # build.py output (make build); paths stay relative so plans do not depend
  # on where the repository is checked out.
  dist_dir = "${path.root}/../../../dist"
  manifest = jsondecode(file("${local.dist_dir}/manifest.json"))
}

module "data" {
  source = "../../../modules/data"

  name_prefix                        = var.name_prefix
  tags                               = var.tags
  table_deletion_protection          = true
  bucket_force_destroy               = false
  noncurrent_version_expiration_days = 90
  kms_deletion_window_days           = 30
  cors_allowed_origins               = var.cors_allowed_origins
  access_log_bucket                  = var.access_log_bucket
}

module "auth" {
  source = "../../../modules/auth"

  name_prefix                 = var.name_prefix
  tags                        = var.tags
  bucket_arn                  = module.data.bucket_arn
  kms_key_arn                 = module.data.kms_key_arn
  deletion_protection         = true
  mfa_configuration           = "OPTIONAL"
  password_minimum_length     = 14
  admin_password_auth_enabled = false
}

module "api" {
  source = "../../../modules/api"

  name_prefix           = var.name_prefix
  tags                  = var.tags
  schema_path           = "${path.root}/../../../schema.graphql"
  user_pool_id          = module.auth.user_pool_id
  table_name            = module.data.table_name
  table_arn             = module.data.table_arn
  owner_index_name      = module.data.owner_index_name
  kms_key_arn           = module.data.kms_key_arn
  generate_function_arn = module.pipeline.generate_function_arn
  daily_picture_quota   = var.daily_picture_quota
  xray_enabled          = true
  log_retention_days    = 731
  field_log_level       = "ERROR"
}

module "pipeline" {
  source = "../../../modules/pipeline"

  name_prefix = var.name_prefix
  tags        = var.tags
  artifacts = {
    for name in ["functions", "dependencies_layer"] : name => {
      path          = "${local.dist_dir}/${local.manifest.artifacts[name].path}"
      sha256_base64 = local.manifest.artifacts[name].sha256_base64
    }
  }
  architecture            = local.manifest.architecture
  table_name              = module.data.table_name
  table_arn               = module.data.table_arn
  table_stream_arn        = module.data.table_stream_arn
  bucket_name             = module.data.bucket_name
  bucket_arn              = module.data.bucket_arn
  kms_key_arn             = module.data.kms_key_arn
  graphql_url             = module.api.graphql_url
  publish_field_arn       = module.api.publish_field_arn
  replicate_model_version = var.replicate_model_version
  log_level               = "INFO"
  log_retention_days      = 731
  tracing_mode            = "Active"
  alarm_actions           = var.alarm_actions
  reserved_concurrency = {
    generate  = 20
    webhook   = 20
    on_upload = 10
    publish   = 10
  }
  webhook_throttling = {
    burst_limit = 50
    rate_limit  = 25
  }
}
