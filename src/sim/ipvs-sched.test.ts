import { describe, expect, it } from 'vitest';
import { IPVS_SCHED_FLAG, type IpvsRealServer, type IpvsVirtualService } from '../model';
import { type IpValue, parseIp } from '../parse';
import { dhPick, hsiphash32, mhHash, mhPick, mhTable, schedule, shPick, shTable } from './ipvs-sched';

// Expected picks come from independent, straightforward ports written here (BigInt arithmetic,
// textbook Maglev) and from vectors computed by hand from the kernel source (notes/ipvs.md §2:
// 10.244.1.5 → sh/dh bucket 115, mh offset 38 skip 3509; 192.168.1.10 → 248, 3323, 1754).

const span = { line: 1, column: 1, length: 1 };
const rs = (address: string, weight = 1, port = 8080): IpvsRealServer => ({
  address,
  port,
  forward: 'masq',
  weight,
  span,
});
const svc = (scheduler: string, realServers: IpvsRealServer[], schedFlags = 0): IpvsVirtualService => ({
  family: 4,
  protocol: 'tcp',
  address: '10.96.0.10',
  port: 80,
  fwmark: 0,
  scheduler,
  schedFlags,
  persistence: null,
  onePacket: false,
  realServers,
  span,
});
const ip = (a: string) => parseIp(a) as IpValue;
const pkt = (src: string, sport = 40000, dst = '10.96.0.10') => ({ srcIp: ip(src), dstIp: ip(dst), sport, proto: 6 });
const shares = (s: IpvsVirtualService, src = '10.244.1.5') =>
  schedule(s, pkt(src)).picks.map((p) => [p.server.address, p.probability]);

/** hash_32(v, 8) by BigInt: (v * 0x61C88647 mod 2^32) >> 24 (include/linux/hash.h). */
const hash8 = (v: number) => Number(((BigInt(v >>> 0) * 0x61c88647n) & 0xffffffffn) >> 24n);

describe('stateful schedulers become exact shares', () => {
  const three = [rs('10.244.0.5', 3), rs('10.244.1.7', 1), rs('10.244.2.9', 0)];
  it.each([
    [
      'rr: equal among weight > 0 (ip_vs_rr.c skips weight 0)',
      'rr',
      [
        ['10.244.0.5', 0.5],
        ['10.244.1.7', 0.5],
      ],
    ],
    [
      'wrr: by weight over a full cycle (ip_vs_wrr.c)',
      'wrr',
      [
        ['10.244.0.5', 0.75],
        ['10.244.1.7', 0.25],
      ],
    ],
    [
      'wlc: live connection counts, taken as equal',
      'wlc',
      [
        ['10.244.0.5', 0.5],
        ['10.244.1.7', 0.5],
      ],
    ],
    [
      'an unknown scheduler: each usable real server',
      'xyz',
      [
        ['10.244.0.5', 0.5],
        ['10.244.1.7', 0.5],
      ],
    ],
    ['fo: the highest weight (ip_vs_fo.c)', 'fo', [['10.244.0.5', 1]]],
  ])('%s', (_, scheduler, expected) => {
    expect(shares(svc(scheduler, three))).toEqual(expected);
  });

  it('says why it split and what it assumed', () => {
    expect(schedule(svc('lc', three), pkt('10.0.0.1')).notes[0]).toMatch(
      /^lc takes the real server with the fewest connections/,
    );
    expect(schedule(svc('xyz', three), pkt('10.0.0.1')).notes[0]).toMatch(/scheduler 'xyz' is not modelled/);
  });

  it('no real server with weight > 0: no pick (the caller runs ip_vs_leave)', () => {
    expect(schedule(svc('rr', [rs('10.244.0.5', 0)]), pkt('10.0.0.1')).picks).toEqual([]);
    expect(schedule(svc('rr', []), pkt('10.0.0.1')).picks).toEqual([]);
  });
});

describe('sh (ip_vs_sh.c)', () => {
  /** ip_vs_sh_reassign written out: a list of each server repeated max(weight,1) times, cycled to 256. */
  const naiveTable = (servers: IpvsRealServer[]) => {
    const cycle = servers.flatMap((s) => new Array(Math.max(s.weight, 1)).fill(s));
    return Array.from({ length: 256 }, (_, i) => cycle[i % cycle.length]);
  };

  it('the table gives each server weight consecutive buckets, weight 0 still one', () => {
    const servers = [rs('10.244.0.5', 3), rs('10.244.1.7', 0), rs('10.244.2.9', 2)];
    expect(shTable(servers)).toEqual(naiveTable(servers));
  });

  it('hand-computed vector: 10.244.1.5 lands in bucket 115', () => {
    expect(hash8(ip('10.244.1.5').value as number)).toBe(115);
    expect(hash8(ip('192.168.1.10').value as number)).toBe(248);
    const servers = [rs('10.0.0.1'), rs('10.0.0.2'), rs('10.0.0.3')];
    expect(shPick(svc('sh', servers), pkt('10.244.1.5'))?.address).toBe(servers[115 % 3].address);
    expect(shPick(svc('sh', servers), pkt('192.168.1.10'))?.address).toBe(servers[248 % 3].address);
  });

  it('many sources agree with the naive port; sh-port adds the source port', () => {
    const servers = [rs('10.0.0.1', 2), rs('10.0.0.2', 1), rs('10.0.0.3', 5)];
    const table = naiveTable(servers);
    for (let k = 0; k < 200; k++) {
      const src = `172.16.${k}.${(k * 7) % 256}`;
      const v = ip(src).value as number;
      expect(shPick(svc('sh', servers), pkt(src, 1000 + k))).toBe(table[hash8(v)]);
      const withPort = shPick(svc('sh', servers, IPVS_SCHED_FLAG.FLAG2), pkt(src, 1000 + k));
      expect(withPort).toBe(table[hash8((v + 1000 + k) >>> 0)]);
    }
  });

  it('a weight-0 server in the bucket: no destination, unless sh-fallback probes on', () => {
    const servers = [rs('10.0.0.1', 0), rs('10.0.0.2', 1)];
    // 10.244.1.5 → bucket 115 → servers[1] (odd); 192.168.1.10 → 248 → servers[0], weight 0.
    expect(shPick(svc('sh', servers), pkt('192.168.1.10'))).toBeNull();
    // Fallback: bucket (i + 2·ihash) & 255 for i = 0, 1, …: 496 & 255 = 240 → servers[0]; 241 → servers[1].
    expect(shPick(svc('sh', servers, IPVS_SCHED_FLAG.FLAG1), pkt('192.168.1.10'))?.address).toBe('10.0.0.2');
  });
});

describe('dh (ip_vs_dh.c)', () => {
  it('buckets filled round-robin, weights ignored, keyed by the destination address', () => {
    const servers = [rs('10.0.0.1', 5), rs('10.0.0.2', 1), rs('10.0.0.3', 1)];
    expect(dhPick(svc('dh', servers), pkt('1.1.1.1', 1, '10.244.1.5'))?.address).toBe(servers[115 % 3].address);
    expect(dhPick(svc('dh', servers), pkt('1.1.1.1', 1, '192.168.1.10'))?.address).toBe(servers[248 % 3].address);
  });
});

describe('mh (ip_vs_mh.c, Maglev)', () => {
  it('hand-computed vectors: offset and skip of 10.244.1.5 and 192.168.1.10 (port 0)', () => {
    const k1 = 2654435761n;
    const k2 = 2654446892n;
    expect([mhHash(ip('10.244.1.5'), 0, k1, 0) % 4093, (mhHash(ip('10.244.1.5'), 0, k2, 0) % 4092) + 1]).toEqual([
      38, 3509,
    ]);
    expect([mhHash(ip('192.168.1.10'), 0, k1, 0) % 4093, (mhHash(ip('192.168.1.10'), 0, k2, 0) % 4092) + 1]).toEqual([
      3323, 1754,
    ]);
  });

  it('hsiphash is SipHash-1-3 with k0 = k1: different keys and inputs give different words', () => {
    expect(hsiphash32(1, 1n)).not.toBe(hsiphash32(1, 2n));
    expect(hsiphash32(1, 1n)).not.toBe(hsiphash32(2, 1n));
    expect(hsiphash32(1, 1n)).toBe(hsiphash32(1, 1n));
  });

  /** Textbook Maglev population (Eisenbud et al. 2016, Pseudocode 1) with equal weights. */
  function textbook(servers: IpvsRealServer[]): number[] {
    const M = 4093;
    const perms = servers.map((s) => {
      const a = ip(s.address);
      return {
        off: mhHash(a, s.port, 2654435761n, 0) % M,
        skip: (mhHash(a, s.port, 2654446892n, 0) % (M - 1)) + 1,
        j: 0,
      };
    });
    const entry = new Array<number>(M).fill(-1);
    let filled = 0;
    for (;;) {
      for (let i = 0; i < servers.length; i++) {
        let c = (perms[i].off + perms[i].j * perms[i].skip) % M;
        while (entry[c] >= 0) {
          perms[i].j++;
          c = (perms[i].off + perms[i].j * perms[i].skip) % M;
        }
        entry[c] = i;
        perms[i].j++;
        if (++filled === M) return entry;
      }
    }
  }

  it('the lookup table with equal weights is the textbook Maglev table', () => {
    const servers = [rs('10.244.0.5'), rs('10.244.1.7'), rs('10.244.2.9'), rs('10.244.3.4', 1, 9090)];
    expect([...mhTable(servers)]).toEqual(textbook(servers));
  });

  it('weights give turns: weight 2 takes two slots per round', () => {
    const servers = [rs('10.244.0.5', 2), rs('10.244.1.7', 1)];
    const counts = [0, 0];
    for (const i of mhTable(servers)) counts[i]++;
    expect(counts[0] + counts[1]).toBe(4093);
    expect(counts[0]).toBe(2729); // ⌈4093·2/3⌉: the rounds go 2,1,2,1,… until the table is full
  });

  it('the pick is the table slot of the source address hash', () => {
    const servers = [rs('10.244.0.5'), rs('10.244.1.7'), rs('10.244.2.9')];
    const table = textbook(servers);
    for (const src of ['10.244.1.5', '192.168.1.10', '172.16.0.1', '203.0.113.99']) {
      const slot = mhHash(ip(src), 0, 2654435761n, 0) % 4093;
      expect(mhPick(svc('mh', servers), pkt(src))).toBe(servers[table[slot]]);
    }
    // 10.244.1.5 hashes to slot 38.
    expect(mhPick(svc('mh', servers), pkt('10.244.1.5'))).toBe(servers[table[38]]);
  });
});
