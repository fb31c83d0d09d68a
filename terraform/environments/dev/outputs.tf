# What a client and an operator need (descriptions in terraform/stack/outputs.tf).

output "region" {
  description = "AWS region of the environment."
  value       = var.region
}

output "graphql_url" { value = module.stack.graphql_url }
output "realtime_url" { value = module.stack.realtime_url }
output "user_pool_id" { value = module.stack.user_pool_id }
output "user_pool_client_id" { value = module.stack.user_pool_client_id }
output "identity_pool_id" { value = module.stack.identity_pool_id }
output "bucket_name" { value = module.stack.bucket_name }
output "webhook_url" { value = module.stack.webhook_url }
output "replicate_token_parameter_name" { value = module.stack.replicate_token_parameter_name }
output "webhook_secret_parameter_name" { value = module.stack.webhook_secret_parameter_name }
output "kms_key_arn" { value = module.stack.kms_key_arn }
output "client_outputs" { value = module.stack.client_outputs }
