"""A real TUF repository (python-tuf's Metadata API) standing in for Sigstore's.

usage: tuf_repo.py init KEYS REPO TARGET
       tuf_repo.py publish KEYS REPO TARGET [--expired] [--bad-signature]
`init` makes fresh keys (one ECDSA P-256 key per role) in KEYS and the repository in REPO:
`1.root.json`, then version 1 of targets, snapshot and timestamp publishing the file TARGET as
the target `trusted_root.json`. `publish` signs the next version of targets, snapshot and
timestamp publishing TARGET; with `--expired` the timestamp expired an hour ago, with
`--bad-signature` it is signed by a key the root does not name. The layout is Sigstore's
(consistent snapshots): `timestamp.json`, `N.snapshot.json`, `N.targets.json`,
`targets/SHA256.trusted_root.json`; REPO is served as it is.
"""
import json
import os
import sys
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives import serialization
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import MetaFile, Metadata, Root, Snapshot, TargetFile, Targets, Timestamp
from tuf.api.serialization.json import JSONSerializer

ROLES = ("root", "targets", "snapshot", "timestamp")
TARGET = "trusted_root.json"


def expires(delta):
    return datetime.now(timezone.utc).replace(microsecond=0) + delta


def signer(keys, role):
    with open(os.path.join(keys, f"{role}.pem"), "rb") as f:
        return CryptoSigner(serialization.load_pem_private_key(f.read(), None))


def signed(md, key):
    md.sign(key)
    return md.to_bytes(JSONSerializer(compact=False))


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def init(keys, repo, target):
    os.makedirs(keys, exist_ok=True)
    root = Root(expires=expires(timedelta(days=365)), consistent_snapshot=True)
    for role in ROLES:
        key = CryptoSigner.generate_ecdsa()
        write(os.path.join(keys, f"{role}.pem"), key.private_bytes)
        root.add_key(key.public_key, role)
    data = signed(Metadata(root), signer(keys, "root"))
    write(os.path.join(repo, "1.root.json"), data)
    write(os.path.join(repo, "root.json"), data)
    publish(keys, repo, target, [])


def publish(keys, repo, target, options):
    current = os.path.join(repo, "timestamp.json")
    version = Metadata.from_file(current).signed.version + 1 if os.path.exists(current) else 1
    with open(target, "rb") as f:
        content = f.read()
    file = TargetFile.from_data(TARGET, content, ["sha256"])
    write(os.path.join(repo, "targets", f"{file.hashes['sha256']}.{TARGET}"), content)

    targets = Targets(version=version, expires=expires(timedelta(days=30)))
    targets.targets[TARGET] = file
    data = signed(Metadata(targets), signer(keys, "targets"))
    write(os.path.join(repo, f"{version}.targets.json"), data)

    snapshot = Snapshot(version=version, expires=expires(timedelta(days=30)))
    snapshot.meta["targets.json"] = MetaFile(version=version)
    data = signed(Metadata(snapshot), signer(keys, "snapshot"))
    write(os.path.join(repo, f"{version}.snapshot.json"), data)

    lifetime = timedelta(hours=-1) if "--expired" in options else timedelta(days=7)
    meta = MetaFile.from_data(version, data, ["sha256"])
    timestamp = Timestamp(version=version, expires=expires(lifetime), snapshot_meta=meta)
    key = CryptoSigner.generate_ecdsa() if "--bad-signature" in options else signer(keys, "timestamp")
    write(current, signed(Metadata(timestamp), key))
    print(json.dumps({"version": version, "sha256": file.hashes["sha256"]}))


def main():
    command, keys, repo, target, *options = sys.argv[1:]
    if command == "init":
        init(keys, repo, target)
    elif command == "publish":
        publish(keys, repo, target, options)
    else:
        sys.exit(f"unknown command {command}: give init or publish")


if __name__ == "__main__":
    main()
