# This module uses no provider: it only computes values from its inputs.
terraform {
  required_version = ">= 1.6.0"
}
