import { describe, expect, it } from 'vitest';
import { IPVS_SCHED_FLAG } from '../model';
import { ipvsServiceName, parseIpvsadm } from '.';

// Shapes from ipvsadm.c print_service_entry / print_title (ipvsadm 1.31) and the expectations of
// kube-proxy's pkg/proxy/ipvs/proxier_test.go (rr, weight 1, Masq; ClientIP affinity → -p 10800).

const SAVE = `-A -t 10.96.0.10:53 -s rr
-a -t 10.96.0.10:53 -r 10.244.0.2:53 -m -w 1
-a -t 10.96.0.10:53 -r 10.244.1.5:53 -m -w 1
-A -u 10.96.0.10:53 -s rr -p 10800
-a -u 10.96.0.10:53 -r 10.244.0.2:53 -m -w 1
-A --sctp-service 10.96.0.20:9999 -s mh -b mh-port
-A -t [fd00::10]:53 -s rr
-a -t [fd00::10]:53 -r [fd00:10:244::5]:53 -m -w 1
-A -f 5 -s wlc
-a -f 5 -r 10.244.0.7:0 -g -w 3
-A -t 192.168.0.2:30080 -s sh -p 60 -M 255.255.255.0 -b sh-fallback,sh-port
-a -t 192.168.0.2:30080 -r 10.244.0.2:8080 -i -w 0
`;

const LIST = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.96.0.10:53 rr persistent 10800
  -> 10.244.1.5:53                Masq    1      0          0         
  -> 10.244.2.9:53                Masq    2      3          7         
UDP  10.96.0.10:53 sh (sh-fallback,sh-port) persistent 60 mask 255.255.255.0 ops
FWM  5 wlc
  -> 10.244.0.7:0                 Route   3      0          0         
FWM  6 IPv6 rr
TCP  [fd00::10]:53 rr
  -> [fd00:10:244::5]:53          Masq    1      0          0         
`;

describe('ipvsadm-save -n', () => {
  const { ipvs, diagnostics } = parseIpvsadm(SAVE);

  it('reads every virtual service with its scheduler, persistence and flags', () => {
    expect(diagnostics).toEqual([]);
    expect(
      ipvs.services.map((s) => [ipvsServiceName(s), s.scheduler, s.persistence, s.schedFlags, s.realServers.length]),
    ).toEqual([
      ['TCP  10.96.0.10:53', 'rr', null, 0, 2],
      ['UDP  10.96.0.10:53', 'rr', { timeout: 10800, netmask: '255.255.255.255' }, 0, 1],
      ['SCTP 10.96.0.20:9999', 'mh', null, IPVS_SCHED_FLAG.FLAG2, 0],
      ['TCP  [fd00::10]:53', 'rr', null, 0, 1],
      ['FWM  5', 'wlc', null, 0, 1],
      [
        'TCP  192.168.0.2:30080',
        'sh',
        { timeout: 60, netmask: '255.255.255.0' },
        IPVS_SCHED_FLAG.FLAG1 | IPVS_SCHED_FLAG.FLAG2,
        1,
      ],
    ]);
  });

  it('reads real servers: address, port, forwarding method and weight, at their lines', () => {
    const rs = ipvs.services.flatMap((s) => s.realServers);
    expect(rs.map((r) => [r.address, r.port, r.forward, r.weight, r.span.line])).toEqual([
      ['10.244.0.2', 53, 'masq', 1, 2],
      ['10.244.1.5', 53, 'masq', 1, 3],
      ['10.244.0.2', 53, 'masq', 1, 5],
      ['fd00:10:244::5', 53, 'masq', 1, 8],
      ['10.244.0.7', 0, 'route', 3, 10],
      ['10.244.0.2', 8080, 'tunnel', 0, 12],
    ]);
    expect(ipvs.services[3].family).toBe(6);
    expect(ipvs.services[4]).toMatchObject({ protocol: 'fwmark', fwmark: 5, address: '', port: 0 });
  });

  it('a real server without a port takes the service port; -A without -s takes wlc', () => {
    const r = parseIpvsadm('-A -t 10.96.0.1:443\n-a -t 10.96.0.1:443 -r 192.168.0.2 -m -w 1\n');
    expect(r.diagnostics).toEqual([]);
    expect(r.ipvs.services[0].scheduler).toBe('wlc');
    expect(r.ipvs.services[0].realServers[0]).toMatchObject({ address: '192.168.0.2', port: 443 });
  });

  it.each([
    ['-a -t 10.96.0.1:443 -r 10.244.0.2:443 -m -w 1', 'ipvs-undefined-service', 1, 7],
    ['-A -t 10.96.0.1 -s rr', 'ipvs-bad-service', 1, 7],
    ['-A -t kube-dns.example:53 -s rr', 'ipvs-bad-service', 1, 7],
    ['-A -x 1.2.3.4:5', 'ipvs-bad-service', 1, 4],
    ['-A -t 10.96.0.1:443 -s rr\n-A -t 10.96.0.1:443 -s wrr', 'ipvs-duplicate-service', 2, 1],
    ['-A -t 10.96.0.1:443 -s rr\n-a -t 10.96.0.1:443 -r nope -m', 'ipvs-bad-server', 2, 24],
    ['hello world', 'ipvs-bad-line', 1, 1],
  ])('%s → %s at its line and column', (text, code, line, column) => {
    const { diagnostics } = parseIpvsadm(text);
    expect(diagnostics.map((d) => [d.code, d.span.line, d.span.column])).toEqual([[code, line, column]]);
  });
});

describe('ipvsadm -Ln', () => {
  it('reads services, flags, persistence and real servers with their counters', () => {
    const { ipvs, diagnostics } = parseIpvsadm(LIST);
    expect(diagnostics).toEqual([]);
    expect(
      ipvs.services.map((s) => [ipvsServiceName(s), s.scheduler, s.schedFlags, s.persistence, s.onePacket]),
    ).toEqual([
      ['TCP  10.96.0.10:53', 'rr', 0, { timeout: 10800, netmask: '255.255.255.255' }, false],
      [
        'UDP  10.96.0.10:53',
        'sh',
        IPVS_SCHED_FLAG.FLAG1 | IPVS_SCHED_FLAG.FLAG2,
        { timeout: 60, netmask: '255.255.255.0' },
        true,
      ],
      ['FWM  5', 'wlc', 0, null, false],
      ['FWM  6 IPv6', 'rr', 0, null, false],
      ['TCP  [fd00::10]:53', 'rr', 0, null, false],
    ]);
    expect(ipvs.services[0].realServers.map((r) => [r.address, r.weight, r.activeConns, r.inactConns])).toEqual([
      ['10.244.1.5', 1, 0, 0],
      ['10.244.2.9', 2, 3, 7],
    ]);
    expect(ipvs.services[2].realServers[0]).toMatchObject({ forward: 'route', weight: 3 });
  });

  it('--stats and --rate lines carry counts, no scheduler: the services load with a warning', () => {
    const stats = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
UDP  10.96.0.10:53                      12       40       40     2800     6400
  -> 10.244.1.5:53                      12       40       40     2800     6400
Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS
  -> RemoteAddress:Port
TCP  10.96.0.1:443                       0        1        1      120     1.2K
  -> 192.168.0.2:6443                    0        1        1      120     1.2K
`;
    const { ipvs, diagnostics } = parseIpvsadm(stats);
    expect(diagnostics.map((d) => [d.code, d.span.line])).toEqual([
      ['ipvs-no-scheduler', 4],
      ['ipvs-bad-count', 8],
    ]);
    expect(ipvs.services.map((s) => [ipvsServiceName(s), s.scheduler, s.realServers.map((r) => r.weight)])).toEqual([
      ['UDP  10.96.0.10:53', '', [-1]],
      ['TCP  10.96.0.1:443', '', [-1]],
    ]);
  });

  it('a real server line before any service is reported', () => {
    const { diagnostics } = parseIpvsadm('  -> 10.244.1.5:53   Masq 1 0 0\n');
    expect(diagnostics.map((d) => [d.code, d.span.line, d.span.column])).toEqual([['ipvs-orphan-server', 1, 3]]);
  });
});

describe('ipvsadm -Ln with other column sets', () => {
  it.each([
    [
      '--persistent-conn',
      'Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n  -> RemoteAddress:Port\nTCP  10.96.0.10:80 rr persistent 10800\n  -> 10.244.1.5:8080              2         4           1          0         \n',
      [2, 1, 0],
    ],
    [
      '--thresholds',
      'Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n  -> RemoteAddress:Port\nTCP  10.96.0.10:80 rr\n  -> 10.244.1.5:8080              0          0          5          6         \n',
      [-1, 5, 6],
    ],
    [
      '--tun-info',
      'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\nTCP  10.96.0.10:80 rr\n  -> 10.244.1.5:8080              Masq    N/A           3      0          1         \n',
      [3, 0, 1],
    ],
  ])('%s: real servers with weight (or -1) and counters', (_, text, [weight, active, inact]) => {
    const { ipvs, diagnostics } = parseIpvsadm(text);
    expect(diagnostics).toEqual([]);
    expect(ipvs.services[0].scheduler).toBe('rr');
    expect(ipvs.services[0].realServers[0]).toMatchObject({
      address: '10.244.1.5',
      port: 8080,
      weight,
      activeConns: active,
      inactConns: inact,
    });
  });
});
