"""A `helm` front end over real Helm v4 (helm-python-sdk), for the commands `lamina-infra` runs.

  helm version --template {{.Version}}     prints the SDK's Helm version
  helm upgrade --install NAME CHART [--namespace NS] [--create-namespace] [--kube-context CTX]
                                          [-f FILE]...
                                          renders CHART with the values files merged in order
                                          (as `helm template` does: defaults coalesced, the
                                          values.schema.json checked) and prints the manifests;
                                          no cluster is contacted
Anything else fails, naming what is not supported.
"""
import sys
import tempfile
import os

import helm_python as helm


def merge(base, over):
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def main(args):
    if args[:1] == ["version"]:
        print(helm.helm_sdk_version())
        return 0
    if args[:2] != ["upgrade", "--install"]:
        print(f"helm shim: `{' '.join(args)}` is not supported", file=sys.stderr)
        return 2
    rest, positional, values, namespace, context = args[2:], [], {}, "default", "(current)"
    while rest:
        arg = rest.pop(0)
        if arg in ("-f", "--values"):
            with open(rest.pop(0)) as f:
                merge(values, helm.values_from_yaml(f.read()) or {})
        elif arg in ("-n", "--namespace"):
            namespace = rest.pop(0)
        elif arg == "--kube-context":
            context = rest.pop(0)
        elif arg == "--create-namespace":
            pass
        else:
            positional.append(arg)
    name, chart_path = positional
    with tempfile.TemporaryDirectory() as tmp:
        for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
            os.environ[var] = os.path.join(tmp, var.lower())
        chart = helm.Chart.load(chart_path)
        try:
            rendered = chart.render(values=values, name=name, namespace=namespace, is_install=True)
        except helm.HelmError as e:
            print(f"Error: {e}", file=sys.stderr)
            return 1
    for path in sorted(rendered):
        if rendered[path].strip():
            print(f"---\n# Source: {path}\n{rendered[path].strip()}")
    print(f'Release "{name}" has been rendered in namespace "{namespace}" of kube context "{context}" (no cluster contacted)')
    return 0


sys.exit(main(sys.argv[1:]))
