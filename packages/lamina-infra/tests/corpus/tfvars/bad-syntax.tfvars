environment = "dev"
log_level   = [
