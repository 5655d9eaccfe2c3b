variable "environment" {
  description = "Deployment environment: dev, staging or prod."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "The environment must be one of dev, staging or prod."
  }
}

variable "lamina_version" {
  description = "Lamina OS release to deploy (image tag of lamina-core and lamina-monitoring)."
  type        = string
  default     = "0.1.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$", var.lamina_version))
    error_message = "The lamina_version must be a semantic version such as 0.1.0."
  }
}

variable "registry" {
  description = "Registry and namespace holding the Lamina images, without a trailing slash."
  type        = string
  default     = "ghcr.io/lamina-os"

  validation {
    condition     = length(var.registry) > 0 && !endswith(var.registry, "/")
    error_message = "The registry must be non-empty and must not end with '/'."
  }
}

variable "image_digest" {
  description = "Optional sha256 digest of the lamina-core image; when set it pins the image instead of the tag."
  type        = string
  default     = null

  validation {
    condition     = var.image_digest == null || can(regex("^sha256:[a-f0-9]{64}$", var.image_digest))
    error_message = "The image_digest must look like sha256:<64 hex characters>."
  }
}

variable "replicas" {
  description = "Number of lamina-core pods; null uses the environment default (dev 1, staging 2, prod 3)."
  type        = number
  default     = null

  validation {
    condition     = var.replicas == null || try(var.replicas >= 0 && floor(var.replicas) == var.replicas, false)
    error_message = "The replicas must be a non-negative whole number."
  }
}

variable "log_level" {
  description = "lamina-core log level; null uses the environment default (debug in dev, info elsewhere)."
  type        = string
  default     = null

  validation {
    condition     = var.log_level == null ? true : contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "The log_level must be one of debug, info, warn or error."
  }
}

variable "extra_labels" {
  description = "Labels added to the common label set."
  type        = map(string)
  default     = {}
}
