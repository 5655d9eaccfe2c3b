#!/usr/bin/env node
// A loopback Sigstore for tests: Fulcio (POST /api/v2/signingCert), Rekor v1
// (POST /api/v1/log/entries) and an RFC 3161 timestamp authority (POST /api/v1/timestamp), from
// npm @sigstore/mock, with fresh keys, on 127.0.0.1 (a port the system picks).
//
// Usage: node sigstore.js [--late-timestamps] TRUST_CONFIG_OUT
//
// --late-timestamps: the TSA dates its timestamps an hour late, after the certificates Fulcio
// issues (valid ten minutes) expire: a signature made with an expired certificate's key.
//
// Writes a ClientTrustConfig (application/vnd.dev.sigstore.clienttrustconfig.v0.1+json: the
// trusted root and a v0.2 signing config naming these services) to TRUST_CONFIG_OUT, then prints
// one JSON line: {"ready":true,"url":...}. Stops on SIGTERM or SIGINT, and when its standard
// input closes (its parent is gone).
//
// Fulcio certifies a GitHub Actions token as the real one does: the SAN is
// https://github.com/<job_workflow_ref>, the issuer the token's `iss`; like @sigstore/mock, it
// checks no token signature. Clients speak the real wire formats (the token in
// `Authorization: Bearer`, the CSR as base64 of its PEM, a DER timestamp query); the handlers
// take sigstore-js's shapes, so requests are adapted on the way in.

'use strict';

const http = require('http');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const asn1js = require('asn1js');
const pkijs = require('pkijs');
const {
  initializeCA, initializeCTLog, fulcioHandler,
  initializeTLog, rekorHandler,
  initializeTSA, tsaHandler,
} = require('@sigstore/mock');

function parseArgs(argv) {
  const late = argv[0] === '--late-timestamps';
  const rest = late ? argv.slice(1) : argv;
  if (rest.length !== 1) throw new Error('usage: sigstore.js [--late-timestamps] TRUST_CONFIG_OUT');
  return { trustConfig: rest[0], tsa: true, fulcioGithubSan: true, exitOnStdinClose: true, lateMs: late ? 3600 * 1000 : 0 };
}

const ecKey = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const spkiDer = (keyObj) => keyObj.export({ format: 'der', type: 'spki' });
const b64 = (buf) => Buffer.from(buf).toString('base64');

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// Fulcio: clients send the token in "Authorization: Bearer", and the CSR as base64(PEM); the
// handler wants body.credentials.oidcIdentityToken and a PEM CSR.
const GHA_ISSUER = 'https://token.actions.githubusercontent.com';
const SAN_CLAIM = '_mock_fulcio_san';
// Real Fulcio puts https://github.com/<job_workflow_ref> in the SAN of a GitHub Actions token;
// the handler puts one claim there: a synthetic claim holds the real SAN. No signature is
// checked, so re-encoding the payload is harmless.
function withFulcioSan(token) {
  const [h, p, s] = token.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  claims[SAN_CLAIM] = claims.iss === GHA_ISSUER && claims.job_workflow_ref
    ? `https://github.com/${claims.job_workflow_ref}`
    : (claims.email || claims.sub);
  return [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s || ''].join('.');
}
function adaptFulcio(req, raw, fulcioSan) {
  const json = JSON.parse(raw.toString('utf8'));
  if (!json.credentials) {
    const m = /^Bearer\s+(\S+)/i.exec(req.headers.authorization || '');
    if (!m) throw new Error('no OIDC token (neither credentials.oidcIdentityToken nor Authorization: Bearer)');
    json.credentials = { oidcIdentityToken: m[1] };
  }
  if (fulcioSan) json.credentials.oidcIdentityToken = withFulcioSan(json.credentials.oidcIdentityToken);
  const csr = json.certificateSigningRequest;
  if (typeof csr === 'string' && !csr.includes('-----BEGIN')) {
    json.certificateSigningRequest = Buffer.from(csr, 'base64').toString('utf8');
  }
  return JSON.stringify(json);
}

// Rekor: a DSSE entry is proposed with its envelope and verifiers; Rekor stores, signs and proves
// its canonical form (the envelope's and payload's SHA-256 and the signatures with their
// verifiers, each re-encoded as Go's PEM encoder writes it: 64-column lines, a final newline),
// which verifiers compare the bundle against. The handler logs what it is given.
function canonicalPem(verifier) {
  const pem = Buffer.from(verifier, 'base64').toString('utf8');
  const der = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const body = der.match(/.{1,64}/g).join('\n');
  return Buffer.from(`-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`).toString('base64');
}
function adaptRekor(raw) {
  const entry = JSON.parse(raw.toString('utf8'));
  const content = entry.kind === 'dsse' && entry.spec && entry.spec.proposedContent;
  if (!content) return raw.toString('utf8');
  const envelope = JSON.parse(content.envelope);
  const sha256hex = (b) => crypto.createHash('sha256').update(b).digest('hex');
  return JSON.stringify({
    apiVersion: entry.apiVersion,
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256hex(content.envelope) },
      payloadHash: { algorithm: 'sha256', value: sha256hex(Buffer.from(envelope.payload, 'base64')) },
      signatures: envelope.signatures.map((s, i) => ({ signature: s.sig, verifier: canonicalPem(content.verifiers[i] || content.verifiers[0]) })),
    },
  });
}

// TSA: clients send a DER RFC 3161 TimeStampReq (application/timestamp-query);
// the mock wants {artifactHash, hashAlgorithm, nonce, certificates}.
const HASH_OIDS = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
function adaptTSA(req, raw) {
  const ct = (req.headers['content-type'] || '').toLowerCase();
  if (!ct.startsWith('application/timestamp-query')) return { body: raw.toString('utf8'), nonceHex: null };
  const tsq = pkijs.TimeStampReq.fromBER(new Uint8Array(raw).buffer);
  const oid = tsq.messageImprint.hashAlgorithm.algorithmId;
  const nonceHex = tsq.nonce ? Buffer.from(tsq.nonce.valueBlock.valueHexView).toString('hex') : null;
  return {
    body: JSON.stringify({
      artifactHash: b64(tsq.messageImprint.hashedMessage.valueBlock.valueHexView),
      hashAlgorithm: HASH_OIDS[oid] || 'sha256',
      nonce: 1, // placeholder; the real (64-bit) nonce is patched in below
      certificates: !!tsq.certReq,
    }),
    nonceHex,
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const keys = { ca: ecKey(), ct: ecKey(), rekor: ecKey(), tsa: ecKey() };

  const server = http.createServer();
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  const port = server.address().port;
  const url = `http://127.0.0.1:${port}`;

  // Trust material is valid from slightly in the past (clock skew / second truncation).
  const validStart = new Date(Date.now() - 60 * 1000).toISOString();

  const ctlog = await initializeCTLog(keys.ct);
  const ca = await initializeCA(keys.ca, ctlog);
  const fulcio = fulcioHandler(ca, { strict: true, subjectClaim: args.fulcioGithubSan ? SAN_CLAIM : args.subjectClaim });
  // the TLog URL's host becomes the checkpoint origin
  const tlog = await initializeTLog(url, keys.rekor);
  const rekor = rekorHandler(tlog, { strict: true });
  let tsa = null, tsaH = null, pendingNonceHex = null;
  if (args.tsa) {
    tsa = await initializeTSA(keys.tsa);
    // DER's GeneralizedTime as strict parsers read it: whole seconds, no fraction.
    tsa.getCurrentTime = () => new Date(Math.floor(Date.now() / 1000) * 1000 + args.lateMs);
    // Preserve the client's arbitrary-size nonce (mock only takes a JS number).
    const origTstInfo = tsa.tstInfo.bind(tsa);
    tsa.tstInfo = (r) => {
      const info = origTstInfo(r);
      if (pendingNonceHex) info.nonce = new asn1js.Integer({ valueHex: Buffer.from(pendingNonceHex, 'hex') });
      return info;
    };
    tsaH = tsaHandler(tsa, { strict: true });
  }

  const routes = {
    [fulcio.path]: async (req, raw) => fulcio.fn(adaptFulcio(req, raw, args.fulcioGithubSan)),
    [rekor.path]: async (req, raw) => rekor.fn(adaptRekor(raw)),
  };
  if (tsaH) {
    routes[tsaH.path] = async (req, raw) => {
      const { body, nonceHex } = adaptTSA(req, raw);
      pendingNonceHex = nonceHex; // handler runs synchronously up to tstInfo()
      try { return await tsaH.fn(body); } finally { pendingNonceHex = null; }
    };
  }

  server.on('request', async (req, res) => {
    const route = req.method === 'POST' ? routes[req.url.split('?')[0]] : null;
    try {
      const raw = await readBody(req);
      if (!route) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        return res.end(`no route for ${req.method} ${req.url}`);
      }
      const { statusCode, response, contentType } = await route(req, raw);
      if (statusCode >= 400) process.stderr.write(`[sigstore] ${req.url} -> ${statusCode}: ${response}\n`);
      res.writeHead(statusCode, { 'Content-Type': contentType || 'text/plain' });
      res.end(typeof response === 'string' ? response : Buffer.from(response.buffer, response.byteOffset, response.byteLength));
    } catch (e) {
      process.stderr.write(`[sigstore] ${req.url} error: ${e.stack || e}\n`);
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ code: 400, message: String(e.message || e) }));
    }
  });

  // ---- trusted root (protobuf-specs JSON: camelCase, bytes as base64) ----
  const ctPub = spkiDer(keys.ct.publicKey);
  const rekorPub = spkiDer(keys.rekor.publicKey);
  const sha256 = (b) => crypto.createHash('sha256').update(b).digest();
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{
      baseUrl: url,
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: b64(rekorPub), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: validStart } },
      logId: { keyId: b64(sha256(rekorPub)) },
    }],
    certificateAuthorities: [{
      subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
      uri: url,
      certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
      validFor: { start: validStart },
    }],
    ctlogs: [{
      baseUrl: url,
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: b64(ctPub), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: validStart } },
      logId: { keyId: b64(sha256(ctPub)) },
    }],
    timestampAuthorities: tsa ? [{
      subject: { organization: 'sigstore.mock', commonName: 'tsa' },
      uri: `${url}/api/v1/timestamp`,
      // leaf (signing) cert first, root last
      certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] },
      validFor: { start: validStart },
    }] : [],
  };
  const svc = (u) => ({ url: u, majorApiVersion: 1, validFor: { start: validStart }, operator: 'sigstore.mock' });
  const signingConfig = {
    mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
    caUrls: [svc(url)],
    oidcUrls: [],
    rekorTlogUrls: [svc(url)],
    tsaUrls: tsa ? [svc(`${url}/api/v1/timestamp`)] : [],
    rekorTlogConfig: { selector: 'ANY' },
    tsaConfig: { selector: 'ANY' },
  };
  const trustConfig = {
    mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json',
    trustedRoot,
    signingConfig,
  };
  const out = path.resolve(args.trustConfig);
  fs.writeFileSync(out + '.tmp', JSON.stringify(trustConfig, null, 2));
  fs.renameSync(out + '.tmp', out);

  process.stdout.write(JSON.stringify({ ready: true, url, trustConfig: out }) + '\n');

  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections(); // don't wait for idle keep-alive sockets
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (args.exitOnStdinClose) { // parent died / closed our stdin
    process.stdin.on('end', stop);
    process.stdin.resume();
  }
}

main().catch((e) => { process.stderr.write(`${e.stack || e}\n`); process.exit(1); });
