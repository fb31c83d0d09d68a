# The module only decodes contract.json; these runs check the shapes the other
# modules rely on, so a malformed contract fails here first.

run "outputs_have_the_shapes_the_modules_read" {
  command = plan

  assert {
    condition     = output.table.hash_key == "id" && contains(keys(output.table.key_attributes), output.table.hash_key)
    error_message = "The table's hash key must be id and one of its key attributes."
  }

  assert {
    condition = alltrue([
      for index in values(output.table.indexes) :
      contains(keys(output.table.key_attributes), index.hash_key) && contains(keys(output.table.key_attributes), index.range_key)
    ])
    error_message = "Every index's keys must be key attributes of the table."
  }

  assert {
    condition = alltrue(flatten([
      for function in values(output.environment.functions) : [
        for key in concat(function.required, function.optional) : contains(keys(output.environment.variables), key)
      ]
    ]))
    error_message = "Every function's environment must name keys of environment.variables."
  }

  assert {
    condition = alltrue(flatten([
      for pipeline in values(output.api.pipelines) : [
        for step in pipeline.functions : contains(keys(output.api.data_sources), step.data_source)
      ]
    ]))
    error_message = "Every pipeline function must use one of the contract's data sources."
  }

  # modules/api creates one AppSync function per name, shared by the pipelines.
  assert {
    condition = alltrue([
      for name, sources in {
        for step in flatten([for pipeline in values(output.api.pipelines) : pipeline.functions]) : step.name => step.data_source...
      } : length(distinct(sources)) == 1
    ])
    error_message = "A function used by several pipelines must name one data source in all of them."
  }

  assert {
    condition     = alltrue([for name in values(output.parameters) : startswith(name, "/{name_prefix}/")])
    error_message = "Every parameter name must start with /{name_prefix}/."
  }
}
