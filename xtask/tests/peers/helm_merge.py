"""Real Helm v4's `repo index --merge`: index the archives in DIR, merged into INDEX.

usage: helm_merge.py DIR INDEX BASE_URL
Writes DIR/index.yaml the way `helm repo index DIR --merge INDEX --url BASE_URL` does and prints
the number of chart versions in it. Helm loads INDEX strictly, so this also checks that INDEX is
an index Helm accepts.
"""
import sys

import helm_python as helm

directory, merge, base_url = sys.argv[1], sys.argv[2], sys.argv[3]
index = helm.repo_index_generate(directory, base_url=base_url, merge=merge)
print(sum(len(v) for v in index["entries"].values()))
