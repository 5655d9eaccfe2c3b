"""Real Helm v4's `repo index` over a folder of chart archives, as the reference for ours.

usage: helm_index.py DIR BASE_URL
Prints the index Helm writes (DIR/index.yaml is created in a copy, not in DIR) as JSON.
"""
import json
import os
import shutil
import sys
import tempfile

import helm_python as helm


def main():
    source, base_url = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
            os.environ[var] = os.path.join(tmp, var.lower())
        work = os.path.join(tmp, "charts")
        os.makedirs(work)
        for name in os.listdir(source):
            if name.endswith(".tgz"):
                shutil.copy(os.path.join(source, name), work)
        print(json.dumps(helm.repo_index_generate(work, base_url=base_url), default=str))


main()
