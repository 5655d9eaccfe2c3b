environment = "dev"
replica     = 2
