"""Real Helm v4 pulls a chart from an OCI registry over plain HTTP (loopback).

usage: helm_oci.py oci://HOST/PATH/NAME:TAG [USER PASSWORD]
Prints one JSON document: the manifest descriptor Helm resolves and the sha256 of the pulled archive.
"""
import hashlib
import json
import os
import sys
import tempfile

import helm_python as helm


def main():
    ref = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
            os.environ[var] = os.path.join(tmp, var.lower())
        with helm.RegistryClient(plain_http=True, credentials_file=os.path.join(tmp, "auth.json")) as client:
            if len(sys.argv) == 4:
                host = ref[len("oci://"):].split("/")[0]
                client.login(host, sys.argv[2], sys.argv[3], plain_http=True)
            resolved = client.resolve(ref)
            dest = os.path.join(tmp, "pull")
            os.makedirs(dest)
            client.pull(ref, destination=dest)
            (name,) = os.listdir(dest)
            with open(os.path.join(dest, name), "rb") as f:
                sha = hashlib.sha256(f.read()).hexdigest()
        print(json.dumps({"resolved": resolved, "file": name, "sha256": sha}))


main()
