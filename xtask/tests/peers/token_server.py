"""A registry token server in the style of ghcr.io/token, for tests, on 127.0.0.1.

usage: token_server.py SIGNER_KEY SIGNER_CERT SERVICE ISSUER USER:PASSWORD [LOG]
Prints its port on the first line of stdout, then serves GET /token until killed. Basic
credentials must match USER:PASSWORD (else 401); without credentials callers are anonymous and
get `pull` only. Tokens are RS256 JWTs whose x5c header carries the signer certificate, which the
registry trusts as its `rootcertbundle`. With LOG, the Authorization header of every request
(empty when there is none) is appended to that file, one line each.
"""
import base64
import http.server
import json
import sys
import time
import urllib.parse
import uuid

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

key_path, cert_path, service, issuer, user_pass = sys.argv[1:6]
LOG = sys.argv[6] if len(sys.argv) > 6 else None
with open(key_path, "rb") as f:
    KEY = serialization.load_pem_private_key(f.read(), password=None)
with open(cert_path, "rb") as f:
    CERT = base64.b64encode(x509.load_pem_x509_certificate(f.read()).public_bytes(serialization.Encoding.DER)).decode()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path != "/token":
            self.send_error(404)
            return
        user = ""
        header = self.headers.get("Authorization", "")
        if LOG:
            with open(LOG, "a") as log:
                log.write(header + "\n")
        if header.startswith("Basic "):
            given = base64.b64decode(header[6:]).decode()
            if given != user_pass:
                self.send_error(401)
                return
            user = given.split(":", 1)[0]
        access = []
        for scope in urllib.parse.parse_qs(url.query).get("scope", []):
            for part in scope.split(" "):
                kind, rest = part.split(":", 1)
                name, actions = rest.rsplit(":", 1)
                allowed = [a for a in actions.split(",") if user or a == "pull"]
                access.append({"type": kind, "name": name, "actions": allowed})
        now = int(time.time())
        claims = {"iss": issuer, "sub": user, "aud": service, "exp": now + 300, "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()), "access": access}
        token = jwt.encode(claims, KEY, algorithm="RS256", headers={"x5c": [CERT]})
        body = json.dumps({"token": token, "access_token": token, "expires_in": 300, "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
