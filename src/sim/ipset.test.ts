import { describe, expect, it } from 'vitest';
import type { IpsetState } from '../model';
import { parseIp } from '../parse';
import { changeSet, type SetPacket, testSet } from './ipset';

// The kernel's answers, case by case (sources in ipset.ts): ip_set_core.c ip_set_test,
// ip_set_getport.c, ip_set_bitmap_port.c, ip_set_hash_gen.h mtype_test_cidrs, ip_set_list_set.c.

const SETS: Record<string, IpsetState> = {
  'KUBE-CLUSTER-IP': { type: 'hash:ip,port', entries: ['10.96.0.10,tcp:80', '10.96.0.10,udp:53'], family: 4 },
  'KUBE-IPVS-IPS': { type: 'hash:ip', entries: ['10.96.0.10'] },
  'KUBE-LOOP-BACK': { type: 'hash:ip,port,ip', entries: ['10.244.0.5,tcp:8080,10.244.0.5'] },
  'KUBE-LOAD-BALANCER-SOURCE-CIDR': {
    type: 'hash:ip,port,net',
    entries: ['1.2.3.4,tcp:80,10.0.0.0/8', '1.2.3.4,tcp:80,10.1.0.0/16 nomatch', '1.2.3.4,tcp:80,10.1.2.0/24'],
  },
  NETS: { type: 'hash:net', entries: ['192.168.0.0/16', '192.168.7.0/24 nomatch timeout 300'] },
  NETPORT: { type: 'hash:net,port', entries: ['10.0.0.0/8,udp:53'] },
  'KUBE-NODE-PORT-TCP': { type: 'bitmap:port', entries: ['30000-30010', '30080'] },
  V6: { type: 'hash:ip', entries: ['fd00::10'], family: 6 },
  EXPIRING: { type: 'hash:ip', entries: ['10.96.0.10 timeout 100'] },
  LIST: { type: 'list:set', entries: ['NETS', 'KUBE-IPVS-IPS'] },
};

function pkt(over: Partial<Record<'src' | 'dst' | 'proto' | 'sport' | 'dport', string | number>> = {}): SetPacket {
  const src = parseIp(String(over.src ?? '10.244.0.5'));
  const dst = parseIp(String(over.dst ?? '10.96.0.10'));
  if (!src || !dst) throw new Error('bad address in test');
  return {
    family: src.family,
    proto: Number(over.proto ?? 6),
    srcIp: src,
    dstIp: dst,
    sport: Number(over.sport ?? 40000),
    dport: Number(over.dport ?? 80),
    mark: 0,
    inIface: 'cni0',
    outIface: '',
  };
}

type Flags = ('src' | 'dst')[];

describe('ipset membership as the kernel tests it', () => {
  it.each<[string, string, Flags, Partial<Record<string, string | number>>, boolean, string]>([
    [
      'hash:ip,port takes ip from flag 1, port and protocol from flag 2',
      'KUBE-CLUSTER-IP',
      ['dst', 'dst'],
      {},
      true,
      '10.96.0.10,tcp:80 ∈ KUBE-CLUSTER-IP',
    ],
    [
      'the protocol is part of the element',
      'KUBE-CLUSTER-IP',
      ['dst', 'dst'],
      { proto: 17 },
      false,
      '10.96.0.10,udp:80 ∉ KUBE-CLUSTER-IP',
    ],
    [
      'udp:53 matches a UDP packet to port 53',
      'KUBE-CLUSTER-IP',
      ['dst', 'dst'],
      { proto: 17, dport: 53 },
      true,
      '10.96.0.10,udp:53 ∈ KUBE-CLUSTER-IP',
    ],
    [
      'src,dst reads the source address',
      'KUBE-CLUSTER-IP',
      ['src', 'dst'],
      {},
      false,
      '10.244.0.5,tcp:80 ∉ KUBE-CLUSTER-IP',
    ],
    [
      'fewer flags than dimensions never match (ip_set_test)',
      'KUBE-CLUSTER-IP',
      ['dst'],
      {},
      false,
      'KUBE-CLUSTER-IP (hash:ip,port) has 2 dimensions but the rule gives 1 flag: the kernel never matches (ip_set_test)',
    ],
    ['extra flags are ignored', 'KUBE-IPVS-IPS', ['dst', 'src', 'src'], {}, true, '10.96.0.10 ∈ KUBE-IPVS-IPS'],
    [
      'hash:ip,port,ip: the hairpin element dst,dst,src',
      'KUBE-LOOP-BACK',
      ['dst', 'dst', 'src'],
      { dst: '10.244.0.5', dport: 8080 },
      true,
      '10.244.0.5,tcp:8080,10.244.0.5 ∈ KUBE-LOOP-BACK',
    ],
    [
      'hash:ip,port,ip: another client is not a hairpin',
      'KUBE-LOOP-BACK',
      ['dst', 'dst', 'src'],
      { src: '10.244.0.6', dst: '10.244.0.5', dport: 8080 },
      false,
      '10.244.0.5,tcp:8080,10.244.0.6 ∉ KUBE-LOOP-BACK',
    ],
    [
      'hash:ip,port,net: a source inside the CIDR',
      'KUBE-LOAD-BALANCER-SOURCE-CIDR',
      ['dst', 'dst', 'src'],
      { src: '10.9.9.9', dst: '1.2.3.4' },
      true,
      '1.2.3.4,tcp:80,10.9.9.9 ∈ KUBE-LOAD-BALANCER-SOURCE-CIDR',
    ],
    [
      'hash:ip,port,net: the most specific prefix decides: /16 nomatch beats /8',
      'KUBE-LOAD-BALANCER-SOURCE-CIDR',
      ['dst', 'dst', 'src'],
      { src: '10.1.9.9', dst: '1.2.3.4' },
      false,
      '1.2.3.4,tcp:80,10.1.9.9 ∉ KUBE-LOAD-BALANCER-SOURCE-CIDR (the most specific entry, 1.2.3.4,tcp:80,10.1.0.0/16, is nomatch)',
    ],
    [
      'hash:ip,port,net: a /24 inside the nomatch /16 matches again',
      'KUBE-LOAD-BALANCER-SOURCE-CIDR',
      ['dst', 'dst', 'src'],
      { src: '10.1.2.3', dst: '1.2.3.4' },
      true,
      '1.2.3.4,tcp:80,10.1.2.3 ∈ KUBE-LOAD-BALANCER-SOURCE-CIDR',
    ],
    [
      'hash:net with a nomatch hole (timeout entries are present)',
      'NETS',
      ['src'],
      { src: '192.168.7.1' },
      false,
      '192.168.7.1 ∉ NETS (the most specific entry, 192.168.7.0/24, is nomatch)',
    ],
    ['hash:net outside the hole', 'NETS', ['src'], { src: '192.168.8.1' }, true, '192.168.8.1 ∈ NETS'],
    [
      'hash:net,port',
      'NETPORT',
      ['src', 'dst'],
      { src: '10.3.3.3', proto: 17, dport: 53 },
      true,
      '10.3.3.3,udp:53 ∈ NETPORT',
    ],
    [
      'bitmap:port: a port in a range',
      'KUBE-NODE-PORT-TCP',
      ['dst'],
      { dport: 30005 },
      true,
      '30005 ∈ KUBE-NODE-PORT-TCP',
    ],
    [
      'bitmap:port matches UDP as well as TCP',
      'KUBE-NODE-PORT-TCP',
      ['dst'],
      { proto: 17, dport: 30080 },
      true,
      '30080 ∈ KUBE-NODE-PORT-TCP',
    ],
    [
      'bitmap:port never matches SCTP (ip_set_get_ip_port)',
      'KUBE-NODE-PORT-TCP',
      ['dst'],
      { proto: 132, dport: 30080 },
      false,
      '30080 ∉ KUBE-NODE-PORT-TCP',
    ],
    [
      'bitmap:port src reads the source port',
      'KUBE-NODE-PORT-TCP',
      ['src'],
      { sport: 30080 },
      true,
      '30080 ∈ KUBE-NODE-PORT-TCP',
    ],
    [
      'an inet6 set never matches an IPv4 packet',
      'V6',
      ['dst'],
      {},
      false,
      'V6 is an IPv6 set: an IPv4 packet never matches it',
    ],
    ['an inet6 set matches an IPv6 packet', 'V6', ['dst'], { src: 'fd00::5', dst: 'fd00::10' }, true, 'fd00::10 ∈ V6'],
    ['an entry with a timeout is present until it expires', 'EXPIRING', ['dst'], {}, true, '10.96.0.10 ∈ EXPIRING'],
    [
      'list:set: the first member set that matches',
      'LIST',
      ['dst'],
      {},
      true,
      '10.96.0.10 ∈ KUBE-IPVS-IPS (member of LIST)',
    ],
    [
      'list:set: no member matches',
      'LIST',
      ['dst'],
      { dst: '10.96.0.11' },
      false,
      'no member set of LIST holds the packet',
    ],
  ])('%s', (_, name, flags, over, hit, note) => {
    expect(testSet(SETS, name, flags, pkt(over))).toEqual({ hit, note });
  });

  it('a set that was not supplied is null (the walk assumes it empty)', () => {
    expect(testSet(SETS, 'NOPE', ['dst'], pkt())).toBeNull();
  });

  it('--return-nomatch turns a nomatch hit into a match and a plain hit into none', () => {
    const name = 'KUBE-LOAD-BALANCER-SOURCE-CIDR';
    const flags: Flags = ['dst', 'dst', 'src'];
    expect(testSet(SETS, name, flags, pkt({ src: '10.1.9.9', dst: '1.2.3.4' }), true)?.hit).toBe(true);
    expect(testSet(SETS, name, flags, pkt({ src: '10.9.9.9', dst: '1.2.3.4' }), true)?.hit).toBe(false);
  });
});

describe("SET from the packet, as ip_set_add / ip_set_del and the types' kadt do it", () => {
  it.each<[string, 'add' | 'del', string, Flags, Parameters<typeof pkt>[0], string, string[] | null]>([
    [
      'an element already there (the bare port is tcp)',
      'add',
      'PORTS',
      ['dst', 'dst'],
      {},
      '10.96.0.10,tcp:80 is already in PORTS',
      null,
    ],
    [
      'a new ip,port element',
      'add',
      'PORTS',
      ['dst', 'dst'],
      { dport: 81 },
      '10.96.0.10,tcp:81 added to PORTS',
      ['10.96.0.10,80', '10.96.0.10,tcp:81'],
    ],
    [
      'delete takes the entry written without its protocol',
      'del',
      'PORTS',
      ['dst', 'dst'],
      {},
      '10.96.0.10,tcp:80 deleted from PORTS',
      [],
    ],
    [
      'delete of an element that is not there',
      'del',
      'KUBE-IPVS-IPS',
      ['src'],
      {},
      '10.244.0.5 is not in KUBE-IPVS-IPS: nothing to delete',
      null,
    ],
    [
      'bitmap:port takes the port',
      'add',
      'KUBE-NODE-PORT-TCP',
      ['dst'],
      { dport: 30090 },
      "30090 added to KUBE-NODE-PORT-TCP (the walk takes the set's range to hold it)",
      ['30000-30010', '30080', '30090'],
    ],
    [
      'an IPv4 packet and an IPv6 set',
      'add',
      'V6',
      ['src'],
      {},
      'V6 is an IPv6 set: the kernel does not add an IPv4 packet',
      null,
    ],
  ])('%s', (_, op, name, flags, over, note, entries) => {
    const sets: Record<string, IpsetState> = { ...SETS, PORTS: { type: 'hash:ip,port', entries: ['10.96.0.10,80'] } };
    const r = changeSet(sets, op, name, flags, pkt(over));
    expect(r.note).toBe(note);
    expect(r.assumed).toBeUndefined();
    if (entries === null) expect(r.sets).toBe(sets);
    else expect(r.sets[name].entries).toEqual(entries);
    expect(sets.PORTS.entries).toEqual(['10.96.0.10,80']);
  });

  it('says when it cannot know: a net dimension, a list:set, an ICMP packet into a port set', () => {
    expect(changeSet(SETS, 'add', 'NETS', ['src'], pkt()).assumed).toMatch(/cannot add to a hash:net set/);
    expect(changeSet(SETS, 'add', 'LIST', ['src'], pkt()).assumed).toMatch(/cannot add to a list:set set/);
    expect(changeSet(SETS, 'add', 'KUBE-CLUSTER-IP', ['dst', 'dst'], pkt({ proto: 1 })).assumed).toMatch(
      /port the kernel takes for an icmp packet/,
    );
  });
});
