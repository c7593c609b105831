// Cloudflare Access, played by the tests: a team key server that publishes RSA keys at
// /cdn-cgi/access/certs the way <team>.cloudflareaccess.com does, and assertions signed
// with those keys (RS256, node:crypto) the way Access signs the Cf-Access-Jwt-Assertion
// header — the real protocol, so the worker's verification is tested, not mocked.
//
// e2e/run.sh starts the server before wrangler (`node e2e/lib/access.mjs serve PORT DIR`)
// and gives the worker ACCESS_TEAM_DOMAIN=http://127.0.0.1:PORT and ACCESS_AUD; the
// tests get NPS_ACCESS_ISSUER, NPS_ACCESS_AUD and NPS_ACCESS_KEYS (DIR). The private
// keys live in DIR/keys.json, newest first, which the server reads on every request:
// a test rotates the team's keys by writing a new one there.
import { createServer } from 'node:http';
import { createPublicKey, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ISSUER = process.env.NPS_ACCESS_ISSUER;
export const AUD = process.env.NPS_ACCESS_AUD;
const KEYS_DIR = process.env.NPS_ACCESS_KEYS;

/** A new 2048-bit RSA key with a kid, as Cloudflare's are. */
export function newKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid: randomBytes(16).toString('hex'), pem: privateKey.export({ type: 'pkcs8', format: 'pem' }) };
}

function readKeys(dir) {
  return JSON.parse(readFileSync(join(dir, 'keys.json'), 'utf8'));
}

function writeKeys(dir, keys) {
  const file = join(dir, 'keys.json');
  writeFileSync(`${file}.next`, JSON.stringify(keys));
  renameSync(`${file}.next`, file);
}

/** The team's keys as the tests hold them, newest first. */
export function teamKeys(dir = KEYS_DIR) {
  return readKeys(dir);
}

/** Cloudflare rotates its signing key: a new one is published first, the old one kept. */
export function rotateKeys(dir = KEYS_DIR) {
  const key = newKey();
  writeKeys(dir, [key, ...readKeys(dir)]);
  return key;
}

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/**
 * An assertion as Access puts it in Cf-Access-Jwt-Assertion, RS256-signed with `key`
 * (default: the team's newest). `claims` are added to, or override, Access's own.
 */
export function signAccessJwt({ email = 'anna@shop.example', aud = AUD, iss = ISSUER, exp, key, kid, alg = 'RS256', claims = {} } = {}) {
  const signer = key ?? teamKeys()[0];
  const now = Math.floor(Date.now() / 1000);
  const header = { alg, kid: kid ?? signer.kid, typ: 'JWT' };
  const body = {
    aud: Array.isArray(aud) ? aud : [aud], email, exp: exp ?? now + 3600, iat: now, nbf: now, iss,
    type: 'app', identity_nonce: randomBytes(8).toString('hex'), sub: randomUUID(), country: 'DE', ...claims,
  };
  const input = `${b64url(header)}.${b64url(body)}`;
  const signature = sign('sha256', Buffer.from(input), signer.pem).toString('base64url');
  return `${input}.${signature}`;
}

/** What the key server was asked, and makes it fail on demand (an outage of Access). */
export async function keyServer(path = '/control', init) {
  const response = await fetch(`${ISSUER}${path}`, init);
  return response.json();
}

/** Serves DIR/keys.json's public halves at /cdn-cgi/access/certs, in Cloudflare's shape. */
function serve(port, dir) {
  mkdirSync(dir, { recursive: true });
  writeKeys(dir, [newKey()]);
  let fetches = 0;
  let failing = false;
  const server = createServer((req, res) => {
    if (req.url === '/cdn-cgi/access/certs' && req.method === 'GET') {
      fetches += 1;
      if (failing) {
        res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway');
        return;
      }
      const keys = readKeys(dir).map(({ kid, pem }) => ({
        kid, kty: 'RSA', alg: 'RS256', use: 'sig', ...pick(createPublicKey(pem).export({ format: 'jwk' })),
      }));
      const certs = keys.map(({ kid }) => ({ kid, cert: '-----BEGIN CERTIFICATE-----\n(not needed)\n-----END CERTIFICATE-----\n' }));
      res.writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys, public_cert: certs[0], public_certs: certs }));
      return;
    }
    if (req.url === '/control') {
      let body = '';
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => {
        if (req.method === 'PUT') failing = JSON.parse(body).failing === true;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ fetches, failing }));
      });
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(port, '127.0.0.1');
}

const pick = ({ n, e }) => ({ n, e });

if (process.argv[2] === 'serve') {
  serve(Number(process.argv[3]), process.argv[4]);
}
