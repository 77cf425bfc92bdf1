import { deflateSync, Inflate, strFromU8, strToU8 } from 'fflate';
import type { NodeContext, Origin, Packet, Protocol } from '../model';

// Permalinks: `#v1.` + base64url(deflate-raw(JSON)) in the URL fragment, never sent to a server.
// Decoding is bounded (fragment length, inflated size) and validated field by field: a bad link
// gives a message, never an exception or a broken page.

/** kube-proxy's options a YAML input was generated with. */
export interface ShareKubeOptions {
  exampleEndpoints?: number;
  clusterCIDR?: string;
  masqueradeAll?: boolean;
  mode?: 'iptables' | 'ipvs';
  layout?: 'current' | '1.24' | 'legacy';
  nodePortAddresses?: string[];
}

export interface ShareStateV1 {
  /** What the input text is: a dump, or Service YAML (traced through what kube-proxy would write). */
  kind: 'iptables-save' | 'kube-yaml';
  text: string;
  /** For YAML: the options its rules were generated with. */
  kube?: ShareKubeOptions;
  context: Partial<NodeContext>;
  packet: Packet;
  /** The path shown (index into the trace's paths). */
  path: number;
  /** The step shown, if any. */
  step?: number;
}

export const PREFIX = 'v1.';
/** A longer fragment is refused before inflating (~2 MB is Chromium's whole-URL limit). */
export const MAX_FRAGMENT = 2_000_000;
/** At most this many bytes are inflated. */
export const MAX_INFLATED = 64 << 20;
/** Links longer than this are awkward to paste into a ticket or chat: offer a slice or a file. */
export const COMFORTABLE_LINK = 32_000;

export type DecodeResult = { ok: true; state: ShareStateV1 } | { ok: false; message: string };

function toBase64url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** The fragment (without `#`) for a state. */
export function encodePermalink(state: ShareStateV1): string {
  return PREFIX + toBase64url(deflateSync(strToU8(JSON.stringify(state)), { level: 9 }));
}

function inflateCapped(data: Uint8Array, cap: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inflate = new Inflate((chunk) => {
    total += chunk.length;
    if (total > cap) throw new RangeError('too large');
    chunks.push(chunk);
  });
  for (let i = 0; i < data.length; i += 16384) inflate.push(data.subarray(i, i + 16384), i + 16384 >= data.length);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const ORIGINS: readonly Origin[] = ['external', 'pod', 'local'];
const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'sctp', 'icmp'];
const CONTEXT_STRINGS = ['podCIDR', 'uplink', 'podIface', 'podIfaceAddress'] as const;
const CONTEXT_LISTS = ['nodeIPs', 'localAddresses'] as const;

const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535;
const isShortString = (v: unknown, max = 256): v is string => typeof v === 'string' && v.length <= max;

function validate(value: unknown, what: 'link' | 'trace file' = 'link'): DecodeResult {
  const fail = (message: string): DecodeResult => ({ ok: false, message: `This ${what} is damaged: ${message}.` });
  if (typeof value !== 'object' || value === null) return fail('it holds no trace');
  const v = value as Record<string, unknown>;
  if (v.kind !== 'iptables-save' && v.kind !== 'kube-yaml') return fail(`unknown input kind ${JSON.stringify(v.kind)}`);
  if (typeof v.text !== 'string') return fail('the dump is missing');
  let kube: ShareKubeOptions | undefined;
  if (v.kube !== undefined) {
    const k = v.kube as Record<string, unknown>;
    if (typeof k !== 'object' || k === null) return fail('the kube-proxy options are not an object');
    kube = {};
    if (k.exampleEndpoints !== undefined) {
      if (
        !Number.isInteger(k.exampleEndpoints) ||
        (k.exampleEndpoints as number) < 0 ||
        (k.exampleEndpoints as number) > 16
      )
        return fail('the number of example endpoints is not 0 to 16');
      kube.exampleEndpoints = k.exampleEndpoints as number;
    }
    if (k.clusterCIDR !== undefined) {
      if (!isShortString(k.clusterCIDR, 64)) return fail('the cluster CIDR is not a short string');
      kube.clusterCIDR = k.clusterCIDR;
    }
    if (k.mode !== undefined) {
      if (k.mode !== 'iptables' && k.mode !== 'ipvs') return fail('the kube-proxy mode is not iptables or ipvs');
      kube.mode = k.mode;
    }
    if (k.layout !== undefined) {
      if (k.layout !== 'current' && k.layout !== '1.24' && k.layout !== 'legacy')
        return fail('the kube-proxy layout is not current, 1.24 or legacy');
      kube.layout = k.layout;
    }
    if (k.nodePortAddresses !== undefined) {
      const list = k.nodePortAddresses;
      if (!Array.isArray(list) || list.length > 64 || !list.every((x) => isShortString(x, 64)))
        return fail('the nodeport addresses are not a list of CIDRs');
      kube.nodePortAddresses = list as string[];
    }
    if (k.masqueradeAll !== undefined) {
      if (typeof k.masqueradeAll !== 'boolean') return fail('masqueradeAll is not true or false');
      kube.masqueradeAll = k.masqueradeAll;
    }
  }
  const p = v.packet as Record<string, unknown> | undefined;
  if (typeof p !== 'object' || p === null) return fail('the packet is missing');
  if (!ORIGINS.includes(p.origin as Origin)) return fail('the packet’s origin is not external, pod or local');
  if (!PROTOCOLS.includes(p.proto as Protocol)) return fail('the packet’s protocol is unknown');
  if (!isShortString(p.src, 64) || !isShortString(p.dst, 64)) return fail('the packet’s addresses are missing');
  if (!isPort(p.sport) || !isPort(p.dport)) return fail('a port is out of range');
  const c = (v.context ?? {}) as Record<string, unknown>;
  if (typeof c !== 'object' || c === null) return fail('the node context is not an object');
  const context: Partial<NodeContext> = {};
  for (const k of CONTEXT_STRINGS) {
    if (c[k] === undefined) continue;
    if (!isShortString(c[k])) return fail(`node context ${k} is not a short string`);
    context[k] = c[k] as string;
  }
  for (const k of CONTEXT_LISTS) {
    if (c[k] === undefined) continue;
    const list = c[k];
    if (!Array.isArray(list) || list.length > 256 || !list.every((x) => isShortString(x, 64)))
      return fail(`node context ${k} is not a list of addresses`);
    context[k] = list as string[];
  }
  if (c.routeLocalnet !== undefined) {
    if (typeof c.routeLocalnet !== 'boolean') return fail('routeLocalnet is not true or false');
    context.routeLocalnet = c.routeLocalnet;
  }
  const path = v.path ?? 0;
  if (!Number.isInteger(path) || (path as number) < 0 || (path as number) > 100_000)
    return fail('the path number is invalid');
  const step = v.step;
  if (step !== undefined && (!Number.isInteger(step) || (step as number) < 0))
    return fail('the step number is invalid');
  const packet: Packet = {
    origin: p.origin as Origin,
    proto: p.proto as Protocol,
    src: p.src,
    sport: p.sport,
    dst: p.dst,
    dport: p.dport,
  };
  return {
    ok: true,
    state: {
      kind: v.kind,
      text: v.text,
      ...(kube ? { kube } : {}),
      context,
      packet,
      path: path as number,
      ...(step !== undefined ? { step: step as number } : {}),
    },
  };
}

/** Reads a fragment (with or without `#`). */
export function decodePermalink(fragment: string): DecodeResult {
  const f = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  if (f.length > MAX_FRAGMENT)
    return {
      ok: false,
      message: `This link is too long (${f.length.toLocaleString('en')} characters) to be a chainwalk trace.`,
    };
  if (!f.startsWith('v')) return { ok: false, message: 'This link does not hold a chainwalk trace.' };
  if (!f.startsWith(PREFIX))
    return {
      ok: false,
      message: `This link was made by a newer chainwalk (${f.split('.')[0]}); this one reads ${PREFIX.slice(0, -1)}.`,
    };
  const body = f.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(body))
    return { ok: false, message: 'This link is damaged: it has characters a chainwalk link never has.' };
  let json: unknown;
  try {
    const bytes = inflateCapped(fromBase64url(body), MAX_INFLATED);
    json = JSON.parse(strFromU8(bytes));
  } catch (e) {
    if (e instanceof RangeError) return { ok: false, message: 'This link unpacks to more than 64 MB; it is refused.' };
    return { ok: false, message: 'This link is damaged: it does not unpack (was it cut short?).' };
  }
  return validate(json);
}

// Trace files: what a link holds, as a JSON file to download and drop back onto the page, for
// traces whose link would be too long to paste anywhere. The same schema and the same checks.

/** What a trace file says it is, so a dropped JSON file of any other kind is refused by name. */
export const TRACE_FILE_FORMAT = 'chainwalk-trace';
/** A bigger file is refused before it is parsed (the same bound as a link's inflated size). */
export const MAX_TRACE_FILE = MAX_INFLATED;

/** The text of a trace file: `{"format":"chainwalk-trace","version":1, …the link's state}`. */
export function encodeTraceFile(state: ShareStateV1): string {
  return `${JSON.stringify({ format: TRACE_FILE_FORMAT, version: 1, ...state }, null, 1)}\n`;
}

/** Reads a trace file's text: bounded, then validated field by field as a link is. */
export function decodeTraceFile(text: string): DecodeResult {
  if (text.length > MAX_TRACE_FILE)
    return { ok: false, message: 'This file is larger than 64 MB: it is not a chainwalk trace file.' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, message: 'This file is not a chainwalk trace: it is not JSON (was it cut short?).' };
  }
  const v = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  if (v.format !== TRACE_FILE_FORMAT) return { ok: false, message: 'This JSON file is not a chainwalk trace file.' };
  if (v.version !== 1)
    return {
      ok: false,
      message: `This trace file was made by a newer chainwalk (version ${JSON.stringify(v.version)}); this one reads version 1.`,
    };
  return validate(json, 'trace file');
}
