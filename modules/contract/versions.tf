terraform {
  required_version = ">= 1.11.4, < 2.0.0"
}
