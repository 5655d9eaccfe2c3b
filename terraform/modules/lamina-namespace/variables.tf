variable "name" {
  description = "Name of the namespace that hosts Lamina OS services."
  type        = string
  default     = "lamina-system"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.name))
    error_message = "The name must be a DNS-1123 label (lowercase alphanumerics and '-', at most 63 characters)."
  }
}

variable "labels" {
  description = "Extra labels for the namespace."
  type        = map(string)
  default     = {}
}

variable "pod_security_level" {
  description = "Pod Security Standard enforced in the namespace."
  type        = string
  default     = "restricted"

  validation {
    condition     = contains(["privileged", "baseline", "restricted"], var.pod_security_level)
    error_message = "The pod_security_level must be one of privileged, baseline or restricted."
  }
}

variable "quota" {
  description = "Hard limits of the namespace ResourceQuota."
  type = object({
    requests_cpu    = string
    requests_memory = string
    limits_cpu      = string
    limits_memory   = string
    pods            = number
    services        = number
  })
  default = {
    requests_cpu    = "2"
    requests_memory = "2Gi"
    limits_cpu      = "4"
    limits_memory   = "4Gi"
    pods            = 20
    services        = 10
  }
}

variable "monitoring_namespace" {
  description = "Namespace of the Prometheus that scrapes lamina-core metrics."
  type        = string
  default     = "monitoring"
}

variable "api_port" {
  description = "Container port of the lamina-core HTTP API."
  type        = number
  default     = 8080
}

variable "metrics_port" {
  description = "Container port of the lamina-core metrics endpoint."
  type        = number
  default     = 9090
}
