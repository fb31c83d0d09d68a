# ---------------------------------------------------------------- spend

# Each generate invocation starts (at most) one paid Replicate prediction, so
# its invocation count is the rate of spend. The daily ceiling in modules/api
# bounds the total; this alarm says when the rate is unusual long before that.
resource "aws_cloudwatch_metric_alarm" "prediction_rate" {
  alarm_name          = "${local.function_names["generate"]}-prediction-rate-high"
  alarm_description   = "More than ${var.prediction_rate_alarm_threshold} generate invocations (Replicate predictions started) within 5 minutes."
  namespace           = "AWS/Lambda"
  metric_name         = "Invocations"
  dimensions          = { FunctionName = aws_lambda_function.function["generate"].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.prediction_rate_alarm_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}
