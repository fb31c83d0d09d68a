output "generate_function_arn" {
  description = "ARN of the generate function (modules/api input generate_function_arn)."
  value       = aws_lambda_function.function["generate"].arn
}

output "generate_function_name" {
  description = "Name of the generate function."
  value       = aws_lambda_function.function["generate"].function_name
}

output "function_names" {
  description = "Function names by key (generate, webhook, on_upload, publish)."
  value       = { for key, function in aws_lambda_function.function : key => function.function_name }
}

output "function_arns" {
  description = "Function ARNs by key (generate, webhook, on_upload, publish)."
  value       = { for key, function in aws_lambda_function.function : key => function.arn }
}

output "webhook_url" {
  description = "Public webhook endpoint Replicate posts to (the generate function appends ?id=<pic id>)."
  value       = local.webhook_url
}

output "replicate_token_parameter_name" {
  description = "SSM SecureString parameter to set to the Replicate API token."
  value       = module.secure_parameters.names["replicate_api_token"]
}

output "webhook_secret_parameter_name" {
  description = "SSM SecureString parameter to set to the Replicate webhook signing secret (whsec_...)."
  value       = module.secure_parameters.names["webhook_secret"]
}

output "dead_letter_queue_urls" {
  description = "URLs of the on-failure queues by function key (generate, on_upload, publish, sweeper, cleanup)."
  value       = { for key, queue in aws_sqs_queue.failures : key => queue.url }
}

output "dead_letter_queue_arns" {
  description = "ARNs of the on-failure queues by function key (generate, on_upload, publish, sweeper, cleanup)."
  value       = { for key, queue in aws_sqs_queue.failures : key => queue.arn }
}

output "http_api_id" {
  description = "Id of the webhook HTTP API."
  value       = aws_apigatewayv2_api.webhook.id
}

output "function_role_policies" {
  description = "Map key → JSON policy of that function's role (what each function may do, for audits and wiring checks)."
  value       = { for key, policy in aws_iam_role_policy.function : key => policy.policy }
}

output "sweeper_settings" {
  description = "The sweeper as deployed: its rule's schedule expression, the deadline (minutes after creation) past which it fails a picture, and the index it queries."
  value = {
    schedule_expression      = aws_cloudwatch_event_rule.sweeper.schedule_expression
    picture_deadline_minutes = tonumber(aws_lambda_function.function["sweeper"].environment[0].variables["PICTURE_DEADLINE_MINUTES"])
    pending_index_name       = aws_lambda_function.function["sweeper"].environment[0].variables["PENDING_INDEX_NAME"]
  }
}
