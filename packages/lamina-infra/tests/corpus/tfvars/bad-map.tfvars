environment  = "dev"
extra_labels = ["core"]
