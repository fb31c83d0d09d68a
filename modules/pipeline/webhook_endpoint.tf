# Public HTTPS endpoint Replicate calls: an API Gateway HTTP API, not a Lambda
# function URL (since October 2025 a function URL also needs a
# lambda:InvokeFunction permission conditioned on lambda:InvokedViaFunctionUrl,
# which the hashicorp/aws 5.x provider cannot express).

locals {
  webhook_path = "/webhooks/replicate"
  webhook_url  = "${trimsuffix(aws_apigatewayv2_stage.webhook.invoke_url, "/")}${local.webhook_path}"
}

resource "aws_apigatewayv2_api" "webhook" {
  name          = "${var.name_prefix}-webhook"
  description   = "Replicate prediction webhooks for ${var.name_prefix}."
  protocol_type = "HTTP"
  tags          = var.tags
}

resource "aws_apigatewayv2_integration" "webhook" {
  api_id                 = aws_apigatewayv2_api.webhook.id
  description            = "The webhook Lambda."
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_function.function["webhook"].invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 29000
}

resource "aws_apigatewayv2_route" "webhook" {
  # checkov:skip=CKV_AWS_309:Replicate cannot sign requests with AWS credentials or send a token we choose; every request is authenticated in the function by Replicate's webhook signature (HMAC-SHA256 over id, timestamp and body with the secret from SSM, stale timestamps rejected), and the stage is throttled.
  api_id             = aws_apigatewayv2_api.webhook.id
  route_key          = "POST ${local.webhook_path}"
  target             = "integrations/${aws_apigatewayv2_integration.webhook.id}"
  authorization_type = "NONE"
}

resource "aws_cloudwatch_log_group" "webhook_access" {
  name              = "/aws/apigateway/${var.name_prefix}-webhook"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_apigatewayv2_stage" "webhook" {
  api_id      = aws_apigatewayv2_api.webhook.id
  name        = "$default"
  auto_deploy = true
  tags        = var.tags

  # Caps what an unauthenticated caller can cost us before the signature check runs.
  default_route_settings {
    throttling_burst_limit   = var.webhook_throttling.burst_limit
    throttling_rate_limit    = var.webhook_throttling.rate_limit
    detailed_metrics_enabled = true
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.webhook_access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      requestTime        = "$context.requestTime"
      sourceIp           = "$context.identity.sourceIp"
      userAgent          = "$context.identity.userAgent"
      routeKey           = "$context.routeKey"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      integrationStatus  = "$context.integrationStatus"
      integrationLatency = "$context.integrationLatency"
      integrationError   = "$context.integrationErrorMessage"
      errorMessage       = "$context.error.message"
    })
  }
}

resource "aws_lambda_permission" "api_invokes_webhook" {
  statement_id  = "AllowWebhookRoute"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function["webhook"].function_name
  principal     = "apigateway.amazonaws.com"
  # Only this API's POST route, on any stage.
  source_arn = "${aws_apigatewayv2_api.webhook.execution_arn}/*/POST${local.webhook_path}"
}
