output "core_image" {
  description = "Full reference of the lamina-core image (digest-pinned when image_digest is set)."
  value       = local.core_image
}

output "monitoring_image" {
  description = "Full reference of the lamina-monitoring configuration image."
  value       = local.monitoring_image
}

output "labels" {
  description = "Common labels for Lamina objects in this environment."
  value       = local.labels
}

output "replicas" {
  description = "Effective number of lamina-core pods."
  value       = local.replicas
}

output "core_values" {
  description = "Values for the lamina-core Helm chart as an object."
  value       = local.core_values
}

output "core_values_yaml" {
  description = "Values for the lamina-core Helm chart as YAML, e.g. for helm_release.values."
  value       = yamlencode(local.core_values)
}

output "observability_values_yaml" {
  description = "Values for the lamina-observability Helm chart as YAML."
  value       = yamlencode(local.observability_values)
}
