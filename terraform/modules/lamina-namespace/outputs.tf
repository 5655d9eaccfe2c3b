output "namespace" {
  description = "Name of the created namespace."
  value       = kubernetes_namespace_v1.this.metadata[0].name
}

output "resource_quota_name" {
  description = "Name of the namespace ResourceQuota."
  value       = kubernetes_resource_quota_v1.this.metadata[0].name
}

output "network_policy_names" {
  description = "Names of the NetworkPolicies in the namespace."
  value = [
    kubernetes_network_policy_v1.default_deny_ingress.metadata[0].name,
    kubernetes_network_policy_v1.lamina_core.metadata[0].name,
  ]
}
