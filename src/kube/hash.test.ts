import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { base32, chainHash, endpointChain, servicePortChain, sha256, utf8 } from './hash';

describe('chain names', () => {
  test.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['a'.repeat(200), createHash('sha256').update('a'.repeat(200)).digest('hex')],
    ['ü/ns:päö', createHash('sha256').update('ü/ns:päö').digest('hex')],
  ])('sha256(%j) agrees with node:crypto', (input, hex) => {
    expect(Buffer.from(sha256(utf8(input))).toString('hex')).toBe(hex);
  });

  test('base32 is RFC 4648 with padding', () => {
    expect(base32(utf8('foobar'))).toBe('MZXW6YTBOI======');
    expect(base32(utf8('fo'))).toBe('MZXQ====');
  });

  test.each([
    ['ns1/svc1:p80tcp', 'XPGD46QRK7WJZT7O'],
    ['default/kubernetes:httpstcp', 'NPX46M4PTMTKRN6Y'],
    ['ns2/svc2:p80tcp', 'GNZBNJ2PO5MGZ6GT'],
  ])('service port chains for %s match kube-proxy-layout.md §1', (input, hash) => {
    expect(chainHash(input)).toBe(hash);
  });

  test('the worked examples of kube-proxy-layout.md §1', () => {
    expect(servicePortChain('KUBE-SVC-', 'ns1/svc1:p80', 'tcp')).toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
    expect(servicePortChain('KUBE-EXT-', 'ns1/svc1:p80', 'tcp')).toBe('KUBE-EXT-XPGD46QRK7WJZT7O');
    expect(endpointChain('ns1/svc1:p80', 'tcp', '10.180.0.1:80')).toBe('KUBE-SEP-SXIVWICOYRO3J4NJ');
    expect(endpointChain('ns4/svc4:p8082', 'tcp', '10.4.0.1:8082')).toBe('KUBE-SEP-SU5STNODRYEWJAUF');
  });
});
