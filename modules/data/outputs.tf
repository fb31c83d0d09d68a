output "table_name" {
  description = "Name of the pics table."
  value       = aws_dynamodb_table.pics.name
}

output "table_arn" {
  description = "ARN of the pics table."
  value       = aws_dynamodb_table.pics.arn
}

output "table_stream_arn" {
  description = "ARN of the pics table's stream (NEW_AND_OLD_IMAGES)."
  value       = aws_dynamodb_table.pics.stream_arn
}

output "owner_index_name" {
  description = "Name of the global secondary index on owner + createdAt."
  value       = local.owner_index
}

output "pending_index_name" {
  description = "Name of the sparse global secondary index on pendingPartition + createdAt: the pictures not final yet, oldest first (the sweeper's)."
  value       = local.pending_index
}

output "bucket_name" {
  description = "Name of the pictures bucket."
  value       = aws_s3_bucket.pics.id
}

output "bucket_arn" {
  description = "ARN of the pictures bucket."
  value       = aws_s3_bucket.pics.arn
}

output "kms_key_arn" {
  description = "ARN of the customer-managed KMS key every module encrypts with."
  value       = aws_kms_key.this.arn
}

output "protection" {
  description = "How the stored data is protected from deletion, as applied: table deletion protection, bucket force-destroy, KMS deletion window (days)."
  value = {
    table_deletion_protection = aws_dynamodb_table.pics.deletion_protection_enabled
    bucket_force_destroy      = aws_s3_bucket.pics.force_destroy
    kms_deletion_window_days  = aws_kms_key.this.deletion_window_in_days
  }
}
