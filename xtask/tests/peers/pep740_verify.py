"""Verifies a PEP 740 publish attestation with PyPI `pypi-attestations`, the independent
verifier, against the trusted root of a Sigstore ClientTrustConfig (the loopback Sigstore):
`pep740_verify.py TRUST_CONFIG IDENTITY DIST ATTESTATION`. Prints the predicate type; exits 1
with the reason when the attestation does not verify for that identity and file."""

import sys
from pathlib import Path

from pypi_attestations import Attestation, Distribution
from sigstore.models import ClientTrustConfig
from sigstore.verify import Verifier, policy

ISSUER = "https://token.actions.githubusercontent.com"

trust_config, identity, dist, attestation = sys.argv[1:5]
config = ClientTrustConfig.from_json(Path(trust_config).read_text())
verifier = Verifier(trusted_root=config.trusted_root)
# `Attestation.verify` takes Sigstore's production verifier; the loopback one stands in.
Verifier.production = classmethod(lambda cls, offline=False: verifier)
try:
    predicate_type, _ = Attestation.model_validate_json(Path(attestation).read_bytes()).verify(
        policy.Identity(identity=identity, issuer=ISSUER), Distribution.from_file(Path(dist))
    )
except Exception as error:  # the reason, for the test's message
    print(f"refused: {error}", file=sys.stderr)
    sys.exit(1)
print(predicate_type)
