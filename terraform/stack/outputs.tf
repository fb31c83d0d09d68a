output "graphql_url" {
  description = "AppSync GraphQL endpoint."
  value       = module.api.graphql_url
}

output "realtime_url" {
  description = "AppSync real-time endpoint for subscriptions."
  value       = module.api.realtime_url
}

output "user_pool_id" {
  description = "Cognito user pool id."
  value       = module.auth.user_pool_id
}

output "user_pool_client_id" {
  description = "Cognito app client id (no secret)."
  value       = module.auth.user_pool_client_id
}

output "identity_pool_id" {
  description = "Cognito identity pool id (AWS credentials to read the user's own pictures)."
  value       = module.auth.identity_pool_id
}

output "bucket_name" {
  description = "Bucket holding the pictures under pics/<owner sub>/."
  value       = module.data.bucket_name
}

output "webhook_url" {
  description = "Replicate webhook endpoint (the generate function appends ?id=<pic id>)."
  value       = module.pipeline.webhook_url
}

output "replicate_token_parameter_name" {
  description = "SSM SecureString parameter to put the Replicate API token in."
  value       = module.pipeline.replicate_token_parameter_name
}

output "webhook_secret_parameter_name" {
  description = "SSM SecureString parameter to put the Replicate webhook signing secret in."
  value       = module.pipeline.webhook_secret_parameter_name
}

output "kms_key_arn" {
  description = "Customer-managed KMS key to encrypt the two SSM parameters with (--key-id)."
  value       = module.data.kms_key_arn
}
