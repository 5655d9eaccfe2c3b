"""Real Helm v4 loads a repository index over HTTP (strictly, as `helm repo add` does).

usage: helm_load.py REPO_URL
Prints the number of chart versions Helm read.
"""
import os
import sys
import tempfile

import helm_python as helm

with tempfile.TemporaryDirectory() as tmp:
    for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        os.environ[var] = os.path.join(tmp, var.lower())
    index = helm.repo_index(sys.argv[1])
    print(sum(len(v) for v in index["entries"].values()))
