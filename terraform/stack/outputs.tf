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

# The region the provider deploys to: the client configuration names it.
data "aws_region" "current" {}

output "client_outputs" {
  description = "What a frontend is configured with, in Amplify Gen 2's outputs shape (amplify_outputs.json): auth, data (GraphQL URL and its authorization modes), storage. No secrets. Locally `make up` writes the same object, plus `custom` with the local endpoints, to local-outputs.json."
  value = {
    version = "1"
    auth = {
      aws_region          = data.aws_region.current.name
      user_pool_id        = module.auth.user_pool_id
      user_pool_client_id = module.auth.user_pool_client_id
      identity_pool_id    = module.auth.identity_pool_id
    }
    data = {
      aws_region                 = data.aws_region.current.name
      url                        = module.api.graphql_url
      default_authorization_type = "AMAZON_COGNITO_USER_POOLS"
      authorization_types        = ["AWS_IAM"]
    }
    storage = {
      aws_region  = data.aws_region.current.name
      bucket_name = module.data.bucket_name
    }
  }
}
