environment = "dev"
replicas    = "many"
