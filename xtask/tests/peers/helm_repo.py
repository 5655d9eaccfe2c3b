"""Real Helm v4 reads a chart repository over HTTP and pulls charts through it.

usage: helm_repo.py REPO_URL NAME:VERSION...
Prints one JSON document: the versions Helm sees per chart, and the sha256 of each pulled archive.
"""
import hashlib
import json
import os
import sys
import tempfile

import helm_python as helm


def main():
    url, wanted = sys.argv[1], sys.argv[2:]
    with tempfile.TemporaryDirectory() as tmp:
        for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
            os.environ[var] = os.path.join(tmp, var.lower())
        index = helm.repo_index(url)
        entries = {name: [v["version"] for v in versions] for name, versions in index["entries"].items()}
        pulled = []
        for item in wanted:
            name, version = item.split(":", 1)
            dest = os.path.join(tmp, "pull", name, version)
            os.makedirs(dest)
            path = helm.pull(name, repo_url=url, version=version, destination=dest)
            if not os.path.isfile(str(path)):
                path = os.path.join(dest, os.listdir(dest)[0])
            with open(path, "rb") as f:
                pulled.append({"name": name, "version": version, "sha256": hashlib.sha256(f.read()).hexdigest()})
        print(json.dumps({"entries": entries, "pulled": pulled}))


main()
