output "table" {
  description = "The pics table: hash key, key attributes and their types, the owner and pending indexes (name, keys, projection), the pending partition value, the TTL attribute, the stream view type."
  value       = local.contract.table
}

output "quota" {
  description = "The daily quota counters: item id formats (user_key, global_key with {owner} and {day}), their common prefix, the counter attribute."
  value       = local.contract.quota
}

output "parameters" {
  description = "SSM SecureString parameter names by key, with {name_prefix} to substitute."
  value       = local.contract.parameters
}

output "environment" {
  description = "The Lambda environment: variables (each variable's name by the key the modules and the Lambda package use), common (keys every pipeline function gets), functions (each function's required and optional keys)."
  value       = local.contract.environment
}

output "api" {
  description = "The AppSync wiring: data source names and types, the pipeline resolvers (type, code file, functions in execution order with their data sources), the unit resolvers (type, data source)."
  value       = local.contract.api
}
