import type { MarkShift, TraceEvent } from '../model';
import { hostPort, markTargetOf, type TargetOption, type TargetWords, targetOption, targetValue } from '../parse';

// What a rule's target did on one step of a walk, in plain words: what the kernel does with the
// packet, and whether the walk goes on. The rule's text says what the target is asked to do; the
// event (its verdict, its header before and after) says what the walk did, and the words never
// claim more than that. Targets the walk does not model say so. Kernel sources cited by file:
// net/netfilter/xt_*.c, net/netfilter/nf_nat_core.c.

/** Why the rule is there, when its comment says. */
export interface RuleWhy {
  comment?: string;
  service?: string;
}

type Explainer = (e: TraceEvent, w: TargetWords, why: RuleWhy) => string | null;

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

function popcount(n: number): number {
  let c = 0;
  for (let v = n >>> 0; v !== 0; v >>>= 1) c += v & 1;
  return c;
}

function bits(n: number): string {
  return `${popcount(n) === 1 ? 'bit' : 'bits'} ${hex(n)}`;
}

/** `a`, `a and b`, `a, b and c`. */
function list(items: string[]): string {
  return items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** A number as iptables prints it (`0x4000`, `16`), or null. */
function num(text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

/** `V[/M]`, the mask defaulting to `full`. */
function valueMask(text: string | undefined, full: number): { value: number; mask: number } | null {
  if (text === undefined) return null;
  const [v, m] = text.split('/');
  const value = num(v);
  const mask = m === undefined ? full : num(m);
  return value === null || mask === null ? null : { value, mask };
}

/** `new = (old & ~mask) ^ value` (xt_mark.c, xt_connmark.c, xt_DSCP.c's TOS) in words. */
function xmarkWords(value: number, mask: number, field: string, full = 0xffffffff): string {
  const v = value >>> 0;
  const m = mask >>> 0;
  if (m === full >>> 0) return `sets the ${field} to ${hex(v)}`;
  if (m === 0) return `flips ${bits(v)} of the ${field}`;
  if (v === 0) return `clears ${bits(m)} of the ${field}`;
  if ((v & ~m) === 0)
    return v === m ? `sets ${bits(v)} of the ${field}` : `sets ${bits(m)} of the ${field} to ${hex(v)}`;
  return `clears ${bits(m)} of the ${field}, then flips ${bits(v)}`;
}

/** The mark or connmark as the walk's header shows it across the step. */
function markChange(e: TraceEvent, field: 'mark' | 'ctmark'): string {
  const label = field === 'mark' ? 'mark' : 'connmark';
  const [a, b] = [e.before[field], e.after[field]];
  return a === b ? `${label} stays ${hex(b)}` : `${label} ${hex(a)} → ${hex(b)}`;
}

/** Where the walk goes after this step, by the verdict it gave the rule. */
function next(e: TraceEvent): string {
  switch (e.verdict) {
    case 'CONTINUE':
      return 'the walk goes on to the next rule';
    case 'ACCEPT':
      // A NAT target's NF_ACCEPT ends the table at this hook; the next table still runs.
      return `the rest of ${e.table} ${e.hook} is skipped`;
    case 'DROP':
      return 'the walk ends here';
    default:
      return `the walk's verdict is ${e.verdict}`;
  }
}

/** For a target that decides the packet's fate in the kernel but that the walk takes as CONTINUE. */
function notModelled(e: TraceEvent, name: string): string {
  return e.verdict === 'CONTINUE'
    ? `the walk does not model ${name}: it takes the rule as CONTINUE and goes on to the next rule`
    : next(e);
}

/** The header fields the walk changed, for targets that should change none it shows. */
function unexpected(e: TraceEvent): string {
  const changed = (['src', 'sport', 'dst', 'dport', 'mark', 'ctmark'] as const).filter(
    (f) => e.before[f] !== e.after[f],
  );
  return changed.length > 0 ? ` (the walk changed ${changed.join(', ')})` : '';
}

/**
 * A CONTINUE target's sentence: what it does, which of the bytes it changes the walk's header does
 * not carry, then whether the walk goes on.
 */
function goesOn(e: TraceEvent, name: string, does: string, unseen?: string): string {
  return `${name}: ${does}${unexpected(e)}${unseen ? `; the walk's header has no ${unseen}` : ''}; ${next(e)}`;
}

// ---- Logging and tracing ----

/** syslog levels, as libxt_LOG.c names them; iptables-save prints the number and omits 4. */
const LOG_LEVELS = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'];

const LOG_EXTRAS: [string, string][] = [
  ['--log-tcp-sequence', 'TCP sequence numbers'],
  ['--log-tcp-options', 'TCP options'],
  ['--log-ip-options', 'IP options'],
  ['--log-uid', "the sending socket's UID and GID"],
  ['--log-macdecode', 'decoded MAC addresses'],
];

function prefixed(prefix: string | undefined): string {
  return prefix === undefined ? '' : ` with the prefix “${prefix}”`;
}

const log: Explainer = (e, w) => {
  const written = targetValue(w, '--log-level') ?? '4';
  const n = num(written);
  const level = n !== null && n < 8 ? `${n} (${LOG_LEVELS[n]})` : written;
  const extras = LOG_EXTRAS.filter(([o]) => targetOption(w, o)).map(([, what]) => what);
  return goesOn(
    e,
    'LOG',
    `writes the packet's headers${extras.length ? `, with ${list(extras)},` : ''} to the kernel log (dmesg) at level ${level}${prefixed(targetValue(w, '--log-prefix'))}`,
  );
};

const nflog: Explainer = (e, w) => {
  const group = targetValue(w, '--nflog-group') ?? '0';
  const size = targetValue(w, '--nflog-size');
  const threshold = targetValue(w, '--nflog-threshold');
  const range = targetOption(w, '--nflog-range') && !size ? ' (--nflog-range has never worked: all of it)' : '';
  return goesOn(
    e,
    'NFLOG',
    `sends a copy of the packet${size ? ` (its first ${size} bytes)` : range} to netlink log group ${group}${prefixed(targetValue(w, '--nflog-prefix'))}, for a logging daemon (ulogd, or tcpdump -i nflog:${group})${threshold ? `, ${threshold} packets at a time` : ''}`,
  );
};

const ulog: Explainer = (e, w) =>
  goesOn(
    e,
    'ULOG',
    `sends a copy of the packet to ulogd over netlink group ${targetValue(w, '--ulog-nlgroup') ?? '1'}${prefixed(targetValue(w, '--ulog-prefix'))} (IPv4 only; Linux 3.17 removed ULOG in favour of NFLOG)`,
  );

const trace: Explainer = (e) =>
  goesOn(
    e,
    'TRACE',
    'turns on tracing for this packet: every rule it meets from here is reported (xtables-monitor --trace with iptables-nft, the kernel log with iptables-legacy)',
  );

const audit: Explainer = (e, w) => {
  const type = targetValue(w, '--type');
  return goesOn(
    e,
    'AUDIT',
    `writes an audit record of the packet for auditd${type ? ` (--type ${type} only labels it, and Linux 4.12 and later ignore it)` : ''}; it neither accepts nor drops it`,
  );
};

// ---- Connection tracking ----

/** xt_CT.c (and NOTRACK) leave a packet that already has a conntrack entry alone. */
function untrack(e: TraceEvent): string {
  return e.leg > 0
    ? 'the packet came back in on lo with its conntrack entry, so there is nothing to untrack'
    : 'a packet with no conntrack entry yet is left untracked: its ctstate is UNTRACKED and no nat table sees it';
}

const notrack: Explainer = (e) => goesOn(e, 'NOTRACK', untrack(e));

const ct: Explainer = (e, w) => {
  const does: string[] = [];
  if (targetOption(w, '--notrack')) does.push(untrack(e));
  const zone = targetValue(w, '--zone');
  if (zone !== undefined) does.push(`puts the connection in conntrack zone ${zone}`);
  for (const dir of ['orig', 'reply'] as const) {
    const z = targetValue(w, `--zone-${dir}`);
    if (z !== undefined)
      does.push(`uses conntrack zone ${z} for its ${dir === 'orig' ? 'original' : 'reply'} direction`);
  }
  const helper = targetValue(w, '--helper');
  if (helper !== undefined)
    does.push(
      `attaches the ${helper} helper, which reads the connection's control messages and lets the connections they announce in as RELATED`,
    );
  const timeout = targetValue(w, '--timeout');
  if (timeout !== undefined) does.push(`gives the connection the timeout policy ${timeout} (made with nfct)`);
  const events = targetValue(w, '--ctevents');
  if (events !== undefined) does.push(`reports only its conntrack events ${events}`);
  const expevents = targetValue(w, '--expevents');
  if (expevents !== undefined) does.push(`reports only its expectation events ${expevents}`);
  if (does.length === 0) return goesOn(e, 'CT', 'no options: the connection is tracked as usual');
  const unmodelled = w.options.some(
    (o) => o.name.startsWith('--zone') || o.name === '--helper' || o.name === '--timeout',
  )
    ? ' (the walk has one zone and no helpers or timeout policies: this changes nothing in it)'
    : '';
  return goesOn(e, 'CT', `${list(does)}${unmodelled}`);
};

// ---- Marks ----

/** The mark kube-proxy's own chains set (pkg/proxy/iptables/proxier.go masqueradeMark, KUBE-MARK-DROP). */
const KUBE_MARKS: Record<string, string> = {
  'KUBE-MARK-MASQ': " (kube-proxy's masquerade mark)",
  'KUBE-MARK-DROP': " (kube-proxy's drop mark)",
};

const mark: Explainer = (e, w) => {
  const t = markTargetOf(w);
  if (t?.kind !== 'mark') return null;
  if (e.chain === 'KUBE-POSTROUTING' && e.before.mark !== e.after.mark)
    return `clears the masquerade bit (mark ${hex(e.before.mark)} → ${hex(e.after.mark)}) so a re-sent packet is not masqueraded twice; ${next(e)}`;
  return `MARK: ${xmarkWords(t.value, t.mask, 'packet mark')}${KUBE_MARKS[e.chain] ?? ''}: ${markChange(e, 'mark')}; ${next(e)}`;
};

/**
 * CONNMARK --save-mark / --restore-mark: `to = (to & ~toMask) ^ ((from & fromMask) << or >> N)`
 * (xt_connmark.c connmark_tg_shift).
 */
function copyWords(from: 'mark' | 'ctmark', fromMask: number, toMask: number, shift?: MarkShift): string {
  const [fromName, toName, to] =
    from === 'mark' ? ['packet mark', 'connection mark', 'ctmark'] : ['connection mark', 'packet mark', 'mark'];
  const all = 0xffffffff;
  if (shift) {
    const op = shift.dir === 'left' ? '<<' : '>>';
    return `sets ${to} = (${to} & ~${hex(toMask)}) ^ ((${from} & ${hex(fromMask)}) ${op} ${shift.bits})`;
  }
  if (fromMask >>> 0 === all && toMask >>> 0 === all) return `copies the ${fromName} into the ${toName}`;
  if (fromMask >>> 0 === toMask >>> 0) return `copies ${bits(fromMask)} of the ${fromName} into the ${toName}`;
  return `sets ${to} = (${to} & ~${hex(toMask)}) ^ (${from} & ${hex(fromMask)})`;
}

const connmark: Explainer = (e, w) => {
  const t = markTargetOf(w);
  if (t?.kind !== 'connmark') return null;
  // connmark_tg_shift: SET shifts its whole result; SAVE and RESTORE shift the bits they copy.
  if (t.op === 'set') {
    const shifted = t.shift ? `, then shifts the whole connection mark ${t.shift.dir} by ${t.shift.bits} bits` : '';
    return `CONNMARK: ${xmarkWords(t.value, t.mask, 'connection mark')}${shifted}, which every later packet of the connection finds there (-m connmark, --restore-mark): ${markChange(e, 'ctmark')}; ${next(e)}`;
  }
  return t.op === 'save'
    ? `CONNMARK: ${copyWords('mark', t.nfmask, t.ctmask, t.shift)}, so later packets of the connection can take it back with --restore-mark: ${markChange(e, 'ctmark')}; ${next(e)}`
    : `CONNMARK: ${copyWords('ctmark', t.ctmask, t.nfmask, t.shift)}: ${markChange(e, 'mark')}; ${next(e)}`;
};

const hmark: Explainer = (e, w) => {
  const tuple = targetValue(w, '--hmark-tuple') ?? 'src,dst,proto,sport,dport';
  const mod = targetValue(w, '--hmark-mod');
  const offset = targetValue(w, '--hmark-offset');
  const mark =
    e.before.mark === e.after.mark
      ? `; the walk does not compute the hash: mark stays ${hex(e.after.mark)}`
      : `: ${markChange(e, 'mark')}`;
  return `HMARK: sets the packet mark to a hash of its ${tuple}${mod ? ` modulo ${mod}` : ''}${offset ? ` plus ${offset}` : ''}, to spread flows over routes or queues${mark}; ${next(e)}`;
};

// ---- NAT (nf_nat_core.c get_unique_tuple) ----

/** A NAT target's port choice, by its flags and what the walk's header shows. */
function portChoice(e: TraceEvent, w: TargetWords, side: 'sport' | 'dport', ports: string | undefined): string {
  const kept = e.before[side] === e.after[side];
  const random = targetOption(w, '--random-fully') ? '--random-fully' : targetOption(w, '--random') ? '--random' : '';
  // NF_NAT_RANGE_PROTO_RANDOM_ALL skips keeping the original port: a new one is always picked.
  if (random && side === 'sport')
    return ` (${random}: the kernel picks a random source port instead of keeping it${kept ? '; the original is shown' : ''})`;
  if (!ports?.includes('-')) return '';
  return kept ? ` (port ${e.after[side]} is kept: it is inside ${ports})` : ` (a port of ${ports})`;
}

/** The address and port parts of a NAT range (`A[-B][:P[-Q]]`, `[v6]:P`, `:P`). */
function natRange(to: string | undefined): { addr: string; ports?: string } {
  if (to === undefined) return { addr: '' };
  if (to.startsWith('[')) {
    const close = to.indexOf(']');
    const ports = to.slice(close + 2);
    return { addr: to.slice(1, close), ...(ports ? { ports } : {}) };
  }
  const colon = to.indexOf(':');
  if (colon < 0 || to.indexOf(':', colon + 1) >= 0) return { addr: to }; // IPv4 without a port, or bare IPv6
  return { addr: to.slice(0, colon), ports: to.slice(colon + 1) };
}

const dnat: Explainer = (e, w, why) => {
  const to = targetValue(w, '--to-destination') ?? targetValue(w, '--to');
  const at = hostPort(e.after.dst, e.after.dport);
  const range = natRange(to);
  if (e.before.dst === e.after.dst && e.before.dport === e.after.dport)
    return `DNAT to ${to ?? '?'}: the destination is already ${at}, nothing to rewrite; ${next(e)}`;
  const one = range.addr.includes('-') ? ` (one address of ${range.addr} per connection)` : '';
  return `DNAT: the destination becomes ${at}${why.service ? `, an endpoint of ${why.service}` : ''}${one}; conntrack rewrites the replies back; ${next(e)}`;
};

const redirect: Explainer = (e, w) => {
  const at = hostPort(e.after.dst, e.after.dport);
  // nf_nat_redirect.c: the primary address of the interface the packet came in by; loopback for local packets.
  const where =
    e.hook === 'OUTPUT'
      ? 'the loopback address (the packet comes from this node)'
      : "this node's own address on the interface the packet came in by";
  const ports = portChoice(e, w, 'dport', targetValue(w, '--to-ports'));
  const listener = `a process on this node listening on port ${e.after.dport} gets it`;
  if (e.before.dst === e.after.dst && e.before.dport === e.after.dport)
    return `REDIRECT: the destination stays ${at}, already ${where}${ports}: ${listener}; ${next(e)}`;
  return `REDIRECT: the destination becomes ${at}, ${where}${ports}, so ${listener}; conntrack rewrites the replies back; ${next(e)}`;
};

const snat: Explainer = (e, w) => {
  const to = targetValue(w, '--to-source') ?? targetValue(w, '--to');
  const range = natRange(to);
  const at = hostPort(e.after.src, e.after.sport);
  const ports = portChoice(e, w, 'sport', range.ports);
  if (e.before.src === e.after.src && e.before.sport === e.after.sport)
    return `SNAT to ${to ?? '?'}: the source is already ${at}, nothing to rewrite${ports}; ${next(e)}`;
  const one = range.addr.includes('-')
    ? ` (the kernel picks one address of ${range.addr} per connection${targetOption(w, '--persistent') ? ", the same for all of a client's connections" : ''})`
    : '';
  return `SNAT: the source becomes ${at}${one}${ports}; conntrack rewrites the replies back; ${next(e)}`;
};

const masquerade: Explainer = (e, w) => {
  const at = hostPort(e.after.src, e.after.sport);
  const ports = portChoice(e, w, 'sport', targetValue(w, '--to-ports'));
  if (e.before.src === e.after.src && e.before.sport === e.after.sport)
    return `MASQUERADE: the source stays ${at}${ports}; ${next(e)}`;
  return `MASQUERADE: the source becomes ${at}, the outgoing interface's address, so replies come back through this node${ports}; ${next(e)}`;
};

const netmap: Explainer = (e, w) => {
  const to = targetValue(w, '--to');
  // xt_NETMAP.c: the destination at PREROUTING and OUTPUT, the source at POSTROUTING and INPUT.
  const dst = e.hook === 'PREROUTING' || e.hook === 'OUTPUT';
  const side = dst ? 'destination' : 'source';
  const before = dst ? e.before.dst : e.before.src;
  const after = dst ? e.after.dst : e.after.src;
  if (e.verdict === 'CONTINUE') return `NETMAP: maps the ${side} 1:1 onto ${to ?? '?'}; ${notModelled(e, 'NETMAP')}`;
  if (after === before)
    return `NETMAP: the ${side} ${before} already lies in ${to ?? '?'} with the same host bits, nothing to rewrite; ${next(e)}`;
  return `NETMAP: the ${side} becomes ${after}, keeping its host bits in ${to ?? '?'} (a 1:1 map of the network); conntrack rewrites the replies back; ${next(e)}`;
};

// ---- Handing the packet elsewhere ----

const tproxy: Explainer = (e, w) => {
  const port = targetValue(w, '--on-port');
  const ip = targetValue(w, '--on-ip');
  const on = `${port === undefined || port === '0' ? 'its own destination port' : `port ${port}`}${ip && ip !== '0.0.0.0' && ip !== '::' ? ` of ${ip}` : ''}`;
  const m = valueMask(targetValue(w, '--tproxy-mark'), 0xffffffff);
  const marks =
    m && (m.value !== 0 || m.mask !== 0)
      ? `, ${xmarkWords(m.value, m.mask, 'packet mark')} (for the policy route that delivers it locally)`
      : '';
  return `TPROXY: in the kernel, gives the packet, its destination unchanged, to the transparent socket listening on ${on}${marks} and accepts it, or drops it when no socket listens there; ${notModelled(e, 'TPROXY')}`;
};

const queue =
  (name: 'NFQUEUE' | 'QUEUE'): Explainer =>
  (e, w) => {
    const balance = targetValue(w, '--queue-balance');
    const fanout = targetOption(w, '--queue-cpu-fanout') ? 'chosen by CPU' : 'chosen by a hash of the flow';
    const which = balance
      ? `one of queues ${balance.replace(':', '-')} (${fanout})`
      : `queue ${targetValue(w, '--queue-num') ?? '0'}${name === 'QUEUE' ? ' (QUEUE is NFQUEUE --queue-num 0)' : ''}`;
    const none = targetOption(w, '--queue-bypass')
      ? 'accepts it (--queue-bypass), skipping the rest of this table'
      : 'drops it';
    return `${name}: in the kernel, hands the packet to the userspace program reading ${which}, whose verdict decides its fate; with no program reading, the kernel ${none}; ${notModelled(e, name)}`;
  };

const tee: Explainer = (e, w) => {
  const oif = targetValue(w, '--oif');
  return goesOn(
    e,
    'TEE',
    `sends a copy of the packet to ${targetValue(w, '--gateway') ?? 'a gateway'}${oif ? ` out of ${oif}` : ''} (the copy is not walked)`,
  );
};

const synproxy: Explainer = (e, w) => {
  const opts = [
    targetValue(w, '--mss') && `MSS ${targetValue(w, '--mss')}`,
    targetValue(w, '--wscale') && `window scale ${targetValue(w, '--wscale')}`,
    targetOption(w, '--sack-perm') && 'SACK',
    targetOption(w, '--timestamp') && 'timestamps',
  ].filter((x): x is string => typeof x === 'string');
  return `SYNPROXY: in the kernel, answers the client's TCP SYN itself with a SYN cookie and drops the SYN; the server sees the connection only once the client's ACK proves the cookie${opts.length ? ` (announcing ${list(opts)})` : ''}; ${notModelled(e, 'SYNPROXY')}`;
};

const clusterip: Explainer = (e, w) =>
  `CLUSTERIP: in the kernel, shares this address among ${targetValue(w, '--total-nodes') ?? 'several'} nodes: this node takes only the connections whose hash (${targetValue(w, '--hashmode') ?? 'sourceip'}) falls to node ${targetValue(w, '--local-node') ?? '?'} and drops the others (a deprecated target recent kernels no longer have); ${notModelled(e, 'CLUSTERIP')}`;

// ---- Rewriting bytes the walk does not carry ----

const tcpmss: Explainer = (e, w) => {
  const mss = targetValue(w, '--set-mss');
  // xt_TCPMSS.c: "Never increase MSS, even when setting it".
  const to =
    mss !== undefined
      ? `to ${mss}`
      : `to the route's MTU minus ${e.before.src.includes(':') ? 60 : 40} bytes (--clamp-mss-to-pmtu)`;
  return goesOn(e, 'TCPMSS', `lowers the MSS option of this TCP SYN ${to}, never raising it`, 'MSS option');
};

/** DSCP class names (libxt_dscp_helper.c). */
const DSCP_CLASSES: Record<number, string> = {
  0: 'CS0',
  8: 'CS1',
  10: 'AF11',
  12: 'AF12',
  14: 'AF13',
  16: 'CS2',
  18: 'AF21',
  20: 'AF22',
  22: 'AF23',
  24: 'CS3',
  26: 'AF31',
  28: 'AF32',
  30: 'AF33',
  32: 'CS4',
  34: 'AF41',
  36: 'AF42',
  38: 'AF43',
  40: 'CS5',
  46: 'EF',
  48: 'CS6',
  56: 'CS7',
};

const dscp: Explainer = (e, w) => {
  const n = num(targetValue(w, '--set-dscp'));
  const value =
    n !== null ? `${n}${DSCP_CLASSES[n] ? ` (${DSCP_CLASSES[n]})` : ''}` : (targetValue(w, '--set-dscp-class') ?? '?');
  return goesOn(e, 'DSCP', `sets the DSCP field of the IP header to ${value}`, 'DSCP field');
};

/** libxt_TOS.c's revision-0 names. */
const TOS_NAMES: Record<string, number> = {
  'Minimize-Delay': 0x10,
  'Maximize-Throughput': 0x08,
  'Maximize-Reliability': 0x04,
  'Minimize-Cost': 0x02,
  'Normal-Service': 0,
};

const tos: Explainer = (e, w) => {
  const field = "IP header's TOS field";
  const set = targetValue(w, '--set-tos');
  const and = num(targetValue(w, '--and-tos'));
  const or = num(targetValue(w, '--or-tos'));
  const xor = num(targetValue(w, '--xor-tos'));
  const named = set === undefined ? undefined : TOS_NAMES[set];
  const vm =
    named !== undefined
      ? { value: named, mask: 0x3f }
      : set !== undefined
        ? valueMask(set, 0xff)
        : and !== null
          ? { value: 0, mask: ~and & 0xff }
          : or !== null
            ? { value: or, mask: or }
            : xor !== null
              ? { value: xor, mask: 0 }
              : null;
  const does = vm ? xmarkWords(vm.value, vm.mask, field, 0xff) : `rewrites the ${field}`;
  return goesOn(e, 'TOS', does, 'TOS field');
};

/** TTL (IPv4) and HL (IPv6 hop limit): set, decrease or increase (xt_HL.c). */
const hopLimit = (name: 'TTL' | 'HL'): Explainer => {
  const [field, opt] = name === 'TTL' ? ['TTL', '--ttl'] : ['hop limit', '--hl'];
  return (e, w) => {
    const set = targetValue(w, `${opt}-set`);
    const dec = targetValue(w, `${opt}-dec`);
    const inc = targetValue(w, `${opt}-inc`);
    const does =
      set !== undefined
        ? `sets the ${field} to ${set}`
        : dec !== undefined
          ? `lowers the ${field} by ${dec} (to no less than 0)`
          : inc !== undefined
            ? `raises the ${field} by ${inc} (to at most 255)`
            : `rewrites the ${field}`;
    return goesOn(e, name, does, field);
  };
};

const checksum: Explainer = (e) =>
  goesOn(
    e,
    'CHECKSUM',
    'fills in the checksum the network card was left to compute, for DHCP clients in virtual machines that drop packets without one',
    'checksum',
  );

const classify: Explainer = (e, w) => {
  const cls = targetValue(w, '--set-class') ?? '?';
  return goesOn(
    e,
    'CLASSIFY',
    `sets the packet's priority to ${cls}, so a classful qdisc (HTB, HFSC…) on the outgoing interface queues it in class ${cls}`,
    'priority',
  );
};

const ecn: Explainer = (e, w) =>
  goesOn(
    e,
    'ECN',
    targetOption(w, '--ecn-tcp-remove') ? 'clears the ECN flags (ECE, CWR) of the TCP header' : 'rewrites the ECN bits',
    'ECN bits',
  );

const tcpoptstrip: Explainer = (e, w) =>
  goesOn(
    e,
    'TCPOPTSTRIP',
    `removes the TCP options ${list((targetValue(w, '--strip-options') ?? '?').split(','))} from the TCP header`,
    'TCP options',
  );

// ---- Labels, sets and timers ----

const secmark: Explainer = (e, w) =>
  goesOn(
    e,
    'SECMARK',
    `labels the packet with the SELinux context ${targetValue(w, '--selctx') ?? '?'} (its secmark), which the SELinux policy checks where a socket sends or receives it`,
    'secmark',
  );

const connsecmark: Explainer = (e, w) =>
  goesOn(
    e,
    'CONNSECMARK',
    targetOption(w, '--save')
      ? "copies the packet's security label (secmark) to its connection, for --restore on the connection's later packets"
      : "gives the packet its connection's security label (secmark), if it has none yet",
    'secmark',
  );

const SET_FLAGS: Record<string, string> = { src: 'source', dst: 'destination' };

const set: Explainer = (e, w) => {
  const add = targetOption(w, '--add-set');
  const del = targetOption(w, '--del-set');
  const map = targetOption(w, '--map-set');
  const does: string[] = [];
  const what = (o: TargetOption) => {
    const flags = o.values[1] ?? '';
    return `the packet's ${list(flags.split(',').map((f) => SET_FLAGS[f] ?? f))} (${flags})`;
  };
  if (add) {
    const timeout = targetValue(w, '--timeout');
    const exist = targetOption(w, '--exist') ? ', refreshing the entry when it is already there (--exist)' : '';
    does.push(`adds ${what(add)} to ipset ${add.values[0] ?? '?'}${timeout ? ` for ${timeout} seconds` : ''}${exist}`);
  }
  if (del) does.push(`removes ${what(del)} from ipset ${del.values[0] ?? '?'}`);
  if (map) {
    const copied = [
      targetOption(w, '--map-mark') && 'mark',
      targetOption(w, '--map-prio') && 'priority',
      targetOption(w, '--map-queue') && 'hardware queue',
    ].filter((x): x is string => typeof x === 'string');
    does.push(
      `looks up ${what(map)} in ipset ${map.values[0] ?? '?'} and gives the packet the ${list(copied.length ? copied : ['skbinfo'])} stored with the entry (${markChange(e, 'mark')})`,
    );
  }
  if (does.length === 0) return goesOn(e, 'SET', 'changes an ipset');
  // The walk changes its copy of the sets as the kernel does, except where it had to assume (walk.ts applySet).
  const sets =
    add || del
      ? (e.assumed ?? []).some((a) => a.startsWith('SET ') || a.startsWith('ipset '))
        ? '; the walk cannot make this change: later -m set rules see the set as given'
        : '; later -m set rules in this walk see the change, as in the kernel'
      : '';
  const unseen =
    targetOption(w, '--map-prio') || targetOption(w, '--map-queue')
      ? "; the walk's header has no priority or queue"
      : '';
  // Not goesOn: --map-mark changes the mark, as it should.
  return `SET: ${list(does)}${sets}${unseen}; ${next(e)}`;
};

const idletimer: Explainer = (e, w) => {
  const label = targetValue(w, '--label') ?? '?';
  return goesOn(
    e,
    'IDLETIMER',
    `restarts the idle timer ${label} (${targetValue(w, '--timeout') ?? '?'} s): when no packet restarts it in time, the kernel tells userspace through /sys/class/xt_idletimer/timers/${label}${targetOption(w, '--alarm') ? ', as an alarm that can wake the system' : ''}`,
  );
};

const led: Explainer = (e, w) =>
  goesOn(e, 'LED', `blinks the LED trigger netfilter-${targetValue(w, '--led-trigger-id') ?? '?'}`);

const rateest: Explainer = (e, w) =>
  goesOn(
    e,
    'RATEEST',
    `counts the packet into the rate estimator ${targetValue(w, '--rateest-name') ?? '?'}, which -m rateest reads`,
  );

// ---- Verdicts with words of their own ----

/** --reject-with as iptables-save prints it (libipt_REJECT.c, libip6t_REJECT.c). */
const REJECT_REPLIES: Record<string, string> = {
  'icmp-net-unreachable': 'ICMP network unreachable',
  'icmp-host-unreachable': 'ICMP host unreachable',
  'icmp-port-unreachable': 'ICMP port unreachable',
  'icmp-proto-unreachable': 'ICMP protocol unreachable',
  'icmp-net-prohibited': 'ICMP network prohibited',
  'icmp-host-prohibited': 'ICMP host prohibited',
  'icmp-admin-prohibited': 'ICMP administratively prohibited',
  'icmp6-no-route': 'ICMPv6 no route to destination',
  'icmp6-adm-prohibited': 'ICMPv6 administratively prohibited',
  'icmp6-addr-unreachable': 'ICMPv6 address unreachable',
  'icmp6-port-unreachable': 'ICMPv6 port unreachable',
  'icmp6-policy-fail': 'ICMPv6 failed policy',
  'icmp6-reject-route': 'ICMPv6 reject route',
  'tcp-reset': 'a TCP reset',
};

const reject: Explainer = (e, w, why) => {
  if (e.verdict !== 'DROP') return null;
  const reply =
    targetValue(w, '--reject-with') ??
    (e.before.src.includes(':') ? 'icmp6-port-unreachable' : 'icmp-port-unreachable');
  return `rejects the packet: the client gets ${REJECT_REPLIES[reply] ?? `an ICMP error (${reply})`}${why.comment ? ` (“${why.comment}”)` : ''}`;
};

const EXPLAINERS: Record<string, Explainer> = {
  LOG: log,
  NFLOG: nflog,
  ULOG: ulog,
  TRACE: trace,
  AUDIT: audit,
  NOTRACK: notrack,
  CT: ct,
  MARK: mark,
  CONNMARK: connmark,
  HMARK: hmark,
  DNAT: dnat,
  REDIRECT: redirect,
  SNAT: snat,
  MASQUERADE: masquerade,
  NETMAP: netmap,
  TPROXY: tproxy,
  NFQUEUE: queue('NFQUEUE'),
  QUEUE: queue('QUEUE'),
  TEE: tee,
  SYNPROXY: synproxy,
  CLUSTERIP: clusterip,
  TCPMSS: tcpmss,
  DSCP: dscp,
  TOS: tos,
  TTL: hopLimit('TTL'),
  HL: hopLimit('HL'),
  CHECKSUM: checksum,
  CLASSIFY: classify,
  ECN: ecn,
  TCPOPTSTRIP: tcpoptstrip,
  SECMARK: secmark,
  CONNSECMARK: connsecmark,
  SET: set,
  IDLETIMER: idletimer,
  LED: led,
  RATEEST: rateest,
  REJECT: reject,
};

/** Verdicts and chains explainStep words itself. */
const VERDICTS: ReadonlySet<string> = new Set(['ACCEPT', 'DROP', 'RETURN']);

/**
 * What the rule's target did on step `e`, from the target as written; null when explainStep says it
 * better (ACCEPT, DROP, RETURN, jumps) or the target's options cannot be read.
 */
export function explainTarget(e: TraceEvent, w: TargetWords, why: RuleWhy): string | null {
  if (w.goto || e.verdict.startsWith('JUMP:') || VERDICTS.has(w.name)) return null;
  const explain = EXPLAINERS[w.name];
  if (explain) return explain(e, w, why);
  // Not a target chainwalk knows, and not a chain (a jump's verdict says JUMP).
  return e.verdict === 'CONTINUE'
    ? `${w.name}: a target chainwalk does not know; the walk takes the rule as CONTINUE and goes on to the next rule`
    : null;
}
