output "region" {
  description = "Region of the emulated resources."
  value       = var.region
}

output "table_name" {
  description = "Name of the pics table."
  value       = module.data.table_name
}

output "table_stream_arn" {
  description = "ARN of the pics table's stream, which the demo reads in place of the publish trigger."
  value       = module.data.table_stream_arn
}

output "bucket_name" {
  description = "Name of the pictures bucket."
  value       = module.data.bucket_name
}

output "kms_key_arn" {
  description = "ARN of the environment's KMS key."
  value       = module.data.kms_key_arn
}

output "replicate_token_parameter_name" {
  description = "SSM parameter holding the Replicate token (REPLICATE_API_TOKEN_PARAMETER)."
  value       = aws_ssm_parameter.replicate_api_token.name
}

output "webhook_secret_parameter_name" {
  description = "SSM parameter holding the webhook signing secret (WEBHOOK_SECRET_PARAMETER)."
  value       = aws_ssm_parameter.webhook_secret.name
}
