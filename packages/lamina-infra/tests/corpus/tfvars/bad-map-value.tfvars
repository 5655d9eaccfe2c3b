environment  = "dev"
extra_labels = { team = { name = "core" } }
