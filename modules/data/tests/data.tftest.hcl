# Security and wiring properties of the data module, planned and applied
# against a mocked AWS provider with realistic identifiers.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name_prefix = "aipic-test"
  tags        = { project = "aipic" }
}

run "kms_key_rotates_and_grants_only_root_and_this_accounts_log_groups" {
  command = apply

  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "The customer-managed key must rotate."
  }

  assert {
    condition     = aws_kms_alias.this.name == "alias/aipic-test"
    error_message = "The key alias must carry the name prefix."
  }

  assert {
    condition = [for s in jsondecode(aws_kms_key.this.policy).Statement : s.Principal] == [
      { AWS = "arn:aws:iam::123456789012:root" },
      { Service = "logs.eu-west-1.amazonaws.com" },
    ]
    error_message = "The key policy must name exactly the account root and the regional CloudWatch Logs service."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_kms_key.this.policy).Statement : s.Effect == "Allow" && s.Resource == "*"])
    error_message = "Key policy statements apply to this key only (Resource \"*\" in a key policy)."
  }

  assert {
    condition = jsondecode(aws_kms_key.this.policy).Statement[1].Action == [
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:DescribeKey",
    ]
    error_message = "CloudWatch Logs may only use the key for encryption, never administer it."
  }

  assert {
    condition = jsondecode(aws_kms_key.this.policy).Statement[1].Condition == {
      ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:aws:logs:eu-west-1:123456789012:log-group:*" }
    }
    error_message = "CloudWatch Logs may use the key only for this account's log groups in this region."
  }

  assert {
    condition     = output.kms_key_arn == aws_kms_key.this.arn
    error_message = "kms_key_arn must be the key's ARN."
  }
}

run "table_is_keyed_indexed_streamed_recoverable_and_encrypted" {
  command = apply

  assert {
    condition     = aws_dynamodb_table.pics.name == "aipic-test-pics" && aws_dynamodb_table.pics.hash_key == module.contract.table.hash_key && aws_dynamodb_table.pics.range_key == null
    error_message = "The table is aipic-test-pics with the contract's partition key only."
  }

  assert {
    condition     = { for a in aws_dynamodb_table.pics.attribute : a.name => a.type } == module.contract.table.key_attributes
    error_message = "Key attributes must be the contract's (modules/contract/contract.json table.key_attributes)."
  }

  assert {
    condition     = aws_dynamodb_table.pics.billing_mode == "PAY_PER_REQUEST"
    error_message = "The table must be on-demand."
  }

  assert {
    condition = { for g in aws_dynamodb_table.pics.global_secondary_index : g.name => [g.hash_key, g.range_key, g.projection_type] } == {
      for index in values(module.contract.table.indexes) : index.name => [index.hash_key, index.range_key, index.projection]
    }
    error_message = "The indexes must be the contract's: owner (owner, createdAt, projection ALL) and the sparse pending (pendingPartition, createdAt, keys only)."
  }

  assert {
    condition     = output.owner_index_name == module.contract.table.indexes.owner.name && output.pending_index_name == module.contract.table.indexes.pending.name
    error_message = "owner_index_name and pending_index_name must name the contract's indexes."
  }

  assert {
    condition     = aws_dynamodb_table.pics.stream_enabled && aws_dynamodb_table.pics.stream_view_type == module.contract.table.stream_view_type
    error_message = "The stream must carry old and new images for the publish Lambda."
  }

  assert {
    condition     = output.table_stream_arn == aws_dynamodb_table.pics.stream_arn && output.table_arn == aws_dynamodb_table.pics.arn
    error_message = "Table outputs must be the table's ARNs."
  }

  assert {
    condition     = aws_dynamodb_table.pics.point_in_time_recovery[0].enabled
    error_message = "Point-in-time recovery must be on."
  }

  assert {
    condition     = aws_dynamodb_table.pics.ttl[0].enabled && aws_dynamodb_table.pics.ttl[0].attribute_name == module.contract.table.ttl_attribute
    error_message = "TTL must be on, on the contract's TTL attribute (the quota counters' expiry)."
  }

  assert {
    condition     = aws_dynamodb_table.pics.server_side_encryption[0].enabled && aws_dynamodb_table.pics.server_side_encryption[0].kms_key_arn == aws_kms_key.this.arn
    error_message = "The table must be encrypted with the module's customer-managed key."
  }

  assert {
    condition     = aws_dynamodb_table.pics.deletion_protection_enabled
    error_message = "Deletion protection must be on by default."
  }

  assert {
    condition     = aws_dynamodb_table.pics.tags == tomap({ project = "aipic" })
    error_message = "The module's tags must reach the table."
  }
}

run "bucket_is_private_tls_only_versioned_and_kms_encrypted" {
  command = apply

  assert {
    condition     = aws_s3_bucket.pics.bucket == "aipic-test-pics-123456789012"
    error_message = "The bucket name is <prefix>-pics-<account id>."
  }

  assert {
    condition     = !aws_s3_bucket.pics.force_destroy
    error_message = "The bucket must not be force-destroyable by default."
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.pics.block_public_acls,
      aws_s3_bucket_public_access_block.pics.block_public_policy,
      aws_s3_bucket_public_access_block.pics.ignore_public_acls,
      aws_s3_bucket_public_access_block.pics.restrict_public_buckets,
    ])
    error_message = "All four public access blocks must be on."
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.pics.bucket == aws_s3_bucket.pics.id && aws_s3_bucket_policy.pics.bucket == aws_s3_bucket.pics.id
    error_message = "The public access block and the policy must apply to the pics bucket."
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.pics.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled (BucketOwnerEnforced)."
  }

  assert {
    condition     = aws_s3_bucket_versioning.pics.versioning_configuration[0].status == "Enabled"
    error_message = "Versioning must be enabled."
  }

  assert {
    condition = [for r in aws_s3_bucket_server_side_encryption_configuration.pics.rule : [
      r.bucket_key_enabled,
      r.apply_server_side_encryption_by_default[0].sse_algorithm,
      r.apply_server_side_encryption_by_default[0].kms_master_key_id,
    ]] == [[true, "aws:kms", aws_kms_key.this.arn]]
    error_message = "Default encryption must be SSE-KMS with the module's key and a bucket key."
  }

  assert {
    condition = jsondecode(aws_s3_bucket_policy.pics.policy).Statement == [{
      Sid       = "DenyRequestsWithoutTls"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = ["arn:aws:s3:::aipic-test-pics-123456789012", "arn:aws:s3:::aipic-test-pics-123456789012/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
    error_message = "The bucket policy must only deny every request made without TLS, on the bucket and its objects."
  }

  assert {
    condition     = output.bucket_name == aws_s3_bucket.pics.id && output.bucket_arn == aws_s3_bucket.pics.arn
    error_message = "Bucket outputs must be the bucket's name and ARN."
  }
}

run "lifecycle_aborts_multipart_uploads_and_expires_old_versions" {
  command = apply

  assert {
    condition     = [for r in aws_s3_bucket_lifecycle_configuration.pics.rule : r.status] == ["Enabled", "Enabled"]
    error_message = "Both lifecycle rules must be enabled."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.pics.rule[0].abort_incomplete_multipart_upload[0].days_after_initiation == 1
    error_message = "Incomplete multipart uploads must be aborted after one day."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.pics.rule[1].noncurrent_version_expiration[0].noncurrent_days == 30
    error_message = "Noncurrent versions must expire after the default 30 days."
  }

  assert {
    condition     = alltrue([for r in aws_s3_bucket_lifecycle_configuration.pics.rule : length(r.filter) == 1 && length(r.filter[0].and) == 0 && length(r.filter[0].tag) == 0])
    error_message = "Lifecycle rules must not be narrowed to tagged objects."
  }
}

run "optional_cors_and_access_logging_are_off_by_default" {
  command = apply

  assert {
    condition     = length(aws_s3_bucket_cors_configuration.pics) == 0
    error_message = "Without origins there must be no CORS rule."
  }

  assert {
    condition     = length(aws_s3_bucket_logging.pics) == 0
    error_message = "Without a log bucket there must be no access logging resource."
  }
}

run "throwaway_environment_settings_are_wired" {
  command = apply

  variables {
    table_deletion_protection          = false
    bucket_force_destroy               = true
    noncurrent_version_expiration_days = 7
    cors_allowed_origins               = ["https://app.example.com"]
    access_log_bucket                  = "central-access-logs"
  }

  assert {
    condition     = !aws_dynamodb_table.pics.deletion_protection_enabled
    error_message = "table_deletion_protection = false must reach the table."
  }

  assert {
    condition     = aws_s3_bucket.pics.force_destroy
    error_message = "bucket_force_destroy must reach the bucket."
  }

  assert {
    condition = output.protection == {
      table_deletion_protection = false
      bucket_force_destroy      = true
      kms_deletion_window_days  = 30
    }
    error_message = "The protection output must report the table, bucket and key settings as applied."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.pics.rule[1].noncurrent_version_expiration[0].noncurrent_days == 7
    error_message = "noncurrent_version_expiration_days must reach the lifecycle rule."
  }

  assert {
    condition = [for r in aws_s3_bucket_cors_configuration.pics[0].cors_rule : [
      r.allowed_methods, r.allowed_origins,
    ]] == [[toset(["GET", "HEAD"]), toset(["https://app.example.com"])]]
    error_message = "CORS must allow only GET and HEAD from the given origins."
  }

  assert {
    condition     = aws_s3_bucket_logging.pics[0].target_bucket == "central-access-logs" && aws_s3_bucket_logging.pics[0].target_prefix == "s3-access/aipic-test-pics-123456789012/"
    error_message = "Access logs must go to the given bucket under a per-bucket prefix."
  }
}

run "rejects_a_bad_name_prefix" {
  command = plan

  variables {
    name_prefix = "AIPic_Prod"
  }

  expect_failures = [var.name_prefix]
}

run "rejects_a_too_long_name_prefix" {
  command = plan

  variables {
    name_prefix = "a234567890123456789012345678901"
  }

  expect_failures = [var.name_prefix]
}

run "rejects_noncurrent_expiration_out_of_range" {
  command = plan

  variables {
    noncurrent_version_expiration_days = 0
  }

  expect_failures = [var.noncurrent_version_expiration_days]
}

run "rejects_a_cors_origin_with_a_path" {
  command = plan

  variables {
    cors_allowed_origins = ["https://app.example.com/gallery"]
  }

  expect_failures = [var.cors_allowed_origins]
}

run "rejects_an_invalid_access_log_bucket" {
  command = plan

  variables {
    access_log_bucket = "Not_A_Bucket"
  }

  expect_failures = [var.access_log_bucket]
}

run "rejects_a_short_kms_deletion_window" {
  command = plan

  variables {
    kms_deletion_window_days = 3
  }

  expect_failures = [var.kms_deletion_window_days]
}
