environment = "dev"
environment = "prod"
