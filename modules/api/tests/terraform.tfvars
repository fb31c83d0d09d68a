# Inputs every test file in this directory starts from (terraform test loads
# tests/*.tfvars); runs override single values in their own variables block.
name_prefix           = "aipic-test"
resolvers_dir         = "tests/fixtures/resolvers"
user_pool_id          = "eu-west-1_AbCdEf123"
table_name            = "aipic-test-pics"
table_arn             = "arn:aws:dynamodb:eu-west-1:123456789012:table/aipic-test-pics"
kms_key_arn           = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
generate_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:aipic-test-generate"
tags                  = { Project = "aipic" }
