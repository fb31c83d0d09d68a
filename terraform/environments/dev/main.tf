# dev: a disposable environment. Deletion protection is off so that
# `terraform destroy` removes everything; tokens can be fetched from the CLI.

locals {
  environment = "dev"
  # build.py output (make build); paths stay relative so plans do not depend
  # on where the repository is checked out.
  dist_dir = "${path.root}/../../../dist"
  manifest = jsondecode(file("${local.dist_dir}/manifest.json"))
}

module "data" {
  source = "../../../modules/data"

  name_prefix                        = var.name_prefix
  tags                               = var.tags
  table_deletion_protection          = false
  bucket_force_destroy               = true
  noncurrent_version_expiration_days = 7
  kms_deletion_window_days           = 7
  cors_allowed_origins               = var.cors_allowed_origins
  access_log_bucket                  = var.access_log_bucket
}

module "auth" {
  source = "../../../modules/auth"

  name_prefix         = var.name_prefix
  tags                = var.tags
  bucket_arn          = module.data.bucket_arn
  kms_key_arn         = module.data.kms_key_arn
  deletion_protection = false
  mfa_configuration   = "OPTIONAL"
  # Lets `aws cognito-idp admin-initiate-auth` (IAM-authenticated) fetch tokens for testing.
  admin_password_auth_enabled = true
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
  log_retention_days    = 365
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
  log_level               = "DEBUG"
  log_retention_days      = 365
  tracing_mode            = "Active"
  alarm_actions           = var.alarm_actions
  reserved_concurrency = {
    generate  = 5
    webhook   = 5
    on_upload = 2
    publish   = 2
  }
  webhook_throttling = {
    burst_limit = 10
    rate_limit  = 5
  }
}
