locals {
  labels = merge(var.labels, {
    "app.kubernetes.io/part-of"                  = "lamina"
    "app.kubernetes.io/managed-by"               = "terraform"
    "pod-security.kubernetes.io/enforce"         = var.pod_security_level
    "pod-security.kubernetes.io/enforce-version" = "latest"
    "pod-security.kubernetes.io/audit"           = var.pod_security_level
    "pod-security.kubernetes.io/audit-version"   = "latest"
    "pod-security.kubernetes.io/warn"            = var.pod_security_level
    "pod-security.kubernetes.io/warn-version"    = "latest"
  })

  lamina_core_selector = {
    "app.kubernetes.io/name" = "lamina-core"
  }
}

resource "kubernetes_namespace_v1" "this" {
  metadata {
    name   = var.name
    labels = local.labels
  }
}

resource "kubernetes_resource_quota_v1" "this" {
  metadata {
    name      = "lamina-quota"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = { "app.kubernetes.io/part-of" = "lamina" }
  }

  spec {
    hard = {
      "requests.cpu"    = var.quota.requests_cpu
      "requests.memory" = var.quota.requests_memory
      "limits.cpu"      = var.quota.limits_cpu
      "limits.memory"   = var.quota.limits_memory
      "pods"            = tostring(var.quota.pods)
      "services"        = tostring(var.quota.services)
    }
  }
}

# Deny all ingress to pods in the namespace unless another policy allows it.
resource "kubernetes_network_policy_v1" "default_deny_ingress" {
  metadata {
    name      = "default-deny-ingress"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = { "app.kubernetes.io/part-of" = "lamina" }
  }

  spec {
    pod_selector {}
    policy_types = ["Ingress"]
  }
}

# lamina-core: API from the same namespace, metrics from the monitoring namespace.
resource "kubernetes_network_policy_v1" "lamina_core" {
  metadata {
    name      = "lamina-core"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = { "app.kubernetes.io/part-of" = "lamina" }
  }

  spec {
    pod_selector {
      match_labels = local.lamina_core_selector
    }
    policy_types = ["Ingress"]

    ingress {
      from {
        pod_selector {}
      }
      ports {
        protocol = "TCP"
        port     = tostring(var.api_port)
      }
    }

    ingress {
      from {
        namespace_selector {
          match_labels = {
            "kubernetes.io/metadata.name" = var.monitoring_namespace
          }
        }
      }
      ports {
        protocol = "TCP"
        port     = tostring(var.metrics_port)
      }
    }
  }
}
