# Inputs every test file in this directory starts from (terraform test loads
# tests/*.tfvars); runs override single values in their own variables block.
name_prefix = "aipic-test"
artifacts = {
  functions = {
    path          = "build/functions.zip"
    sha256_base64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  }
}
table_name         = "aipic-test-pics"
table_arn          = "arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics"
pending_index_name = "byPending"
table_stream_arn   = "arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics/stream/2025-11-26T04:12:00.000"
bucket_name        = "aipic-test-pics-123456789012"
bucket_arn         = "arn:aws:s3:::aipic-test-pics-123456789012"
kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
graphql_url        = "https://abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-1.amazonaws.com/graphql"
publish_field_arn  = "arn:aws:appsync:eu-west-1:123456789012:apis/abcdefghijklmnopqrstuvwxyz/types/Mutation/fields/publish"
replicate_model    = "ac732df83cea7fff18b8472768c88ad041fa750ff7682a21affe81863cbe77e4"
tags               = { Project = "aipic" }
