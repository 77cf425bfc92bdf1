// Which long options take a value, per extension, as iptables-restore's getopt sees them: an
// option that takes an argument gets the next word whatever it looks like, so in
// `-m comment --comment -j -j MY` the first `-j` is the comment (xtables_save_string prints it
// bare) and the second is the jump. Taken from iptables' extensions/lib{xt,ipt,ip6t}_*.c (v1.8.9
// to f9ed681f): every option whose type is not XTTYPE_NONE, or that has has_arg.

const VALUED: Readonly<Record<string, string>> = {
  // matches
  addrtype: 'dst-type src-type',
  ah: 'ahlen ahspi',
  bpf: 'bytecode object-pinned',
  cgroup: 'cgroup path',
  cluster: 'cluster-hash-seed cluster-local-node cluster-local-nodemask cluster-total-nodes',
  comment: 'comment',
  connbytes: 'connbytes connbytes-dir connbytes-mode',
  connlabel: 'label',
  connlimit: 'connlimit-above connlimit-mask connlimit-upto',
  connmark: 'mark',
  conntrack:
    'ctdir ctexpire ctorigdst ctorigdstport ctorigsrc ctorigsrcport ctproto ctrepldst ctrepldstport ctreplsrc ctreplsrcport ctstate ctstatus state',
  cpu: 'cpu',
  dccp: 'dccp-option dccp-types destination-port dport source-port sport',
  devgroup: 'dst-group src-group',
  dscp: 'dscp dscp-class',
  dst: 'dst-len dst-opts',
  ecn: 'ecn-ip-ect',
  esp: 'espspi',
  frag: 'fragid fraglen',
  hashlimit:
    'hashlimit hashlimit-above hashlimit-burst hashlimit-dstmask hashlimit-htable-expire hashlimit-htable-gcinterval hashlimit-htable-max hashlimit-htable-size hashlimit-mode hashlimit-name hashlimit-rate-interval hashlimit-srcmask hashlimit-upto',
  hbh: 'hbh-len hbh-opts',
  helper: 'helper',
  hl: 'hl hl-eq hl-gt hl-lt',
  icmp: 'icmp-type',
  icmp6: 'icmpv6-type',
  ipcomp: 'ipcompspi',
  iprange: 'dst-range src-range',
  ipv6header: 'header',
  ipvs: 'vaddr vdir vmethod vport vportctl vproto',
  length: 'length',
  limit: 'limit limit-burst',
  mac: 'mac-source',
  mark: 'mark',
  mh: 'mh-type',
  multiport: 'destination-ports dports ports source-ports sports',
  nfacct: 'nfacct-name',
  osf: 'genre log ttl',
  owner: 'cmd-owner gid-owner pid-owner sid-owner uid-owner',
  physdev: 'physdev-in physdev-out',
  pkttype: 'pkt-type',
  policy: 'dir mode pol proto reqid spi tunnel-dst tunnel-src',
  quota: 'quota',
  rateest: 'bit rateest rateest1 rateest2',
  realm: 'realm',
  recent: 'hitcount mask name seconds',
  rt: 'rt-0-addrs rt-len rt-segsleft rt-type',
  sctp: 'chunk-types destination-port dport source-port sport',
  set: 'bytes-eq bytes-gt bytes-lt match-set packets-eq packets-gt packets-lt set',
  srh: 'srh-hdr-len-eq srh-hdr-len-gt srh-hdr-len-lt srh-last-entry-eq srh-last-entry-gt srh-last-entry-lt srh-lsid srh-next-hdr srh-nsid srh-psid srh-segs-left-eq srh-segs-left-gt srh-segs-left-lt srh-tag',
  statistic: 'every mode packet probability',
  string: 'algo from hex-string string to',
  tcp: 'destination-port dport source-port sport tcp-flags tcp-option',
  tcpmss: 'mss',
  time: 'datestart datestop monthdays timestart timestop weekdays',
  tos: 'tos',
  ttl: 'ttl ttl-eq ttl-gt ttl-lt',
  u32: 'u32',
  udp: 'destination-port dport source-port sport',
  // targets
  AUDIT: 'type',
  CLASSIFY: 'set-class',
  CLUSTERIP: 'clustermac hash-init hashmode local-node total-nodes',
  CONNMARK: 'and-mark ctmask left-shift-mark mask nfmask or-mark right-shift-mark set-mark set-xmark xor-mark',
  CT: 'ctevents expevents helper timeout zone zone-orig zone-reply',
  DNAT: 'to-destination',
  DNPT: 'dst-pfx src-pfx',
  DSCP: 'set-dscp set-dscp-class',
  ECN: 'ecn-ip-ect ecn-tcp-cwr ecn-tcp-ece',
  HL: 'hl-dec hl-inc hl-set',
  HMARK:
    'hmark-dport hmark-dport-mask hmark-dst-prefix hmark-mod hmark-offset hmark-proto-mask hmark-rnd hmark-spi hmark-spi-mask hmark-sport hmark-sport-mask hmark-src-prefix hmark-tuple',
  IDLETIMER: 'label timeout',
  LED: 'led-delay led-trigger-id',
  LOG: 'log-level log-prefix',
  MARK: 'and-mark or-mark set-mark set-xmark xor-mark',
  MASQUERADE: 'to-ports',
  NETMAP: 'to',
  NFLOG: 'nflog-group nflog-prefix nflog-range nflog-size nflog-threshold',
  NFQUEUE: 'queue-balance queue-num',
  RATEEST: 'rateest-ewmalog rateest-interval rateest-name',
  REDIRECT: 'to-ports',
  REJECT: 'reject-with',
  SECMARK: 'selctx',
  SET: 'add-set del-set map-set timeout',
  SNAT: 'to-source',
  SNPT: 'dst-pfx src-pfx',
  SYNPROXY: 'mss wscale',
  TCPMSS: 'set-mss',
  TCPOPTSTRIP: 'strip-options',
  TEE: 'gateway oif',
  TOS: 'and-tos or-tos set-tos xor-tos',
  TPROXY: 'on-ip on-port tproxy-mark',
  TTL: 'ttl-dec ttl-inc ttl-set',
  ULOG: 'ulog-cprange ulog-nlgroup ulog-prefix ulog-qthreshold',
};

/** Extensions registered under more than one name (libxt_conntrack.c also registers `state`). */
const ALIASES: Readonly<Record<string, string>> = { state: 'conntrack', icmpv6: 'icmp6' };

/**
 * Options that take two words (the second read from argv[optind] by the extension itself, which
 * refuses one starting with `-` or `!`): libxt_tcp.c, libxt_sctp.c, libxt_set.c, libxt_SET.c.
 */
const TWO_VALUES: ReadonlySet<string> = new Set([
  '--tcp-flags',
  '--chunk-types',
  '--match-set',
  '--set',
  '--add-set',
  '--del-set',
  '--map-set',
]);

const byExtension = new Map<string, ReadonlySet<string>>();
/** Every valued option of any extension, for an extension not in the table. */
const anyExtension = new Set<string>();
for (const [ext, names] of Object.entries(VALUED)) {
  const set = new Set(names.split(' ').map((n) => `--${n}`));
  byExtension.set(ext, set);
  for (const n of set) anyExtension.add(n);
}
// `--set` is a flag in recent and connlabel, `--ecn-tcp-cwr` in the ecn match: only their own
// extensions say.
for (const flag of ['--set', '--ecn-tcp-cwr', '--ecn-tcp-ece']) anyExtension.delete(flag);

/**
 * How many words long option `option` of extension `ext` (a `-m` module or a `-j` target; null
 * when unknown) takes: 0, 1 or 2. An extension the table does not have is read with every
 * extension's names, but for the few names that are a flag somewhere.
 */
export function optionValues(option: string, ext: string | null): number {
  const own = ext === null ? undefined : byExtension.get(ALIASES[ext] ?? ext);
  const valued = own ? own.has(option) : anyExtension.has(option);
  if (!valued) return 0;
  return TWO_VALUES.has(option) ? 2 : 1;
}
