# The part of an environment moto's server can hold: the data module (KMS key,
# pics table with its stream, pictures bucket) and the two SecureString
# parameters the Lambda functions read. Left out on purpose:
# - modules/auth: moto answers the identity-pool roles attachment with a 500;
# - modules/pipeline's Lambda triggers: with a stream mapping or an S3 -> Lambda
#   notification moto tries to run the function in Docker and drops the records,
#   so the demo (local/demo) delivers those events to the handlers itself;
# - modules/api: moto has no AppSync data sources, functions or resolvers, so
#   the demo runs the resolvers under Node (tests/support/appsync_executor.py).

module "data" {
  source = "../../../modules/data"

  name_prefix = var.name_prefix
  # Throw-away: everything lives only as long as the emulator.
  table_deletion_protection = false
  bucket_force_destroy      = true
  kms_deletion_window_days  = 7
}

# Same names as modules/pipeline's parameters. Unlike there, Terraform holds
# the values: they are the local stand-in's fake token and secret.
resource "aws_ssm_parameter" "replicate_api_token" {
  name        = "/${var.name_prefix}/replicate/api-token"
  description = "Replicate API token (local stand-in's fake token)"
  type        = "SecureString"
  key_id      = module.data.kms_key_arn
  value       = var.replicate_api_token
}

resource "aws_ssm_parameter" "webhook_secret" {
  name        = "/${var.name_prefix}/replicate/webhook-secret"
  description = "Replicate webhook signing secret (local, throw-away)"
  type        = "SecureString"
  key_id      = module.data.kms_key_arn
  value       = var.webhook_secret
}
