# The stateful core of an environment: the customer-managed KMS key every
# module encrypts with, the pics table and the pictures bucket.

module "contract" {
  source = "../contract"
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
  # Key, index, TTL and stream names: modules/contract (contract.json).
  table         = module.contract.table
  owner_index   = local.table.indexes.owner.name
  pending_index = local.table.indexes.pending.name
  # Bucket names are global: the account id keeps two accounts using the
  # same prefix apart.
  bucket_name = "${var.name_prefix}-pics-${local.account_id}"
}

# ---------------------------------------------------------------- KMS key

resource "aws_kms_key" "this" {
  description             = "${var.name_prefix}: encrypts the pics table, bucket, logs, queues, parameters and Lambda environments"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  # The account root statement delegates access to IAM policies, so each
  # role's own policy decides what it may do with the key. CloudWatch Logs
  # cannot use IAM roles and needs its own grant, limited to this account's
  # log groups through the encryption context.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersKeyThroughIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsEncryptsThisAccountsLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action = [
          "kms:Encrypt",
          "kms:Decrypt",
          "kms:ReEncryptFrom",
          "kms:ReEncryptTo",
          "kms:GenerateDataKey",
          "kms:GenerateDataKeyWithoutPlaintext",
          "kms:DescribeKey",
        ]
        Resource = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"
          }
        }
      },
    ]
  })
  tags = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name_prefix}"
  target_key_id = aws_kms_key.this.key_id
}

# ---------------------------------------------------------------- table

resource "aws_dynamodb_table" "pics" {
  name                        = "${var.name_prefix}-pics"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = local.table.hash_key
  deletion_protection_enabled = var.table_deletion_protection
  # The publish Lambda compares old and new images to publish status changes.
  stream_enabled   = true
  stream_view_type = local.table.stream_view_type

  dynamic "attribute" {
    for_each = local.table.key_attributes
    content {
      name = attribute.key
      type = attribute.value
    }
  }

  # owner: listAIPics queries the caller's pictures newest first, never a scan.
  # pending: sparse, only pictures not final yet carry its hash key (createAIPic
  # sets it, every final write removes it), so the sweeper queries the overdue
  # ones oldest first without a scan. One partition value: each picture writes
  # the index twice (in, out), far below a partition's 1,000 writes per second
  # under the daily ceilings. Keys only: the sweeper decides on the item itself.
  dynamic "global_secondary_index" {
    for_each = local.table.indexes
    content {
      name            = global_secondary_index.value.name
      hash_key        = global_secondary_index.value.hash_key
      range_key       = global_secondary_index.value.range_key
      projection_type = global_secondary_index.value.projection
    }
  }

  # Daily quota counters carry the TTL attribute and disappear on their own.
  ttl {
    attribute_name = local.table.ttl_attribute
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }

  tags = var.tags
}

# ---------------------------------------------------------------- bucket

resource "aws_s3_bucket" "pics" {
  # checkov:skip=CKV_AWS_144: Pictures are regenerable output; cross-region replication would double storage cost for no recovery gain. Versioning covers accidental overwrites.
  # checkov:skip=CKV2_AWS_62: The ObjectCreated notification for pics/ is owned by modules/pipeline (aws_s3_bucket_notification), which knows the on_upload function.
  # checkov:skip=CKV_AWS_18: Server access logging is opt-in through var.access_log_bucket (aws_s3_bucket_logging below); a log bucket is account infrastructure this module does not own.
  bucket        = local.bucket_name
  force_destroy = var.bucket_force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "pics" {
  bucket                  = aws_s3_bucket.pics.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# ACLs disabled: access is decided by IAM and the bucket policy only.
resource "aws_s3_bucket_ownership_controls" "pics" {
  bucket = aws_s3_bucket.pics.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "pics" {
  bucket = aws_s3_bucket.pics.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "pics" {
  bucket = aws_s3_bucket.pics.id

  rule {
    # The bucket key cuts KMS requests (and cost) for every object written.
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
  }
}

resource "aws_s3_bucket_policy" "pics" {
  bucket = aws_s3_bucket.pics.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyRequestsWithoutTls"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.pics.arn, "${aws_s3_bucket.pics.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })

  # A policy written before the block is in place could be public for a moment.
  depends_on = [aws_s3_bucket_public_access_block.pics]
}

resource "aws_s3_bucket_lifecycle_configuration" "pics" {
  bucket = aws_s3_bucket.pics.id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    # The webhook streams pictures with multipart uploads; a crash mid-upload
    # must not leave billed parts behind.
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    # Delete markers without versions behind them are clutter.
    expiration {
      expired_object_delete_marker = true
    }
  }

  # Lifecycle rules on an unversioned bucket would treat noncurrent versions differently.
  depends_on = [aws_s3_bucket_versioning.pics]
}

resource "aws_s3_bucket_cors_configuration" "pics" {
  count  = length(var.cors_allowed_origins) > 0 ? 1 : 0
  bucket = aws_s3_bucket.pics.id

  # Browsers fetch pictures with SigV4-signed GETs using identity pool credentials.
  cors_rule {
    allowed_methods = ["GET", "HEAD"]
    allowed_origins = var.cors_allowed_origins
    allowed_headers = ["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "x-amz-user-agent"]
    expose_headers  = ["ETag"]
    max_age_seconds = 3600
  }
}

resource "aws_s3_bucket_logging" "pics" {
  count         = var.access_log_bucket == null ? 0 : 1
  bucket        = aws_s3_bucket.pics.id
  target_bucket = var.access_log_bucket
  target_prefix = "s3-access/${local.bucket_name}/"
}
