import {
  type Diagnostic,
  type Family,
  IPVS_SCHED_FLAG,
  type IpvsForward,
  type IpvsProtocol,
  type IpvsRealServer,
  type IpvsState,
  type IpvsVirtualService,
} from '../model';
import { formatIp, hostPort, parseIp } from './address';

// `ipvsadm-save -n` (= `ipvsadm -S -n`) and `ipvsadm -Ln` [--stats | --rate | --thresholds |
// --persistent-conn | --tun-info] text → the node's virtual services and their real servers.
// Formats: ipvsadm.c print_title / print_service_entry (ipvsadm 1.31, notes/ipvs.md §5):
//   save:  -A -t 10.96.0.10:53 -s rr -p 10800        -a -t 10.96.0.10:53 -r 10.244.0.2:53 -m -w 1
//   list:  TCP  10.96.0.10:53 rr persistent 10800     "  -> 10.244.0.2:53   Masq  1  0  0"
// Both may sit in one text (the sniffer hands each its own lines, numbered as in the paste).

export interface IpvsParseResult {
  ipvs: IpvsState;
  diagnostics: Diagnostic[];
}

/** The column set `ipvsadm -L` prints, chosen by its title line (print_title). */
type ListColumns = 'plain' | 'stats' | 'rate' | 'thresholds' | 'persistent-conn' | 'tun-info';

const PROTOCOL_OPTIONS: Record<string, IpvsProtocol> = {
  '-t': 'tcp',
  '--tcp-service': 'tcp',
  '-u': 'udp',
  '--udp-service': 'udp',
  '--sctp-service': 'sctp',
  '-f': 'fwmark',
  '--fwmark-service': 'fwmark',
};

const LIST_PROTOCOLS: Record<string, IpvsProtocol> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp', FWM: 'fwmark' };

const FORWARD_OPTIONS: Record<string, IpvsForward> = {
  '-m': 'masq',
  '--masquerading': 'masq',
  '-g': 'route',
  '--gatewaying': 'route',
  '-i': 'tunnel',
  '--ipip': 'tunnel',
};

const FORWARD_NAMES: Record<string, IpvsForward> = { Masq: 'masq', Route: 'route', Tunnel: 'tunnel', Local: 'local' };

/** ipvsadm's scheduler flag names (print_sched_flags, parse_sched_flags). */
const SCHED_FLAG_NAMES: Record<string, number> = {
  'sh-fallback': IPVS_SCHED_FLAG.FLAG1,
  'mh-fallback': IPVS_SCHED_FLAG.FLAG1,
  'flag-1': IPVS_SCHED_FLAG.FLAG1,
  'sh-port': IPVS_SCHED_FLAG.FLAG2,
  'mh-port': IPVS_SCHED_FLAG.FLAG2,
  'flag-2': IPVS_SCHED_FLAG.FLAG2,
  'flag-3': IPVS_SCHED_FLAG.FLAG3,
};

/** A service's identity: `tcp 10.96.0.10:53`, `fwmark 5/4`. */
export function ipvsServiceKey(
  s: Pick<IpvsVirtualService, 'protocol' | 'address' | 'port' | 'fwmark' | 'family'>,
): string {
  return s.protocol === 'fwmark' ? `fwmark ${s.fwmark}/${s.family}` : `${s.protocol} ${hostPort(s.address, s.port)}`;
}

/** The service as `ipvsadm -Ln` names it: `TCP  10.96.0.10:80`, `FWM  5`. */
export function ipvsServiceName(s: IpvsVirtualService): string {
  if (s.protocol === 'fwmark') return `FWM  ${s.fwmark}${s.family === 6 ? ' IPv6' : ''}`;
  return `${s.protocol.toUpperCase().padEnd(4)} ${hostPort(s.address, s.port)}`;
}

/** `10.96.0.10:53`, `[fd00::10]:53`, or (allowPortless) `10.244.0.2` / `fd00::5` → address and port (-1: none). */
function readAddrPort(text: string, allowPortless: boolean): { address: string; family: Family; port: number } | null {
  let host = text;
  let port = -1;
  const colons = text.split(':').length - 1;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return null;
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest.startsWith(':')) port = toPort(rest.slice(1));
    else if (rest !== '') return null;
  } else if (colons === 1) {
    host = text.slice(0, text.indexOf(':'));
    port = toPort(text.slice(text.indexOf(':') + 1));
  }
  if (port === -2 || (port === -1 && !allowPortless)) return null;
  const ip = parseIp(host);
  if (!ip) return null;
  return { address: formatIp(ip), family: ip.family, port };
}

/** A decimal port 0–65535, or -2. */
function toPort(text: string): number {
  if (!/^\d{1,5}$/.test(text)) return -2;
  const n = Number(text);
  return n <= 65535 ? n : -2;
}

/** ipvsadm's large numbers: `12`, `1234K`, `12M` (print_largenum); not needed for the walk, only checked. */
function isCount(text: string): boolean {
  return /^\d+[KMGT]?$/.test(text);
}

interface Line {
  /** 1-based line number in the whole text. */
  number: number;
  /** Offset of the line's first non-blank character, as a 1-based column. */
  column: number;
  text: string;
  words: string[];
  /** 1-based column of each word. */
  columns: number[];
}

function splitWords(raw: string): { words: string[]; columns: number[] } {
  const words: string[] = [];
  const columns: number[] = [];
  const re = /\S+/g;
  for (let m = re.exec(raw); m; m = re.exec(raw)) {
    words.push(m[0]);
    columns.push(m.index + 1);
  }
  return { words, columns };
}

export function parseIpvsadm(text: string): IpvsParseResult {
  const services: IpvsVirtualService[] = [];
  const byKey = new Map<string, IpvsVirtualService>();
  const diagnostics: Diagnostic[] = [];
  let columns: ListColumns = 'plain';
  /** The service the last list-format service line opened (its `  -> ` lines follow). */
  let listService: IpvsVirtualService | null = null;
  let reportedStatsOnly = false;

  const report = (severity: Diagnostic['severity'], code: string, message: string, line: Line, word = -1) => {
    const column = word >= 0 ? line.columns[word] : line.column;
    const length = word >= 0 ? line.words[word].length : line.text.trim().length;
    diagnostics.push({ severity, code, message, span: { line: line.number, column, length } });
  };

  const addService = (svc: IpvsVirtualService, line: Line): void => {
    const key = ipvsServiceKey(svc);
    if (byKey.has(key)) {
      report('error', 'ipvs-duplicate-service', `virtual service ${key} is listed twice; the first is kept`, line);
      return;
    }
    byKey.set(key, svc);
    services.push(svc);
  };

  let start = 0;
  let number = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    number++;
    const raw = text.slice(start, end).replace(/\r$/, '');
    start = end + 1;
    const { words, columns: cols } = splitWords(raw);
    if (words.length === 0 || words[0].startsWith('#')) {
      if (end === text.length) break;
      continue;
    }
    const line: Line = { number, column: cols[0], text: raw, words, columns: cols };
    const first = words[0];
    if (first === '-A' || first === '--add-service') {
      listService = null;
      const svc = readSaveService(line, 1, report);
      if (svc) {
        readServiceOptions(svc, line, report);
        addService(svc, line);
      }
    } else if (first === '-a' || first === '--add-server') {
      listService = null;
      readSaveServer(line, byKey, report);
    } else if (first === 'IP' && words[1] === 'Virtual' && words[2] === 'Server') {
      listService = null;
    } else if (first === 'Prot') {
      columns = raw.includes('Conns')
        ? 'stats'
        : raw.includes('CPS')
          ? 'rate'
          : raw.includes('Uthreshold')
            ? 'thresholds'
            : raw.includes('PersistConn')
              ? 'persistent-conn'
              : 'plain';
      listService = null;
    } else if (first === '->') {
      if (words[1] === 'RemoteAddress:Port') {
        if (raw.includes('TunnelInfo')) columns = 'tun-info';
        continue;
      }
      if (!listService) {
        report('error', 'ipvs-orphan-server', 'a real server line with no virtual service line above it', line);
        continue;
      }
      const rs = readListServer(line, columns, listService, report);
      if (rs) listService.realServers.push(rs);
    } else if (LIST_PROTOCOLS[first] !== undefined) {
      listService = readListService(line, columns, report);
      if (listService) {
        if (listService.scheduler === '' && !reportedStatsOnly) {
          reportedStatsOnly = true;
          report(
            'warning',
            'ipvs-no-scheduler',
            `ipvsadm -L --${columns} prints no scheduler, weights or forwarding methods: every real server is taken as possible; paste \`ipvsadm-save -n\` (or plain \`ipvsadm -Ln\`) for the schedule`,
            line,
          );
        }
        addService(listService, line);
      }
    } else {
      listService = null;
      report(
        'error',
        'ipvs-bad-line',
        'not an ipvsadm line: expected `-A -t|-u|-f …` / `-a … -r …` (ipvsadm-save -n) or `TCP  VIP:PORT sched` / `  -> RIP:PORT …` (ipvsadm -Ln)',
        line,
      );
    }
    if (end === text.length) break;
  }
  return { ipvs: { services }, diagnostics };
}

type Report = (severity: Diagnostic['severity'], code: string, message: string, line: Line, word?: number) => void;

/** Reads `-t VIP:PORT` / `-f MARK [-6]` at `words[at]`; returns the service shell (scheduler '' until read). */
function readSaveService(line: Line, at: number, report: Report): IpvsVirtualService | null {
  const w = line.words;
  const protocol = PROTOCOL_OPTIONS[w[at]];
  if (protocol === undefined || w[at + 1] === undefined) {
    report(
      'error',
      'ipvs-bad-service',
      'expected -t|-u|--sctp-service VIP:PORT or -f MARK after the command',
      line,
      at,
    );
    return null;
  }
  const span = { line: line.number, column: line.column, length: line.text.trim().length };
  if (protocol === 'fwmark') {
    const mark = /^\d+$/.test(w[at + 1]) ? Number(w[at + 1]) : Number.NaN;
    if (!Number.isInteger(mark) || mark <= 0 || mark > 0xffffffff) {
      report('error', 'ipvs-bad-service', `'${w[at + 1]}' is not a firewall mark (1–4294967295)`, line, at + 1);
      return null;
    }
    return shell(protocol, w.includes('-6') || w.includes('--ipv6') ? 6 : 4, '', 0, mark, span);
  }
  const ap = readAddrPort(w[at + 1], false);
  if (!ap || ap.port < 0) {
    report(
      'error',
      'ipvs-bad-service',
      `'${w[at + 1]}' is not VIP:PORT (numeric, as ipvsadm -n prints it; IPv6 as [addr]:port)`,
      line,
      at + 1,
    );
    return null;
  }
  return shell(protocol, ap.family, ap.address, ap.port, 0, span);
}

function shell(
  protocol: IpvsProtocol,
  family: Family,
  address: string,
  port: number,
  fwmark: number,
  span: IpvsVirtualService['span'],
): IpvsVirtualService {
  return {
    family,
    protocol,
    address,
    port,
    fwmark,
    scheduler: '',
    schedFlags: 0,
    persistence: null,
    onePacket: false,
    realServers: [],
    span,
  };
}

function defaultNetmask(family: Family): string {
  return family === 4 ? '255.255.255.255' : '128';
}

function readSchedFlags(text: string, line: Line, word: number, report: Report): number {
  let flags = 0;
  for (const name of text.split(',')) {
    const bit = SCHED_FLAG_NAMES[name];
    if (bit === undefined)
      report('warning', 'ipvs-unknown-flag', `unknown scheduler flag '${name}' ignored`, line, word);
    else flags |= bit;
  }
  return flags;
}

/** The options after `-A <svc>`: -s, -p [T], -M, --pe, -o, -b. */
function readServiceOptions(svc: IpvsVirtualService, line: Line, report: Report): void {
  const w = line.words;
  let i = 3;
  if (svc.protocol === 'fwmark' && (w[i] === '-6' || w[i] === '--ipv6')) i++;
  for (; i < w.length; i++) {
    const opt = w[i];
    if (opt === '-s' || opt === '--scheduler') svc.scheduler = w[++i] ?? '';
    else if (opt === '-p' || opt === '--persistent') {
      // ipvsadm: -p takes an optional timeout (default 300 s).
      const t = /^\d+$/.test(w[i + 1] ?? '') ? Number(w[++i]) : 300;
      svc.persistence = { timeout: t, netmask: svc.persistence?.netmask ?? defaultNetmask(svc.family) };
    } else if (opt === '-M' || opt === '--netmask') {
      const mask = w[++i] ?? '';
      svc.persistence = { timeout: svc.persistence?.timeout ?? 300, netmask: mask };
    } else if (opt === '--pe') svc.pe = w[++i];
    else if (opt === '-o' || opt === '--ops') svc.onePacket = true;
    else if (opt === '-b' || opt === '--sched-flags') {
      svc.schedFlags = readSchedFlags(w[i + 1] ?? '', line, i + 1, report);
      i++;
    } else report('warning', 'ipvs-unknown-option', `option ${opt} is not read; ignored`, line, i);
  }
  if (svc.scheduler === '') svc.scheduler = 'wlc'; // ipvsadm's default scheduler (DEF_SCHED)
}

/** `-a <svc> -r RIP[:PORT] -m|-g|-i -w W [-x U] [-y L] [--tun-type …]`. */
function readSaveServer(line: Line, byKey: Map<string, IpvsVirtualService>, report: Report): void {
  const probe = readSaveService(line, 1, report);
  if (!probe) return;
  const w = line.words;
  let i = probe.protocol === 'fwmark' && (w[3] === '-6' || w[3] === '--ipv6') ? 4 : 3;
  const svc = byKey.get(ipvsServiceKey(probe));
  if (!svc) {
    report(
      'error',
      'ipvs-undefined-service',
      `real server for ${ipvsServiceKey(probe)}, which no -A line defines (above it)`,
      line,
      2,
    );
    return;
  }
  let address = '';
  let port = -1;
  let forward: IpvsForward = 'route'; // ipvsadm's default forwarding method is -g
  let weight = 1;
  for (; i < w.length; i++) {
    const opt = w[i];
    if (opt === '-r' || opt === '--real-server') {
      const ap = readAddrPort(w[i + 1] ?? '', true);
      if (!ap) {
        report(
          'error',
          'ipvs-bad-server',
          `'${w[i + 1] ?? ''}' is not RIP[:PORT]`,
          line,
          Math.min(i + 1, w.length - 1),
        );
        return;
      }
      address = ap.address;
      port = ap.port;
      i++;
    } else if (FORWARD_OPTIONS[opt] !== undefined) forward = FORWARD_OPTIONS[opt];
    else if (opt === '-w' || opt === '--weight') {
      weight = /^\d+$/.test(w[i + 1] ?? '') ? Number(w[++i]) : Number.NaN;
      if (!Number.isFinite(weight)) {
        report('error', 'ipvs-bad-server', `weight must be a whole number`, line, i);
        return;
      }
    } else if (opt === '-x' || opt === '-y' || opt === '--u-threshold' || opt === '--l-threshold') i++;
    else if (opt.startsWith('--tun-')) {
      if (opt !== '--tun-nocsum' && opt !== '--tun-csum' && opt !== '--tun-remcsum') i++;
    } else report('warning', 'ipvs-unknown-option', `option ${opt} is not read; ignored`, line, i);
  }
  if (address === '') {
    report('error', 'ipvs-bad-server', 'a real server line needs -r RIP[:PORT]', line);
    return;
  }
  // ipvsadm: a real server without a port takes the service's port.
  svc.realServers.push(server(address, port < 0 ? svc.port : port, forward, weight, line));
}

function server(address: string, port: number, forward: IpvsForward, weight: number, line: Line): IpvsRealServer {
  return {
    address,
    port,
    forward,
    weight,
    span: { line: line.number, column: line.column, length: line.text.trim().length },
  };
}

/** `TCP  10.96.0.10:53 rr (sh-port) persistent 10800 mask 255.255.255.0 pe sip ops`, `FWM  5 IPv6 wlc`. */
function readListService(line: Line, columns: ListColumns, report: Report): IpvsVirtualService | null {
  const w = line.words;
  const protocol = LIST_PROTOCOLS[w[0]];
  const span = { line: line.number, column: line.column, length: line.text.trim().length };
  let svc: IpvsVirtualService;
  let i = 2;
  if (protocol === 'fwmark') {
    if (!/^\d+$/.test(w[1] ?? '')) {
      report('error', 'ipvs-bad-service', `'${w[1] ?? ''}' is not a firewall mark`, line, Math.min(1, w.length - 1));
      return null;
    }
    const v6 = w[2] === 'IPv6';
    if (v6) i++;
    svc = shell(protocol, v6 ? 6 : 4, '', 0, Number(w[1]), span);
  } else {
    const ap = readAddrPort(w[1] ?? '', false);
    if (!ap) {
      report(
        'error',
        'ipvs-bad-service',
        `'${w[1] ?? ''}' is not VIP:PORT: paste \`ipvsadm -Ln\` (numeric) rather than \`ipvsadm -L\``,
        line,
        Math.min(1, w.length - 1),
      );
      return null;
    }
    svc = shell(protocol, ap.family, ap.address, ap.port, 0, span);
  }
  if (columns === 'stats' || columns === 'rate') {
    // --stats / --rate service lines carry numbers, no scheduler (print_service_entry).
    for (let k = i; k < w.length; k++)
      if (!isCount(w[k])) report('warning', 'ipvs-bad-count', `'${w[k]}' is not a count`, line, k);
    return svc;
  }
  svc.scheduler = w[i++] ?? '';
  for (; i < w.length; i++) {
    const word = w[i];
    if (word.startsWith('(') && word.endsWith(')')) svc.schedFlags = readSchedFlags(word.slice(1, -1), line, i, report);
    else if (word === 'persistent') {
      const t = Number(w[++i]);
      svc.persistence = { timeout: Number.isFinite(t) ? t : 300, netmask: defaultNetmask(svc.family) };
    } else if (word === 'mask' && svc.persistence) svc.persistence.netmask = w[++i] ?? svc.persistence.netmask;
    else if (word === 'pe') svc.pe = w[++i];
    else if (word === 'ops') svc.onePacket = true;
    else report('warning', 'ipvs-unknown-option', `'${word}' is not read; ignored`, line, i);
  }
  return svc;
}

/** `  -> 10.244.1.5:53                Masq    1      0          0` (or the --stats / --rate columns). */
function readListServer(
  line: Line,
  columns: ListColumns,
  svc: IpvsVirtualService,
  report: Report,
): IpvsRealServer | null {
  const w = line.words;
  const ap = readAddrPort(w[1] ?? '', false);
  if (!ap) {
    report('error', 'ipvs-bad-server', `'${w[1] ?? ''}' is not RIP:PORT`, line, Math.min(1, w.length - 1));
    return null;
  }
  const num = (k: number) => (/^\d+$/.test(w[k] ?? '') ? Number(w[k]) : -1);
  switch (columns) {
    case 'plain':
    case 'tun-info': {
      const forward = FORWARD_NAMES[w[2] ?? ''];
      const at = columns === 'tun-info' ? 4 : 3;
      const weight = num(at);
      if (forward === undefined || weight < 0) {
        report('error', 'ipvs-bad-server', 'expected `-> RIP:PORT Forward Weight ActiveConn InActConn`', line);
        return null;
      }
      const rs = server(ap.address, ap.port, forward, weight, line);
      rs.activeConns = Math.max(0, num(at + 1));
      rs.inactConns = Math.max(0, num(at + 2));
      return rs;
    }
    case 'persistent-conn': {
      const rs = server(ap.address, ap.port, 'masq', num(2), line);
      rs.activeConns = Math.max(0, num(4));
      rs.inactConns = Math.max(0, num(5));
      return rs;
    }
    case 'thresholds': {
      const rs = server(ap.address, ap.port, 'masq', -1, line);
      rs.activeConns = Math.max(0, num(4));
      rs.inactConns = Math.max(0, num(5));
      return rs;
    }
    default:
      void svc;
      // --stats / --rate: no forwarding method or weight is printed; kube-proxy writes Masq, weight 1.
      return server(ap.address, ap.port, 'masq', -1, line);
  }
}

const SAVE_OPTION: Record<Exclude<IpvsVirtualService['protocol'], 'fwmark'>, string> = {
  tcp: '-t',
  udp: '-u',
  sctp: '--sctp-service',
};

const FORWARD_SWITCH: Record<IpvsForward, string> = { masq: '-m', route: '-g', local: '-g', tunnel: '-i' };

/** Scheduler flag names as ipvsadm prints them for this scheduler (print_sched_flags). */
function schedFlagNames(svc: IpvsVirtualService): string[] {
  const names =
    svc.scheduler === 'sh' || svc.scheduler === 'mh'
      ? [`${svc.scheduler}-fallback`, `${svc.scheduler}-port`, 'flag-3']
      : ['flag-1', 'flag-2', 'flag-3'];
  return [IPVS_SCHED_FLAG.FLAG1, IPVS_SCHED_FLAG.FLAG2, IPVS_SCHED_FLAG.FLAG3].flatMap((bit, i) =>
    svc.schedFlags & bit ? [names[i]] : [],
  );
}

/** Services as `ipvsadm-save -n` prints them (ipvsadm.c print_service_entry, FMT_RULE). */
export function formatIpvsadmSave(services: IpvsVirtualService[]): string {
  const out: string[] = [];
  for (const svc of services) {
    const name =
      svc.protocol === 'fwmark'
        ? `-f ${svc.fwmark}${svc.family === 6 ? ' -6' : ''}`
        : `${SAVE_OPTION[svc.protocol]} ${hostPort(svc.address, svc.port)}`;
    let line = `-A ${name} -s ${svc.scheduler || 'wlc'}`;
    if (svc.persistence) {
      line += ` -p ${svc.persistence.timeout}`;
      if (svc.persistence.netmask !== defaultNetmask(svc.family)) line += ` -M ${svc.persistence.netmask}`;
    }
    if (svc.pe) line += ` --pe ${svc.pe}`;
    if (svc.onePacket) line += ' -o';
    const flags = schedFlagNames(svc);
    if (flags.length > 0) line += ` -b ${flags.join(',')}`;
    out.push(line);
    for (const rs of svc.realServers)
      out.push(
        `-a ${name} -r ${hostPort(rs.address, rs.port)} ${FORWARD_SWITCH[rs.forward]} -w ${rs.weight < 0 ? 1 : rs.weight}`,
      );
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
