// Names iptables knows: match modules and targets chainwalk models, protocols,
// well-known ports, ICMP types, addrtype and conntrack words.

export const KNOWN_MODULES: ReadonlySet<string> = new Set([
  'tcp', 'udp', 'sctp', 'udplite', 'dccp', 'icmp', 'icmp6', 'icmpv6', 'multiport', 'comment', 'addrtype',
  'statistic', 'mark', 'connmark', 'conntrack', 'state', 'recent', 'set', 'physdev', 'mac', 'iprange', 'owner',
  'pkttype', 'limit', 'hashlimit', 'length', 'nfacct', 'connlimit',
]);

/** Target extensions (not chains). */
export const KNOWN_TARGETS: ReadonlySet<string> = new Set([
  'ACCEPT', 'DROP', 'REJECT', 'RETURN', 'MARK', 'CONNMARK', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'LOG',
  'NFLOG', 'TRACE', 'NOTRACK', 'CT', 'CHECKSUM', 'TCPMSS', 'DSCP', 'TOS', 'TTL', 'HL', 'CLASSIFY', 'SECMARK',
  'CONNSECMARK', 'SET', 'AUDIT', 'NFQUEUE', 'QUEUE', 'TPROXY', 'NETMAP', 'ULOG', 'IDLETIMER', 'LED', 'TEE',
  'SYNPROXY', 'CLUSTERIP', 'ECN', 'TCPOPTSTRIP', 'RATEEST', 'HMARK',
]);

/** Targets that only rewrite bytes chainwalk does not model: their verdict is CONTINUE. */
export const CONTINUE_TARGETS: ReadonlySet<string> = new Set([
  'CHECKSUM', 'TCPMSS', 'DSCP', 'TOS', 'TTL', 'HL', 'CLASSIFY', 'SECMARK', 'CONNSECMARK', 'SET', 'AUDIT',
  'ULOG', 'IDLETIMER', 'LED', 'ECN', 'TCPOPTSTRIP', 'RATEEST', 'HMARK',
]);

export const PROTOCOLS: Readonly<Record<string, number>> = {
  all: 0, icmp: 1, igmp: 2, ipencap: 4, ipip: 4, ipv4: 4, tcp: 6, egp: 8, udp: 17, ipv6: 41, gre: 47, esp: 50,
  ah: 51, 'ipv6-icmp': 58, icmpv6: 58, icmp6: 58, ospf: 89, vrrp: 112, l2tp: 115, sctp: 132,
  'mobility-header': 135, udplite: 136, dccp: 33, ipcomp: 108, pim: 103,
};

export const SERVICES: Readonly<Record<string, number>> = {
  ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53, bootps: 67, bootpc: 68, http: 80, www: 80, pop3: 110,
  ntp: 123, imap: 143, snmp: 161, ldap: 389, https: 443, microsoft: 445, syslog: 514, submission: 587,
  ldaps: 636, imaps: 993, pop3s: 995, mysql: 3306, postgresql: 5432, 'http-alt': 8080,
};

export const ICMP_TYPES: Readonly<Record<string, [number, number?]>> = {
  any: [-1], 'echo-reply': [0], pong: [0], 'destination-unreachable': [3], 'network-unreachable': [3, 0],
  'host-unreachable': [3, 1], 'protocol-unreachable': [3, 2], 'port-unreachable': [3, 3],
  'fragmentation-needed': [3, 4], 'source-quench': [4], redirect: [5], 'echo-request': [8], ping: [8],
  'router-advertisement': [9], 'router-solicitation': [10], 'time-exceeded': [11], ttl: [11],
  'parameter-problem': [12], 'timestamp-request': [13], 'timestamp-reply': [14],
};

export const ICMP6_TYPES: Readonly<Record<string, [number, number?]>> = {
  any: [-1], 'destination-unreachable': [1], 'packet-too-big': [2], 'time-exceeded': [3],
  'parameter-problem': [4], 'echo-request': [128], 'echo-reply': [129], 'router-solicitation': [133],
  'router-advertisement': [134], 'neighbour-solicitation': [135], 'neighbor-solicitation': [135],
  'neighbour-advertisement': [136], 'neighbor-advertisement': [136], redirect: [137],
};

/** xt_addrtype bits (include/uapi/linux/netfilter/xt_addrtype.h). */
export const ADDRTYPES: Readonly<Record<string, number>> = {
  UNSPEC: 1 << 0, UNICAST: 1 << 1, LOCAL: 1 << 2, BROADCAST: 1 << 3, ANYCAST: 1 << 4, MULTICAST: 1 << 5,
  BLACKHOLE: 1 << 6, UNREACHABLE: 1 << 7, PROHIBIT: 1 << 8, THROW: 1 << 9, NAT: 1 << 10, XRESOLVE: 1 << 11,
};

/** Conntrack states as chainwalk's bit set. */
export const CT_STATES: Readonly<Record<string, number>> = {
  INVALID: 1, NEW: 2, RELATED: 4, ESTABLISHED: 8, UNTRACKED: 16, SNAT: 32, DNAT: 64,
};

export const CT_STATUS: Readonly<Record<string, number>> = {
  NONE: 0, EXPECTED: 1, SEEN_REPLY: 2, ASSURED: 4, CONFIRMED: 8,
};

/** TCP flag bits as --tcp-flags names them. */
export const TCP_FLAGS: Readonly<Record<string, number>> = {
  FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128, ALL: 255, NONE: 0,
};
