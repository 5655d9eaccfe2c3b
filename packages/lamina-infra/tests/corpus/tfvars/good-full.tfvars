# every variable set
environment    = "prod"
lamina_version = "0.2.0"
registry       = "registry.example.com/lamina"
image_digest   = null
replicas       = 3
log_level      = "warn"
extra_labels   = { team = "core", tier = "1" }
