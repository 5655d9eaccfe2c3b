# Offline tests: the module has no provider, so plan evaluates every output.

run "dev_defaults" {
  command = plan

  variables {
    environment = "dev"
  }

  assert {
    condition     = output.core_image == "ghcr.io/lamina-os/lamina-core:0.1.0"
    error_message = "core_image must default to the 0.1.0 tag on ghcr.io/lamina-os."
  }

  assert {
    condition     = output.monitoring_image == "ghcr.io/lamina-os/lamina-monitoring:0.1.0"
    error_message = "monitoring_image must default to the 0.1.0 tag on ghcr.io/lamina-os."
  }

  assert {
    condition     = output.replicas == 1
    error_message = "dev must run a single replica by default."
  }

  assert {
    condition     = output.labels["lamina.io/environment"] == "dev" && output.labels["app.kubernetes.io/version"] == "0.1.0"
    error_message = "labels must carry the environment and version."
  }

  assert {
    condition     = yamldecode(output.core_values_yaml).config.logLevel == "debug"
    error_message = "dev must log at debug level."
  }

  assert {
    condition     = !contains(keys(output.core_values.podLabels), "app.kubernetes.io/managed-by")
    error_message = "podLabels must not set labels that the chart manages."
  }
}

run "prod_with_digest_and_overrides" {
  command = plan

  variables {
    environment    = "prod"
    registry       = "registry.example.com/lamina"
    lamina_version = "0.2.0-rc.1"
    image_digest   = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    extra_labels   = { team = "platform" }
  }

  assert {
    condition     = output.core_image == "registry.example.com/lamina/lamina-core@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    error_message = "core_image must be pinned by digest when image_digest is set."
  }

  assert {
    condition     = output.monitoring_image == "registry.example.com/lamina/lamina-monitoring:0.2.0-rc.1"
    error_message = "monitoring_image must use the registry and version given."
  }

  assert {
    condition     = output.replicas == 3 && output.core_values.replicaCount == 3
    error_message = "prod must run three replicas by default."
  }

  assert {
    condition     = output.labels["team"] == "platform" && output.labels["app.kubernetes.io/part-of"] == "lamina"
    error_message = "extra_labels must be merged into the common labels."
  }

  assert {
    condition     = yamldecode(output.observability_values_yaml).prometheusRule.errorRateThreshold == 0.01
    error_message = "prod must alert at a 1% error ratio."
  }
}

run "replicas_and_log_level_override" {
  command = plan

  variables {
    environment = "staging"
    replicas    = 5
    log_level   = "warn"
  }

  assert {
    condition     = output.replicas == 5
    error_message = "replicas must override the environment default."
  }

  assert {
    condition     = output.core_values.config.logLevel == "warn"
    error_message = "log_level must override the environment default."
  }
}

run "rejects_unknown_environment" {
  command = plan

  variables {
    environment = "qa"
  }

  expect_failures = [
    var.environment,
  ]
}

run "rejects_malformed_digest" {
  command = plan

  variables {
    environment  = "dev"
    image_digest = "latest"
  }

  expect_failures = [
    var.image_digest,
  ]
}

run "rejects_unknown_log_level" {
  command = plan

  variables {
    environment = "dev"
    log_level   = "verbose"
  }

  expect_failures = [
    var.log_level,
  ]
}
