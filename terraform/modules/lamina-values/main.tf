locals {
  environment_defaults = {
    dev = {
      replicas  = 1
      log_level = "debug"
      resources = {
        requests = { cpu = "25m", memory = "32Mi" }
        limits   = { memory = "64Mi" }
      }
    }
    staging = {
      replicas  = 2
      log_level = "info"
      resources = {
        requests = { cpu = "50m", memory = "64Mi" }
        limits   = { memory = "128Mi" }
      }
    }
    prod = {
      replicas  = 3
      log_level = "info"
      resources = {
        requests = { cpu = "100m", memory = "128Mi" }
        limits   = { memory = "256Mi" }
      }
    }
  }

  defaults  = local.environment_defaults[var.environment]
  replicas  = coalesce(var.replicas, local.defaults.replicas)
  log_level = coalesce(var.log_level, local.defaults.log_level)

  core_repository       = "${var.registry}/lamina-core"
  monitoring_repository = "${var.registry}/lamina-monitoring"
  core_image            = var.image_digest == null ? "${local.core_repository}:${var.lamina_version}" : "${local.core_repository}@${var.image_digest}"
  monitoring_image      = "${local.monitoring_repository}:${var.lamina_version}"

  # Labels passed into the Helm charts (podLabels, commonLabels). The charts set
  # app.kubernetes.io/{name,instance,version,managed-by} themselves.
  chart_labels = merge(var.extra_labels, {
    "app.kubernetes.io/part-of" = "lamina"
    "lamina.io/environment"     = var.environment
  })

  # Labels for objects managed directly by Terraform.
  labels = merge(local.chart_labels, {
    "app.kubernetes.io/version"    = var.lamina_version
    "app.kubernetes.io/managed-by" = "terraform"
  })

  # Values for the lamina-core Helm chart (charts/lamina-core).
  core_values = {
    replicaCount = local.replicas
    image = {
      repository = local.core_repository
      tag        = var.lamina_version
      digest     = var.image_digest == null ? "" : var.image_digest
      pullPolicy = "IfNotPresent"
    }
    podLabels = local.chart_labels
    config = {
      logLevel        = local.log_level
      shutdownTimeout = var.environment == "prod" ? "30s" : "15s"
    }
    resources                     = local.defaults.resources
    terminationGracePeriodSeconds = var.environment == "prod" ? 45 : 30
  }

  # Values for the lamina-observability Helm chart (charts/lamina-observability).
  observability_values = {
    commonLabels = local.chart_labels
    prometheusRule = {
      enabled            = true
      errorRateThreshold = var.environment == "prod" ? 0.01 : 0.05
      additionalAlertLabels = {
        environment = var.environment
      }
    }
  }
}
