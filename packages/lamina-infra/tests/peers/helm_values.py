"""Real Helm v4 (helm-python-sdk) as the oracle for values files.

usage: helm_values.py CHART_DIR VALUES_FILE
Reads VALUES_FILE as Helm reads `-f FILE` and renders CHART_DIR with it, as `helm template`
does (defaults coalesced, then values.schema.json checked). Prints one JSON document:
{"ok": true} or {"ok": false, "error": "..."}.
"""
import json
import os
import sys
import tempfile

import helm_python as helm


def main():
    chart_dir, values_file = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
            os.environ[var] = os.path.join(tmp, var.lower())
        chart = helm.Chart.load(chart_dir)
        try:
            with open(values_file) as f:
                values = helm.values_from_yaml(f.read())
            chart.render(values=values, name="check", namespace="default")
        except helm.HelmError as e:
            print(json.dumps({"ok": False, "error": str(e)}))
            return
        print(json.dumps({"ok": True}))


main()
