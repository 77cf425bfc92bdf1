import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  decodePermalink,
  decodeTraceFile,
  encodePermalink,
  encodeTraceFile,
  MAX_TRACE_FILE,
  type ShareStateV1,
} from '.';

const state: ShareStateV1 = {
  kind: 'iptables-save',
  text: '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m comment --comment "ns/a:b → ü" -j ACCEPT\nCOMMIT\n',
  context: { nodeIPs: ['192.168.0.2/24'], podCIDR: '10.244.0.0/24' },
  packet: { origin: 'pod', proto: 'tcp', src: '10.244.0.5', sport: 40000, dst: '10.96.0.10', dport: 80 },
  path: 1,
  step: 3,
};

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

describe('permalinks', () => {
  it('round-trips the input, node context, packet, path and step', () => {
    const fragment = encodePermalink(state);
    expect(fragment).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(decodePermalink(`#${fragment}`)).toEqual({ ok: true, state });
  });

  it('compresses a kube-proxy-sized dump', () => {
    const text = Array.from(
      { length: 500 },
      (_, i) => `-A KUBE-SERVICES -d 10.96.${i >> 8}.${i & 255}/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-X${i}`,
    ).join('\n');
    const fragment = encodePermalink({ ...state, text });
    expect(fragment.length).toBeLessThan(text.length / 4);
  });

  it.each([
    ['not ours', '#hello', /does not hold a chainwalk trace/],
    ['a newer version', '#v9.abc', /newer chainwalk \(v9\)/],
    ['bad characters', '#v1.abc$%', /characters a chainwalk link never has/],
    ['cut short', `#${encodePermalink(state).slice(0, 40)}`, /does not unpack|damaged/],
    ['too long', `#v1.${'A'.repeat(2_000_001)}`, /too long/],
  ])('refuses a link that is %s, with a message', (_name, fragment, message) => {
    const r = decodePermalink(fragment);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });

  it('refuses a decompression bomb without inflating it all', () => {
    const bomb = deflateSync(new Uint8Array(80 << 20), { level: 1 });
    // It stops at the bound: the message says so (it never reports the 80 MB it would have made).
    const r = decodePermalink(`v1.${b64url(bomb)}`);
    expect(r).toEqual({ ok: false, message: expect.stringMatching(/more than 64 MB/) });
    // Making an 80 MB bomb takes a while on a busy machine; the decoder's bound is what is tested.
  }, 60_000);

  it.each([
    ['a missing packet', { ...state, packet: undefined }, /packet is missing/],
    ['a port out of range', { ...state, packet: { ...state.packet, dport: 70000 } }, /port is out of range/],
    ['an unknown origin', { ...state, packet: { ...state.packet, origin: 'mars' } }, /origin/],
    ['a context that is not a list', { ...state, context: { nodeIPs: 'x' } }, /nodeIPs/],
    ['an unknown kind', { ...state, kind: 'yaml2' }, /unknown input kind/],
  ])('validates field by field: %s', (_name, bad, message) => {
    const r = decodePermalink(`v1.${b64url(deflateSync(new TextEncoder().encode(JSON.stringify(bad))))}`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

describe('permalinks of Service YAML', () => {
  it('carry the YAML and kube-proxy’s options, and refuse bad options', () => {
    const yaml = {
      ...state,
      kind: 'kube-yaml' as const,
      text: 'apiVersion: v1\nkind: Service\n',
      kube: { exampleEndpoints: 2, clusterCIDR: '10.0.0.0/8', masqueradeAll: true },
    };
    const r = decodePermalink(encodePermalink(yaml));
    expect(r).toEqual({ ok: true, state: yaml });
    const bad = decodePermalink(encodePermalink({ ...yaml, kube: { exampleEndpoints: 1000 } }));
    expect(bad).toEqual({ ok: false, message: expect.stringMatching(/example endpoints is not 0 to 16/) });
  });
});

describe('trace files', () => {
  it('round-trip exactly what a link holds', () => {
    const file = encodeTraceFile(state);
    expect(JSON.parse(file)).toMatchObject({ format: 'chainwalk-trace', version: 1, packet: state.packet });
    expect(decodeTraceFile(file)).toEqual({ ok: true, state });
  });

  const refused: [string, string, RegExp][] = [
    ['text that is not JSON', '*nat\nCOMMIT\n', /not JSON/],
    ['a file cut short', encodeTraceFile(state).slice(0, 80), /not JSON/],
    ['JSON of another kind', JSON.stringify({ name: 'package.json' }), /not a chainwalk trace file/],
    ['JSON that is not an object', '[1, 2, 3]', /not a chainwalk trace file/],
    ['a newer version', JSON.stringify({ format: 'chainwalk-trace', version: 2 }), /newer chainwalk \(version 2\)/],
    [
      'a port out of range',
      encodeTraceFile({ ...state, packet: { ...state.packet, dport: 70000 } }),
      /trace file is damaged: a port is out of range/,
    ],
    [
      'a missing dump',
      JSON.stringify({ format: 'chainwalk-trace', version: 1, kind: 'iptables-save' }),
      /dump is missing/,
    ],
  ];
  it.each(refused)('refuse %s, with a message', (_, text, message) => {
    const r = decodeTraceFile(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(message);
  });

  it('refuse a file over the size bound before parsing it', () => {
    const r = decodeTraceFile(' '.repeat(MAX_TRACE_FILE + 1));
    expect(r).toEqual({ ok: false, message: expect.stringMatching(/larger than 64 MB/) });
  });
});
