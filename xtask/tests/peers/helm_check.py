"""Real Helm v4 (helm-python-sdk) as the oracle for one chart archive.

usage: helm_check.py OUR_TGZ CHART_DIR
Packages CHART_DIR with Helm, then loads, lints and renders OUR_TGZ, and prints one JSON
document: the entry names of both archives, the lint report, and what Helm loaded.
"""
import json
import os
import sys
import tarfile
import tempfile

import helm_python as helm


def names(path):
    with tarfile.open(path) as archive:
        return sorted(m.name for m in archive.getmembers())


def main():
    ours, chart_dir = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
            os.environ[var] = os.path.join(tmp, var.lower())
        theirs = helm.package(chart_dir, destination=tmp)
        chart = helm.Chart.load(ours)
        try:
            rendered = chart.render(name="check", namespace="default")
        except helm.HelmError as e:  # e.g. a .helmignore case that leaves out a helper
            rendered = {"error": str(e)}
        print(json.dumps({
            "ours": names(ours),
            "helm": names(theirs),
            "lint": helm.lint(ours, strict=True),
            "name": chart.name,
            "version": chart.version,
            "templates": sorted(t["name"] for t in chart.templates),
            "rendered": sorted(k for k, v in rendered.items() if v.strip() and k != "error"),
            "digest": helm.digest(ours),
        }))


main()
