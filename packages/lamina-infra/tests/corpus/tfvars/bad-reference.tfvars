environment = var.stage
