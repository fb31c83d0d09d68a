output "api_id" {
  description = "AppSync API id."
  value       = aws_appsync_graphql_api.this.id
}

output "api_arn" {
  description = "AppSync API ARN."
  value       = aws_appsync_graphql_api.this.arn
}

output "graphql_url" {
  description = "GraphQL endpoint (HTTPS)."
  value       = aws_appsync_graphql_api.this.uris["GRAPHQL"]
}

output "realtime_url" {
  description = "Real-time (subscriptions) endpoint (WSS)."
  value       = aws_appsync_graphql_api.this.uris["REALTIME"]
}

output "publish_field_arn" {
  description = "ARN of the Mutation.publish field: with Mutation.publishAIPic beside it (modules/pipeline derives that ARN), the only resources the publish Lambda may call with appsync:GraphQL."
  value       = "${aws_appsync_graphql_api.this.arn}/types/Mutation/fields/publish"
}

output "log_group_name" {
  description = "CloudWatch log group of the API."
  value       = aws_cloudwatch_log_group.api.name
}

output "invoked_function_arn" {
  description = "Lambda function AppSync invokes for createAIPic, read from the generate data source (lets a caller check the wiring)."
  value       = aws_appsync_datasource.generate.lambda_config[0].function_arn
}

output "daily_picture_limits" {
  description = "The limits substituted into createAIPic.js: quota (per user per UTC day) and ceiling (all users per UTC day)."
  value = {
    quota   = var.daily_picture_quota
    ceiling = var.daily_picture_ceiling
  }
}
