locals {
  # What invokes publish, ORed: a status change into a published status (from
  # one not final, so the stored image key landing after COMPLETED is left out);
  # the start of processing; a progress step of a PROCESSING picture (not the
  # webhook's image store writes, which never change the progress); a deleted
  # picture.
  publish_filters = [
    {
      eventName = ["MODIFY"]
      dynamodb = {
        NewImage = { completionStatus = { S = ["COMPLETED", "FAILED", "CANCELED"] } }
        OldImage = { completionStatus = { S = ["STARTED", "PROCESSING"] } }
      }
    },
    {
      eventName = ["MODIFY"]
      dynamodb = {
        NewImage = { completionStatus = { S = ["PROCESSING"] } }
        OldImage = { completionStatus = { S = ["STARTED"] } }
      }
    },
    {
      eventName = ["MODIFY"]
      dynamodb = {
        NewImage = {
          completionStatus = { S = ["PROCESSING"] }
          progress         = { N = [{ exists = true }] }
          imageStoreLease  = { S = [{ exists = false }] }
          storedImageKey   = { S = [{ exists = false }] }
        }
        OldImage = { completionStatus = { S = ["PROCESSING"] } }
      }
    },
    {
      eventName = ["REMOVE"]
      dynamodb  = { OldImage = { completionStatus = { S = [{ exists = true }] } } }
    },
  ]
}

# ---------------------------------------------------------------- failure queues

resource "aws_sqs_queue" "failures" {
  for_each = local.failure_queue_owners

  name                              = local.failure_queue_names[each.key]
  message_retention_seconds         = 1209600 # 14 days, SQS's maximum: time to inspect and redrive
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = var.tags
}

resource "aws_cloudwatch_metric_alarm" "failures" {
  for_each = local.failure_queue_owners

  alarm_name          = "${aws_sqs_queue.failures[each.key].name}-not-empty"
  alarm_description   = "An event for ${local.function_names[each.key]} failed after its retries and waits in ${aws_sqs_queue.failures[each.key].name}."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.failures[each.key].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

# ---------------------------------------------------------------- asynchronous invocations

resource "aws_lambda_function_event_invoke_config" "async" {
  for_each = local.async_invoked

  function_name                = aws_lambda_function.function[each.key].function_name
  maximum_retry_attempts       = local.async_max_retries
  maximum_event_age_in_seconds = local.async_max_event_age_sec

  destination_config {
    on_failure {
      destination = aws_sqs_queue.failures[each.key].arn
    }
  }
}

# ---------------------------------------------------------------- S3 → on_upload

resource "aws_lambda_permission" "s3_invokes_on_upload" {
  statement_id   = "AllowPicsBucketObjectCreated"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.function["on_upload"].function_name
  principal      = "s3.amazonaws.com"
  source_arn     = var.bucket_arn
  source_account = local.account_id
}

# This resource owns the bucket's whole notification configuration.
resource "aws_s3_bucket_notification" "pics" {
  bucket = var.bucket_name

  lambda_function {
    id                  = "pics-object-created"
    lambda_function_arn = aws_lambda_function.function["on_upload"].arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = "pics/"
  }

  depends_on = [aws_lambda_permission.s3_invokes_on_upload]
}

# ---------------------------------------------------------------- stream → publish

resource "aws_lambda_event_source_mapping" "publish" {
  event_source_arn  = var.table_stream_arn
  function_name     = aws_lambda_function.function["publish"].arn
  starting_position = "LATEST"

  # Invoked as soon as records arrive (window 0): the webhook → subscriber
  # path has a 1 s budget. Batches form anyway while an invocation runs (one
  # at a time per shard); the README states the throughput trade-off.
  batch_size                         = 10
  maximum_batching_window_in_seconds = 0
  # A failing record is retried alone (partial batch response, bisection),
  # a bounded number of times, and then parked in the failure queue.
  function_response_types        = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error = true
  maximum_retry_attempts         = 3
  maximum_record_age_in_seconds  = 3600

  # Only what a subscriber is told (aipic.handlers.publish decides, these let
  # nothing else invoke it): a new item is always STARTED (never published) and
  # quota counters have no completionStatus. Stream filters cannot compare the
  # old and new images, so the handler still skips the rare record that passes
  # without a change to tell (a webhook attempt count after a progress step).
  filter_criteria {
    dynamic "filter" {
      for_each = local.publish_filters
      content {
        pattern = jsonencode(filter.value)
      }
    }
  }

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.failures["publish"].arn
    }
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.function]
}

# ---------------------------------------------------------------- stream → cleanup

resource "aws_lambda_event_source_mapping" "cleanup" {
  event_source_arn  = var.table_stream_arn
  function_name     = aws_lambda_function.function["cleanup"].arn
  starting_position = "LATEST"

  batch_size                         = 10
  maximum_batching_window_in_seconds = 1
  function_response_types            = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error     = true
  maximum_retry_attempts             = 3
  maximum_record_age_in_seconds      = 3600

  # A picture its owner CANCELED while it had a prediction (cancel it at
  # Replicate), and a deleted picture (its object versions); quota counters'
  # expiry has no completionStatus and never invokes cleanup.
  filter_criteria {
    filter {
      pattern = jsonencode({
        eventName = ["MODIFY"]
        dynamodb = {
          NewImage = {
            completionStatus = { S = ["CANCELED"] }
            predictionId     = { S = [{ exists = true }] }
          }
          OldImage = { completionStatus = { S = ["STARTED", "PROCESSING"] } }
        }
      })
    }
    filter {
      pattern = jsonencode({
        eventName = ["REMOVE"]
        dynamodb  = { OldImage = { completionStatus = { S = [{ exists = true }] } } }
      })
    }
  }

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.failures["cleanup"].arn
    }
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.function]
}

# ---------------------------------------------------------------- schedule → sweeper

# A plain rate rule (no EventBridge Scheduler): every environment, the local one
# included, can run it. Each run fails the pictures past their deadline.
resource "aws_cloudwatch_event_rule" "sweeper" {
  name                = "${local.function_names["sweeper"]}-schedule"
  description         = "Runs ${local.function_names["sweeper"]} every ${var.sweep_interval_minutes} minute(s)."
  schedule_expression = "rate(${var.sweep_interval_minutes} ${var.sweep_interval_minutes == 1 ? "minute" : "minutes"})"
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "sweeper" {
  rule      = aws_cloudwatch_event_rule.sweeper.name
  target_id = "sweeper"
  arn       = aws_lambda_function.function["sweeper"].arn
}

resource "aws_lambda_permission" "schedule_invokes_sweeper" {
  statement_id   = "AllowSweeperSchedule"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.function["sweeper"].function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.sweeper.arn
  source_account = local.account_id
}
