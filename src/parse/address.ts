import type { Cidr, Family } from '../model';

// Addresses are parsed once into numbers: IPv4 as uint32, IPv6 as a 128-bit bigint.

/** IPv4 dotted quad → uint32, or -1 if it is not one. Leading zeros are decimal, as Go's old parser took them. */
export function parseIPv4(text: string, from = 0, to = text.length): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/** IPv6 text (with `::` and an optional dotted IPv4 tail) → bigint, or null. */
export function parseIPv6(text: string): bigint | null {
  if (text.length < 2 || text.length > 45) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (v4 < 0) return null;
        out.push(Math.floor(v4 / 65536), v4 % 65536);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
      out.push(Number.parseInt(p, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return null;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  const all = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  let value = 0n;
  for (const g of all) value = (value << 16n) | BigInt(g);
  return value;
}

export type IpValue = { family: 4; value: number } | { family: 6; value: bigint };

export function parseIp(text: string): IpValue | null {
  if (text.includes(':')) {
    const v = parseIPv6(text);
    return v === null ? null : { family: 6, value: v };
  }
  const v = parseIPv4(text);
  return v < 0 ? null : { family: 4, value: v };
}

const ALL6 = (1n << 128n) - 1n;

export function v4Mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function v6Mask(prefix: number): bigint {
  return prefix === 0 ? 0n : (ALL6 << BigInt(128 - prefix)) & ALL6;
}

/** `A`, `A/N` or `A/dotted-mask` (IPv4) → Cidr with host bits cleared, or null. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const maskText = slash < 0 ? '' : text.slice(slash + 1);
  const ip = parseIp(addrText);
  if (!ip) return null;
  if (ip.family === 4) {
    let prefix = 32;
    let mask = 0xffffffff;
    if (maskText !== '') {
      if (maskText.includes('.')) {
        mask = parseIPv4(maskText);
        if (mask < 0) return null;
        prefix = popcount32(mask);
      } else {
        prefix = toInt(maskText);
        if (prefix < 0 || prefix > 32) return null;
        mask = v4Mask(prefix);
      }
    }
    return { family: 4, addr: (ip.value & mask) >>> 0, mask, prefix };
  }
  let prefix = 128;
  let mask = ALL6;
  if (maskText !== '') {
    if (maskText.includes(':')) {
      const m = parseIPv6(maskText);
      if (m === null) return null;
      mask = m;
      prefix = m.toString(2).replace(/0/g, '').length;
    } else {
      prefix = toInt(maskText);
      if (prefix < 0 || prefix > 128) return null;
      mask = v6Mask(prefix);
    }
  }
  return { family: 6, addr: ip.value & mask, mask, prefix };
}

function popcount32(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v; v >>>= 1) n += v & 1;
  return n;
}

function toInt(text: string): number {
  if (!/^\d{1,3}$/.test(text)) return -1;
  return Number(text);
}

export function cidrContains(cidr: Cidr, ip: IpValue): boolean {
  if (cidr.family !== ip.family) return false;
  if (cidr.family === 4) return ((ip.value as number) & cidr.mask) >>> 0 === cidr.addr;
  return ((ip.value as bigint) & cidr.mask) === cidr.addr;
}

/**
 * NETMAP's mapping (xt_NETMAP.c): the address keeps its bits outside `net`'s mask (its host bits)
 * and takes `net`'s inside it. The families must agree.
 */
export function netmapAddress(ip: IpValue, net: Cidr): IpValue {
  if (ip.family === 4 && net.family === 4)
    return { family: 4, value: ((ip.value & ~net.mask) | (net.addr & net.mask)) >>> 0 };
  if (ip.family === 6 && net.family === 6) return { family: 6, value: (ip.value & ~net.mask) | (net.addr & net.mask) };
  throw new Error('netmapAddress: address and network of different families');
}

export function formatIPv4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** RFC 5952 text, as glibc's inet_ntop prints it. */
export function formatIPv6(v: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

export function formatIp(ip: IpValue): string {
  return ip.family === 4 ? formatIPv4(ip.value) : formatIPv6(ip.value);
}

export function formatCidr(c: Cidr): string {
  return c.family === 4 ? `${formatIPv4(c.addr)}/${c.prefix}` : `${formatIPv6(c.addr)}/${c.prefix}`;
}

/** Canonical text of an address (`010.1.2.3` → `10.1.2.3`, IPv6 compressed), or the input if unparsable. */
export function canonicalIp(text: string): string {
  const ip = parseIp(text);
  return ip ? formatIp(ip) : text;
}

export function familyOf(text: string): Family {
  return text.includes(':') ? 6 : 4;
}

/** `ip:port`, with an IPv6 address in brackets (`[fd00::1]:80`), as ipvsadm and kube-proxy write it. */
export function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
