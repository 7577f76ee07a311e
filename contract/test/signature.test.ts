import { execFileSync } from 'node:child_process';
import {
  gateKey,
  namespaceKey,
  requestPath,
  signatureOf,
  signedHeaders,
  signingString,
  verifySignature,
  type RequestToSign,
} from '../src/signature.js';

const NOW = 1_700_000_000_000;
const NONCE = '0123456789abcdef0123456789abcdef';
const open: RequestToSign = { method: 'POST', path: '/gate/open', body: '{}' };

describe('the signing string and the signature', () => {
  it('given the documented inputs, then the signature is the test vector made with openssl dgst', () => {
    expect(signingString('1700000000', NONCE, open).toString()).toBe(`1700000000\n${NONCE}\nPOST\n/gate/open\n{}`);
    expect(signatureOf('key', '1700000000', NONCE, open)).toBe('v2=5be4451e167175f3336a08625fcc895cb8e25b94f440fd0db36a94f8a7a65b59');
  });

  it('given a lower-case method, then it is signed upper-cased (what servers see)', () => {
    expect(signatureOf('key', '1700000000', NONCE, { ...open, method: 'post' })).toBe(signatureOf('key', '1700000000', NONCE, open));
  });

  it.each<[string, Partial<RequestToSign>]>([
    ['another path', { path: '/rollback/open' }],
    ['another query', { path: '/gate/open?x=1' }],
    ['another method', { method: 'PUT' }],
    ['another body', { body: '{ }' }],
  ])('given a signature of POST /gate/open, then a request with %s does not verify', (_what, change) => {
    const headers = signedHeaders('key', open, { nowMs: NOW, nonce: NONCE });
    const h = {
      timestamp: headers['x-tollgate-timestamp'],
      nonce: headers['x-tollgate-nonce'],
      signature: headers['x-tollgate-signature'],
    };
    expect(verifySignature({ k: 'key' }, h, open, NOW)).toMatchObject({ ok: true, key: 'k' });
    expect(verifySignature({ k: 'key' }, h, { ...open, ...change }, NOW)).toMatchObject({ ok: false, failure: 'invalid_signature' });
  });

  it('given another nonce in the header, then the signature does not verify (the nonce is signed)', () => {
    const sig = signatureOf('key', '1700000000', NONCE, open);
    const r = verifySignature({ k: 'key' }, { timestamp: '1700000000', nonce: `${NONCE}00`, signature: sig }, open, NOW);
    expect(r).toMatchObject({ ok: false, failure: 'invalid_signature' });
  });

  it('given two signings of the same request, then their nonces and signatures differ', () => {
    const a = signedHeaders('key', open, { nowMs: NOW });
    const b = signedHeaders('key', open, { nowMs: NOW });
    expect(a['x-tollgate-nonce']).toMatch(/^[0-9a-f]{32}$/);
    expect(a['x-tollgate-signature']).not.toBe(b['x-tollgate-signature']);
  });
});

describe('verifySignature', () => {
  const ok = { timestamp: '1700000000', nonce: NONCE, signature: signatureOf('b-key', '1700000000', NONCE, open) };

  it('given candidate keys, then it names the one that signed and when the signature expires', () => {
    expect(verifySignature({ a: 'a-key', b: 'b-key' }, ok, open, NOW)).toEqual({
      ok: true,
      key: 'b',
      signature: ok.signature,
      expiresAtSeconds: 1_700_000_300,
    });
  });

  it.each<[string, Record<string, string | undefined>, string, RegExp]>([
    ['no nonce', { nonce: undefined }, 'malformed', /needs X-Tollgate-Timestamp, X-Tollgate-Nonce and X-Tollgate-Signature/],
    ['a short nonce', { nonce: 'abc' }, 'malformed', /X-Tollgate-Nonce/],
    ['a nonce with a space', { nonce: `${NONCE} x` }, 'malformed', /X-Tollgate-Nonce/],
    ['a timestamp in words', { timestamp: 'yesterday' }, 'malformed', /unix seconds/],
    ['a timestamp 301 s old', { timestamp: '1699999699' }, 'stale_timestamp', /more than 300s/],
    ['a timestamp 301 s ahead', { timestamp: '1700000301' }, 'stale_timestamp', /more than 300s/],
    ['the first scheme', { signature: `sha256=${'0'.repeat(64)}` }, 'malformed', /sha256= scheme .* no longer accepted/],
    ['upper-case hex', { signature: ok.signature.toUpperCase().replace('V2=', 'v2=') }, 'malformed', /v2=<64 lowercase hex/],
  ])('given %s, then it fails with a message saying what is wrong', (_what, change, failure, message) => {
    const r = verifySignature({ b: 'b-key' }, { ...ok, ...change }, open, NOW);
    expect(r).toMatchObject({ ok: false, failure });
    expect(!r.ok && r.message).toMatch(message);
  });

  it('given a timestamp 290 s old, then it still verifies', () => {
    const sig = signatureOf('b-key', '1699999710', NONCE, open);
    expect(verifySignature({ b: 'b-key' }, { ...ok, timestamp: '1699999710', signature: sig }, open, NOW).ok).toBe(true);
  });
});

describe('namespace keys', () => {
  it('given the documented master and namespace, then the keys are the vectors made with openssl dgst', () => {
    const key = namespaceKey('master-key-0123456789', 'test');
    expect(key).toBe('4de5c96abee0eae69edc030f88a1cd7a76600516553ba79988a62e91f50faf8f');
    expect(gateKey(key)).toBe('4d21a0c894d72f547d540ee8a2d72694b8aa97257f0a5ab6895b9956fd051c2c');
  });

  it('given two namespaces, then their keys differ, and a gate key differs from its namespace key', () => {
    expect(namespaceKey('m', 'team-a')).not.toBe(namespaceKey('m', 'team-b'));
    expect(gateKey(namespaceKey('m', 'team-a'))).not.toBe(namespaceKey('m', 'team-a'));
  });

  it('given the shell commands of hooks/README.md, then openssl derives the same keys and signature as the signer', () => {
    const script = [
      'set -eu',
      `NS_KEY=$(printf '%s' "$NS" | openssl dgst -sha256 -hmac "$MASTER" | sed 's/^.*= //')`,
      `GATE_KEY=$(printf 'gates' | openssl dgst -sha256 -hmac "$NS_KEY" | sed 's/^.*= //')`,
      `sig=$(printf '%s\\n%s\\n%s\\n%s\\n%s' "$ts" "$nonce" POST "$path" "$body" | openssl dgst -sha256 -hmac "$GATE_KEY" | sed 's/^.*= //')`,
      'echo "$NS_KEY $GATE_KEY v2=$sig"',
    ].join('\n');
    const body = '{"name":"podinfo","namespace":"team-a"}';
    const env = {
      PATH: process.env.PATH ?? '',
      NS: 'team-a',
      MASTER: 'master-key-0123456789',
      ts: '1700000000',
      nonce: NONCE,
      path: '/gate/open',
      body,
    };
    const [nsKey, gKey, sig] = execFileSync('bash', ['-c', script], { env, encoding: 'utf8' }).trim().split(' ');
    expect(nsKey).toBe(namespaceKey('master-key-0123456789', 'team-a'));
    expect(gKey).toBe(gateKey(nsKey!));
    expect(sig).toBe(signatureOf(gKey!, '1700000000', NONCE, { method: 'POST', path: '/gate/open', body }));
  }, 30_000);
});

describe('requestPath', () => {
  it.each([
    ['http://hooks.tollgate-system/gate/check', '/gate/check'],
    ['http://hooks.tollgate-system', '/'],
    ['http://hooks:8080/gate/status?namespace=a&name=b#frag', '/gate/status?namespace=a&name=b'],
    ['https://h/a b', '/a%20b'],
  ])('given %s, then the request target is %s', (url, path) => {
    expect(requestPath(url)).toBe(path);
  });
});
