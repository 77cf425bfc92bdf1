// The kernel fixtures, as iptables-restore input. build.ts loads each into a
// scratch namespace and writes what iptables-save prints back to
// fixtures/kernel/<name>.rules, so the fixtures are real saved text.

import { hash16, type KubeProxyOptions, kubeProxyRestore, type ServicePort } from './kube-proxy';

const ep = (ip: string, port: number, local = false) => ({ ip, port, local });

/** A kube-proxy + kubelet + flannel node: ClusterIP, NodePort, affinity, iTP Local, no endpoints, hairpin. */
export const kubeClusterServices: ServicePort[] = [
  {
    namespace: 'default',
    name: 'kubernetes',
    portName: 'https',
    proto: 'tcp',
    clusterIP: '10.96.0.1',
    port: 443,
    endpoints: [ep('192.168.0.10', 6443)],
  },
  {
    namespace: 'kube-system',
    name: 'kube-dns',
    portName: 'dns',
    proto: 'udp',
    clusterIP: '10.96.0.10',
    port: 53,
    endpoints: [ep('10.244.0.6', 53, true), ep('10.244.1.3', 53)],
  },
  {
    namespace: 'kube-system',
    name: 'kube-dns',
    portName: 'dns-tcp',
    proto: 'tcp',
    clusterIP: '10.96.0.10',
    port: 53,
    endpoints: [ep('10.244.0.6', 53, true), ep('10.244.1.3', 53)],
  },
  {
    namespace: 'kube-system',
    name: 'kube-dns',
    portName: 'metrics',
    proto: 'tcp',
    clusterIP: '10.96.0.10',
    port: 9153,
    endpoints: [ep('10.244.0.6', 9153, true), ep('10.244.1.3', 9153)],
  },
  {
    namespace: 'default',
    name: 'web',
    portName: 'http',
    proto: 'tcp',
    clusterIP: '10.96.10.20',
    port: 80,
    nodePort: 30080,
    endpoints: [ep('10.244.0.5', 8080, true), ep('10.244.1.7', 8080), ep('10.244.2.9', 8080)],
  },
  {
    namespace: 'default',
    name: 'api',
    portName: 'grpc',
    proto: 'tcp',
    clusterIP: '10.96.10.30',
    port: 9000,
    affinitySeconds: 10800,
    endpoints: [ep('10.244.1.8', 9000), ep('10.244.2.4', 9000)],
  },
  {
    namespace: 'default',
    name: 'empty',
    portName: 'http',
    proto: 'tcp',
    clusterIP: '10.96.10.40',
    port: 80,
    nodePort: 30040,
    endpoints: [],
  },
  {
    namespace: 'default',
    name: 'local-only',
    portName: '',
    proto: 'tcp',
    clusterIP: '10.96.10.50',
    port: 80,
    internalTrafficPolicy: 'Local',
    endpoints: [ep('10.244.0.6', 80, true), ep('10.244.1.9', 80)],
  },
  {
    namespace: 'default',
    name: 'local-none',
    portName: 'http',
    proto: 'tcp',
    clusterIP: '10.96.10.60',
    port: 80,
    internalTrafficPolicy: 'Local',
    endpoints: [ep('10.244.1.11', 80)],
  },
  {
    namespace: 'logging',
    name: 'syslog',
    portName: 'syslog',
    proto: 'udp',
    clusterIP: '10.96.10.80',
    port: 514,
    nodePort: 30514,
    endpoints: [ep('10.244.1.10', 514)],
  },
  {
    namespace: 'monitoring',
    name: 'node-exporter',
    portName: 'metrics',
    proto: 'tcp',
    clusterIP: '10.96.10.90',
    port: 9100,
    nodePort: 31000,
    endpoints: [ep('10.244.0.6', 9100, true)],
  },
];

const flannel: KubeProxyOptions['extra'] = {
  filter: {
    chains: ['FLANNEL-FWD'],
    rules: [
      '-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD',
      '-A FLANNEL-FWD -s 10.244.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT',
      '-A FLANNEL-FWD -d 10.244.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT',
    ],
  },
  nat: {
    chains: ['FLANNEL-POSTRTG'],
    rules: [
      '-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG',
      '-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "flanneld masq" -j RETURN',
      '-A FLANNEL-POSTRTG -s 10.244.0.0/24 -d 10.244.0.0/16 -m comment --comment "flanneld masq" -j RETURN',
      '-A FLANNEL-POSTRTG -s 10.244.0.0/16 -d 10.244.0.0/24 -m comment --comment "flanneld masq" -j RETURN',
      '-A FLANNEL-POSTRTG ! -s 10.244.0.0/16 -d 10.244.0.0/24 -m comment --comment "flanneld masq" -j RETURN',
      '-A FLANNEL-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully',
      '-A FLANNEL-POSTRTG ! -s 10.244.0.0/16 -d 10.244.0.0/16 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully',
    ],
  },
};

/** LoadBalancer (with and without source ranges), externalIPs, eTP Local; FORWARD policy DROP. */
export const kubeLbServices: ServicePort[] = [
  {
    namespace: 'default',
    name: 'shop',
    portName: 'http',
    proto: 'tcp',
    clusterIP: '10.96.20.10',
    port: 80,
    nodePort: 31080,
    loadBalancerIPs: ['203.0.113.10'],
    endpoints: [ep('10.244.0.6', 8080, true), ep('10.244.1.12', 8080)],
  },
  {
    namespace: 'default',
    name: 'admin',
    portName: 'https',
    proto: 'tcp',
    clusterIP: '10.96.20.20',
    port: 443,
    nodePort: 31443,
    loadBalancerIPs: ['203.0.113.20'],
    sourceRanges: ['198.51.100.0/24', '203.0.113.128/25'],
    endpoints: [ep('10.244.2.20', 8443)],
  },
  {
    namespace: 'default',
    name: 'edge',
    portName: 'http',
    proto: 'tcp',
    clusterIP: '10.96.20.30',
    port: 80,
    nodePort: 31180,
    loadBalancerIPs: ['203.0.113.30'],
    externalTrafficPolicy: 'Local',
    healthCheckNodePort: 32000,
    endpoints: [ep('10.244.0.7', 80, true), ep('10.244.1.30', 80)],
  },
  {
    namespace: 'default',
    name: 'edge-remote',
    portName: 'http',
    proto: 'tcp',
    clusterIP: '10.96.20.40',
    port: 80,
    nodePort: 31190,
    loadBalancerIPs: ['203.0.113.40'],
    externalTrafficPolicy: 'Local',
    healthCheckNodePort: 32001,
    endpoints: [ep('10.244.1.40', 80)],
  },
  {
    namespace: 'default',
    name: 'ext',
    portName: 'http',
    proto: 'tcp',
    clusterIP: '10.96.20.50',
    port: 80,
    externalIPs: ['198.51.100.50'],
    endpoints: [ep('10.244.1.50', 80)],
  },
  {
    namespace: 'default',
    name: 'ext-local',
    portName: 'http',
    proto: 'tcp',
    clusterIP: '10.96.20.60',
    port: 80,
    externalIPs: ['198.51.100.60'],
    externalTrafficPolicy: 'Local',
    endpoints: [ep('10.244.0.7', 80, true)],
  },
  {
    namespace: 'default',
    name: 'ext-empty',
    portName: 'http',
    proto: 'tcp',
    clusterIP: '10.96.20.70',
    port: 80,
    externalIPs: ['198.51.100.70'],
    endpoints: [],
  },
  {
    namespace: 'default',
    name: 'lb-empty',
    portName: 'http',
    proto: 'tcp',
    clusterIP: '10.96.20.80',
    port: 80,
    nodePort: 31280,
    loadBalancerIPs: ['203.0.113.80'],
    endpoints: [],
  },
  {
    namespace: 'games',
    name: 'quake',
    portName: '',
    proto: 'udp',
    clusterIP: '10.96.20.90',
    port: 27960,
    nodePort: 32760,
    loadBalancerIPs: ['203.0.113.90'],
    endpoints: [ep('10.244.0.6', 27960, true), ep('10.244.1.90', 27960), ep('10.244.2.90', 27960)],
  },
];

const cniForward: KubeProxyOptions['extra'] = {
  filter: { chains: [], rules: ['-A FORWARD -s 10.244.0.0/16 -m comment --comment "cni pod egress" -j ACCEPT'] },
};

/** The same kind of node in IPv6 (ip6tables): ClusterIP, NodePort, LoadBalancer with source ranges, eTP Local, externalIPs, affinity. */
export const kubeV6Services: ServicePort[] = [
  {
    namespace: 'default',
    name: 'kubernetes',
    portName: 'https',
    proto: 'tcp',
    clusterIP: 'fd00:96::1',
    port: 443,
    endpoints: [ep('fd00::10', 6443)],
  },
  {
    namespace: 'kube-system',
    name: 'kube-dns',
    portName: 'dns',
    proto: 'udp',
    clusterIP: 'fd00:96::a',
    port: 53,
    endpoints: [ep('fd00:10:244::6', 53, true), ep('fd00:10:244:1::3', 53)],
  },
  {
    namespace: 'default',
    name: 'web',
    portName: 'http',
    proto: 'tcp',
    clusterIP: 'fd00:96::14',
    port: 80,
    nodePort: 30080,
    endpoints: [ep('fd00:10:244::5', 8080, true), ep('fd00:10:244:1::7', 8080), ep('fd00:10:244:2::9', 8080)],
  },
  {
    namespace: 'default',
    name: 'api',
    portName: 'grpc',
    proto: 'tcp',
    clusterIP: 'fd00:96::1e',
    port: 9000,
    affinitySeconds: 10800,
    endpoints: [ep('fd00:10:244:1::8', 9000), ep('fd00:10:244:2::4', 9000)],
  },
  {
    namespace: 'default',
    name: 'empty',
    portName: 'http',
    proto: 'tcp',
    clusterIP: 'fd00:96::28',
    port: 80,
    nodePort: 30040,
    endpoints: [],
  },
  {
    namespace: 'default',
    name: 'shop',
    portName: 'http',
    proto: 'tcp',
    clusterIP: 'fd00:96::32',
    port: 80,
    nodePort: 31080,
    loadBalancerIPs: ['2001:db8:1::10'],
    endpoints: [ep('fd00:10:244::6', 8080, true), ep('fd00:10:244:1::12', 8080)],
  },
  {
    namespace: 'default',
    name: 'admin',
    portName: 'https',
    proto: 'tcp',
    clusterIP: 'fd00:96::3c',
    port: 443,
    nodePort: 31443,
    loadBalancerIPs: ['2001:db8:1::20'],
    sourceRanges: ['2001:db8:3::/64'],
    endpoints: [ep('fd00:10:244:2::20', 8443)],
  },
  {
    namespace: 'default',
    name: 'edge',
    portName: 'http',
    proto: 'tcp',
    clusterIP: 'fd00:96::46',
    port: 80,
    nodePort: 31180,
    loadBalancerIPs: ['2001:db8:1::30'],
    externalTrafficPolicy: 'Local',
    healthCheckNodePort: 32000,
    endpoints: [ep('fd00:10:244::6', 80, true), ep('fd00:10:244:1::30', 80)],
  },
  {
    namespace: 'default',
    name: 'ext',
    portName: 'http',
    proto: 'tcp',
    clusterIP: 'fd00:96::50',
    port: 80,
    externalIPs: ['2001:db8:2::50'],
    endpoints: [ep('fd00:10:244:1::50', 80)],
  },
];

const flannel6: KubeProxyOptions['extra'] = {
  nat: {
    chains: ['FLANNEL-POSTRTG'],
    rules: [
      '-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG',
      '-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "flanneld masq" -j RETURN',
      '-A FLANNEL-POSTRTG -s fd00:10:244::/64 -d fd00:10:244::/56 -m comment --comment "flanneld masq" -j RETURN',
      '-A FLANNEL-POSTRTG -s fd00:10:244::/56 -d fd00:10:244::/64 -m comment --comment "flanneld masq" -j RETURN',
      '-A FLANNEL-POSTRTG -s fd00:10:244::/56 ! -d ff00::/8 -m comment --comment "flanneld masq" -j MASQUERADE',
    ],
  },
};

const DOCKER = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE
-A POSTROUTING -s 172.17.0.3/32 -d 172.17.0.3/32 -p udp -m udp --dport 5353 -j MASQUERADE
-A DOCKER -i docker0 -j RETURN
-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
-A DOCKER ! -i docker0 -p udp -m udp --dport 5353 -j DNAT --to-destination 172.17.0.3:5353
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER -d 172.17.0.3/32 ! -i docker0 -o docker0 -p udp -m udp --dport 5353 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -s 203.0.113.66/32 -j DROP
-A DOCKER-USER -i eth0 -p tcp -m tcp --dport 80 -m conntrack --ctorigdstport 8080 -j LOG --log-prefix "docker-user: "
-A DOCKER-USER -j RETURN
COMMIT
`;

const HOST_FIREWALL = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -i eth0 -p udp -m udp --dport 53 -j NOTRACK
-A PREROUTING -p tcp -m tcp --dport 2121 -j CT --helper ftp
-A OUTPUT -o lo -p udp -m udp --dport 53 -j NOTRACK
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:MARK-TRUSTED - [0:0]
-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff
-A PREROUTING -s 198.51.100.0/24 -j MARK-TRUSTED
-A PREROUTING -m mark --mark 0x1/0xf -j RETURN
-A PREROUTING -i cni0 -j MARK --set-xmark 0x20/0xf0
-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
-A OUTPUT -p udp -m udp --dport 123 -j MARK --set-xmark 0x100/0x100
-A POSTROUTING -o eth0 -p udp -m udp --dport 68 -j CHECKSUM --checksum-fill
-A MARK-TRUSTED -j MARK --set-xmark 0x1/0xf
-A MARK-TRUSTED -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:PF-TLS - [0:0]
:PORT-FORWARD - [0:0]
-A PREROUTING -i eth0 -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080
-A PREROUTING -d 192.168.0.2/32 -j PORT-FORWARD
-A PREROUTING -d 192.168.0.2/32 -p tcp -m tcp --dport 8443 -j DNAT --to-destination 10.244.1.31:443
-A OUTPUT -d 10.10.10.10/32 -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080
-A OUTPUT -d 192.168.0.2/32 -j PORT-FORWARD
-A POSTROUTING -m mark --mark 0x1/0xf -o eth0 -j SNAT --to-source 192.168.0.2
-A POSTROUTING -s 10.244.0.0/24 ! -d 10.244.0.0/16 -j MASQUERADE
-A POSTROUTING -o cni0 -m conntrack --ctstate DNAT -j MASQUERADE
-A PF-TLS -s 198.51.100.0/24 -p tcp -j DNAT --to-destination 10.244.2.30:443
-A PF-TLS -j RETURN
-A PORT-FORWARD -p tcp -m multiport --dports 2222,2223 -j DNAT --to-destination 10.244.0.5:22
-A PORT-FORWARD -p udp -m udp --dport 5353 -j DNAT --to-destination 10.244.1.20:53
-A PORT-FORWARD -p tcp -m tcp --dport 8443 -g PF-TLS
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:FWD-PODS - [0:0]
:IN-SSH - [0:0]
:IN-TRUSTED - [0:0]
:LOG-DROP - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p udp -m udp --dport 53 -m conntrack --ctstate UNTRACKED -j ACCEPT
-A INPUT -m connmark --mark 0x1/0xf -j IN-TRUSTED
-A INPUT -p tcp -m tcp --dport 22 -j IN-SSH
-A INPUT -p tcp -m multiport --dports 80,443,8080 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 25 -j REJECT --reject-with tcp-reset
-A INPUT -p udp -m udp --dport 69 -j REJECT --reject-with icmp-port-unreachable
-A INPUT -p tcp -m tcp --dport 9000:9100 -m conntrack --ctstate NEW -j ACCEPT
-A INPUT -p tcp -m tcp --dport 2121 -j ACCEPT
-A INPUT -j LOG-DROP
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i cni0 -j FWD-PODS
-A FORWARD -d 10.244.0.5/32 -p tcp -m tcp --dport 22 -j ACCEPT
-A FORWARD -m conntrack --ctstate DNAT -m mark --mark 0x1/0xf -j ACCEPT
-A FORWARD -j LOG --log-prefix "fwd-drop: "
-A OUTPUT -o lo -j ACCEPT
-A OUTPUT -p tcp -m tcp --dport 23 -j DROP
-A OUTPUT -m mark --mark 0x100/0x100 -j ACCEPT
-A OUTPUT -p udp -m udp --dport 514 -j REJECT
-A FWD-PODS -d 10.0.0.0/8 -j REJECT --reject-with icmp-net-prohibited
-A FWD-PODS -o eth0 -j ACCEPT
-A IN-SSH -s 203.0.113.0/24 -j RETURN
-A IN-SSH -s 203.0.113.0/24 -j RETURN
-A IN-SSH -j ACCEPT
-A IN-TRUSTED -p tcp -j ACCEPT
-A IN-TRUSTED
-A IN-TRUSTED -p udp -m udp --dport 161 -j ACCEPT
-A LOG-DROP -j LOG --log-prefix "fw-drop: " --log-level 6
-A LOG-DROP -j DROP
COMMIT
`;

/** Netfilter corner cases: security table, nat INPUT SNAT, goto/return, nth/random statistic, owner, marks, limit-iface-in. */
const EDGES = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 4789 -j CT --notrack
-A PREROUTING -p tcp -m tcp --dport 3700 -j ACCEPT
-A OUTPUT -p tcp -m tcp --dport 7001 -j NOTRACK
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:EMPTY - [0:0]
-A PREROUTING -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -m conntrack --ctstate NEW -j DROP
-A PREROUTING -m pkttype --pkt-type unicast -j MARK --set-xmark 0x1/0x1
-A PREROUTING -m pkttype --pkt-type broadcast -j MARK --set-xmark 0x1000/0x1000
-A PREROUTING -p tcp -m tcp --dport 3701 -j EMPTY
-A INPUT -m connmark --mark 0x10/0x10 -j LOG --log-prefix "ct-marked: "
-A FORWARD -i cni+ -o eth+ -j CONNMARK --set-xmark 0x10/0x10
-A FORWARD -i eth+ -o cni+ -j CONNMARK --set-xmark 0x20/0x20
-A OUTPUT -m owner --uid-owner 0 -j MARK --set-xmark 0x2/0x2
-A OUTPUT -m owner --uid-owner 1000 -j MARK --set-xmark 0x4/0x4
-A OUTPUT -m mark --mark 0x100/0x100 -j MARK --set-xmark 0x200/0x200
-A POSTROUTING -o eth+ -j MARK --set-xmark 0x8/0x8
-A POSTROUTING ! -o eth+ -m mark --mark 0x2/0x2 -j MARK --set-xmark 0x40/0x40
COMMIT
*security
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp --dport 444 -j DROP
-A INPUT -p tcp -m tcp --dport 443 -j LOG --log-prefix "sec-in: "
-A FORWARD -j RETURN
-A FORWARD -j DROP
-A OUTPUT -p udp -m udp --dport 9999 -j DROP
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:PRE-A - [0:0]
:PRE-B - [0:0]
:PRE-C - [0:0]
-A PREROUTING -p tcp -m tcp --dport 2020 -j DNAT --to-destination 127.0.0.1:2020
-A PREROUTING -p tcp -m iprange --src-range 198.51.100.10-198.51.100.20 -m tcp --dport 2021 -j DNAT --to-destination 10.244.2.21:80
-A PREROUTING -p udp -m udp --dport 6000 -m statistic --mode nth --every 2 --packet 0 -j DNAT --to-destination 10.244.1.60:6000
-A PREROUTING -p udp -m udp --dport 6000 -j DNAT --to-destination 10.244.1.61:6000
-A PREROUTING -p udp -m udp --dport 6001 -m statistic --mode random --probability 0.25 -j DNAT --to-destination 10.244.1.62:6001
-A PREROUTING -p tcp -m tcp --sport 30000:30099 -j RETURN
-A PREROUTING -p tcp -m multiport --sports 31000,31001 -j DNAT --to-destination 10.244.1.63:80
-A PREROUTING -d 192.168.0.2/32 -p tcp -m multiport ! --dports 1:1999,2020:2100,2500,2600,3000:65535 -j DNAT --to-destination 10.244.1.50
-A PREROUTING -i cni0 -p tcp -m tcp --dport 2600 -j DNAT --to-destination 10.244.0.6:80
-A PREROUTING -j PRE-A
-A PREROUTING -p tcp -m tcp --dport 3702 -j DNAT --to-destination :8080
-A PREROUTING -p udp -m udp --dport 6002 -m statistic --mode random ! --probability 0.5 -j DNAT --to-destination 10.244.1.64:6002
-A INPUT -s 198.51.100.7/32 -p tcp -m tcp --dport 2022 -j SNAT --to-source 10.99.0.1
-A OUTPUT -p tcp -m tcp --dport 7001 -j DNAT --to-destination 10.244.1.70:7001
-A OUTPUT -o lo -p tcp -m tcp --dport 7002 -j DNAT --to-destination 192.168.0.2:7003
-A OUTPUT -d 10.96.0.0/12 -p tcp -j DNAT --to-destination 10.244.0.5:8080
-A POSTROUTING -o lo -p tcp -m tcp --dport 7003 -j MASQUERADE
-A POSTROUTING -s 10.244.0.0/24 -d 10.244.0.0/24 -j MASQUERADE
-A POSTROUTING -s 127.0.0.0/8 ! -o lo -j MASQUERADE
-A POSTROUTING -o eth0 -p udp -m mark --mark 0x2/0x2 -m udp --dport 7777 -j SNAT --to-source 192.168.0.2
-A POSTROUTING -o eth0 -p tcp -m tcp --dport 3703 -j MASQUERADE --to-ports 40000
-A POSTROUTING -o eth0 -p tcp -m tcp --dport 3704 -j SNAT --to-source 192.168.0.2:40001
-A POSTROUTING -o lo -p tcp -m tcp --dport 3706 -j MASQUERADE --random-fully
-A POSTROUTING -o lo -p tcp -m tcp --dport 3707 -j MASQUERADE --random
-A POSTROUTING -o lo -p tcp -m tcp --dport 3708 -j MASQUERADE --to-ports 1024-2048 --random-fully
-A POSTROUTING -o lo -p tcp -m tcp --dport 3709 -j MASQUERADE --to-ports 1024-2048
-A POSTROUTING -o lo -p tcp -m tcp --dport 3710 -j SNAT --to-source 192.168.0.2 --random-fully
-A PRE-A -p tcp -m tcp --dport 2500 -j PRE-B
-A PRE-A -p tcp -m tcp --dport 2500 -j DNAT --to-destination 10.244.1.25:2500
-A PRE-B -g PRE-C
-A PRE-C -s 198.51.100.7/32 -j RETURN
-A PRE-C -j DNAT --to-destination 10.244.2.25
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:IN-LOCAL - [0:0]
:J1 - [0:0]
:J2 - [0:0]
:J3 - [0:0]
-A INPUT -m conntrack --ctstatus CONFIRMED -j LOG --log-prefix "confirmed: "
-A INPUT -m conntrack --ctdir REPLY -j DROP
-A INPUT -m conntrack --ctstate UNTRACKED -j LOG --log-prefix "untracked: "
-A INPUT -p tcp -m conntrack --ctstate NEW --ctdir ORIGINAL -m tcp --dport 3705 -j ACCEPT
-A INPUT -m addrtype --dst-type LOCAL --limit-iface-in -j IN-LOCAL
-A INPUT -m conntrack --ctstate DNAT --ctorigdstport 2020 -j ACCEPT
-A INPUT -p udp -m udp --dport 5000 -m state --state NEW -j ACCEPT
-A INPUT -p tcp -m tcp --dport 3100 -j J1
-A INPUT -p tcp -m tcp --dport 3100 -j REJECT --reject-with tcp-reset
-A INPUT -p tcp -m multiport --dports 3706:3710 -m conntrack --ctstate SNAT -j LOG --log-prefix "snat: "
-A FORWARD -i cni0 ! -o cni0 -j ACCEPT
-A FORWARD -m conntrack --ctstate DNAT --ctorigdst 192.168.0.2 -j ACCEPT
-A FORWARD -p udp -m udp --dport 6001 -j ACCEPT
-A OUTPUT -p tcp -m owner --uid-owner 0 -m tcp --dport 7010 -j REJECT --reject-with tcp-reset
-A OUTPUT -p tcp -m owner ! --uid-owner 0 -m tcp --dport 7011 -j DROP
-A OUTPUT -m mark --mark 0x200/0x200 -j ACCEPT
-A IN-LOCAL -p tcp -m tcp --dport 3200 -j DROP
-A IN-LOCAL -j RETURN
-A J1 -j J2
-A J1 -j ACCEPT
-A J2 -g J3
-A J2 -j DROP
-A J3 -s 198.51.100.7/32 -j DROP
-A J3 -j RETURN
COMMIT
`;

/**
 * The older kube-proxy layout (1.2x): masquerade marks in KUBE-SERVICES and
 * KUBE-NODEPORTS, KUBE-XLB for eTP=Local, KUBE-FW ending in KUBE-MARK-DROP
 * (dropped by kubelet's KUBE-FIREWALL), 5-decimal probabilities and a
 * one-rule KUBE-POSTROUTING (layout notes §5).
 */
function legacyKube(): string {
  const h = (x: string) => hash16(x);
  const web = 'default/old-web:http';
  const lb = 'default/old-lb:http';
  const nl = 'default/old-nolocal:http';
  const SVC_WEB = `KUBE-SVC-${h(`${web}tcp`)}`;
  const SEP_WEB_A = `KUBE-SEP-${h(`${web}tcp10.244.0.6:8080`)}`;
  const SEP_WEB_B = `KUBE-SEP-${h(`${web}tcp10.244.1.60:8080`)}`;
  const SVC_LB = `KUBE-SVC-${h(`${lb}tcp`)}`;
  const XLB_LB = `KUBE-XLB-${h(`${lb}tcp`)}`;
  const FW_LB = `KUBE-FW-${h(`${lb}tcp`)}`;
  const SEP_LB_L = `KUBE-SEP-${h(`${lb}tcp10.244.0.7:80`)}`;
  const SEP_LB_R = `KUBE-SEP-${h(`${lb}tcp10.244.2.70:80`)}`;
  const SVC_NL = `KUBE-SVC-${h(`${nl}tcp`)}`;
  const XLB_NL = `KUBE-XLB-${h(`${nl}tcp`)}`;
  const SEP_NL = `KUBE-SEP-${h(`${nl}tcp10.244.1.80:80`)}`;
  const cm = (c: string) => `-m comment --comment "${c}"`;
  return `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-MARK-DROP - [0:0]
:${SVC_WEB} - [0:0]
:${SEP_WEB_A} - [0:0]
:${SEP_WEB_B} - [0:0]
:${SVC_LB} - [0:0]
:${XLB_LB} - [0:0]
:${FW_LB} - [0:0]
:${SEP_LB_L} - [0:0]
:${SEP_LB_R} - [0:0]
:${SVC_NL} - [0:0]
:${XLB_NL} - [0:0]
:${SEP_NL} - [0:0]
-A PREROUTING ${cm('kubernetes service portals')} -j KUBE-SERVICES
-A OUTPUT ${cm('kubernetes service portals')} -j KUBE-SERVICES
-A POSTROUTING ${cm('kubernetes postrouting rules')} -j KUBE-POSTROUTING
-A KUBE-POSTROUTING ${cm('kubernetes service traffic requiring SNAT')} -m mark --mark 0x4000/0x4000 -j MASQUERADE
-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-SERVICES ! -s 10.244.0.0/16 -d 10.96.30.10/32 -p tcp ${cm(`${web} cluster IP`)} -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SERVICES -d 10.96.30.10/32 -p tcp ${cm(`${web} cluster IP`)} -m tcp --dport 80 -j ${SVC_WEB}
-A KUBE-NODEPORTS -p tcp ${cm(web)} -m tcp --dport 30100 -j KUBE-MARK-MASQ
-A KUBE-NODEPORTS -p tcp ${cm(web)} -m tcp --dport 30100 -j ${SVC_WEB}
-A ${SVC_WEB} ${cm(web)} -m statistic --mode random --probability 0.50000 -j ${SEP_WEB_A}
-A ${SVC_WEB} ${cm(web)} -j ${SEP_WEB_B}
-A ${SEP_WEB_A} -s 10.244.0.6/32 ${cm(web)} -j KUBE-MARK-MASQ
-A ${SEP_WEB_A} -p tcp ${cm(web)} -m tcp -j DNAT --to-destination 10.244.0.6:8080
-A ${SEP_WEB_B} -s 10.244.1.60/32 ${cm(web)} -j KUBE-MARK-MASQ
-A ${SEP_WEB_B} -p tcp ${cm(web)} -m tcp -j DNAT --to-destination 10.244.1.60:8080
-A KUBE-SERVICES ! -s 10.244.0.0/16 -d 10.96.30.20/32 -p tcp ${cm(`${lb} cluster IP`)} -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SERVICES -d 10.96.30.20/32 -p tcp ${cm(`${lb} cluster IP`)} -m tcp --dport 80 -j ${SVC_LB}
-A KUBE-SERVICES -d 203.0.113.50/32 -p tcp ${cm(`${lb} loadbalancer IP`)} -m tcp --dport 80 -j ${FW_LB}
-A ${FW_LB} ${cm(`${lb} loadbalancer IP`)} -s 198.51.100.0/24 -j ${XLB_LB}
-A ${FW_LB} ${cm(`${lb} loadbalancer IP`)} -j KUBE-MARK-DROP
-A KUBE-NODEPORTS -s 127.0.0.0/8 -p tcp ${cm(lb)} -m tcp --dport 30200 -j KUBE-MARK-MASQ
-A KUBE-NODEPORTS -p tcp ${cm(lb)} -m tcp --dport 30200 -j ${XLB_LB}
-A ${SVC_LB} ${cm(lb)} -m statistic --mode random --probability 0.50000 -j ${SEP_LB_L}
-A ${SVC_LB} ${cm(lb)} -j ${SEP_LB_R}
-A ${XLB_LB} ${cm('Redirect pods trying to reach external loadbalancer VIP to clusterIP')} -s 10.244.0.0/16 -j ${SVC_LB}
-A ${XLB_LB} ${cm(`masquerade LOCAL traffic for ${lb} LB IP`)} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A ${XLB_LB} ${cm(`route LOCAL traffic for ${lb} LB IP to service chain`)} -m addrtype --src-type LOCAL -j ${SVC_LB}
-A ${XLB_LB} ${cm(`Balancing rule 0 for ${lb}`)} -j ${SEP_LB_L}
-A ${SEP_LB_L} -s 10.244.0.7/32 ${cm(lb)} -j KUBE-MARK-MASQ
-A ${SEP_LB_L} -p tcp ${cm(lb)} -m tcp -j DNAT --to-destination 10.244.0.7:80
-A ${SEP_LB_R} -s 10.244.2.70/32 ${cm(lb)} -j KUBE-MARK-MASQ
-A ${SEP_LB_R} -p tcp ${cm(lb)} -m tcp -j DNAT --to-destination 10.244.2.70:80
-A KUBE-SERVICES ! -s 10.244.0.0/16 -d 10.96.30.30/32 -p tcp ${cm(`${nl} cluster IP`)} -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SERVICES -d 10.96.30.30/32 -p tcp ${cm(`${nl} cluster IP`)} -m tcp --dport 80 -j ${SVC_NL}
-A KUBE-NODEPORTS -s 127.0.0.0/8 -p tcp ${cm(nl)} -m tcp --dport 30300 -j KUBE-MARK-MASQ
-A KUBE-NODEPORTS -p tcp ${cm(nl)} -m tcp --dport 30300 -j ${XLB_NL}
-A ${SVC_NL} ${cm(nl)} -j ${SEP_NL}
-A ${XLB_NL} ${cm('Redirect pods trying to reach external loadbalancer VIP to clusterIP')} -s 10.244.0.0/16 -j ${SVC_NL}
-A ${XLB_NL} ${cm(`masquerade LOCAL traffic for ${nl} LB IP`)} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A ${XLB_NL} ${cm(`route LOCAL traffic for ${nl} LB IP to service chain`)} -m addrtype --src-type LOCAL -j ${SVC_NL}
-A ${XLB_NL} ${cm(`${nl} has no local endpoints`)} -j KUBE-MARK-DROP
-A ${SEP_NL} -s 10.244.1.80/32 ${cm(nl)} -j KUBE-MARK-MASQ
-A ${SEP_NL} -p tcp ${cm(nl)} -m tcp -j DNAT --to-destination 10.244.1.80:80
-A KUBE-SERVICES ${cm('kubernetes service nodeports; NOTE: this must be the last rule in this chain')} -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-SERVICES - [0:0]
-A INPUT -m conntrack --ctstate NEW ${cm('kubernetes service portals')} -j KUBE-SERVICES
-A INPUT -m conntrack --ctstate NEW ${cm('kubernetes externally-visible service portals')} -j KUBE-EXTERNAL-SERVICES
-A INPUT -j KUBE-FIREWALL
-A FORWARD ${cm('kubernetes forwarding rules')} -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW ${cm('kubernetes service portals')} -j KUBE-SERVICES
-A FORWARD -s 10.244.0.0/16 -j ACCEPT
-A FORWARD -d 10.244.0.0/16 -j ACCEPT
-A OUTPUT -m conntrack --ctstate NEW ${cm('kubernetes service portals')} -j KUBE-SERVICES
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL ${cm('kubernetes firewall for dropping marked packets')} -m mark --mark 0x8000/0x8000 -j DROP
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 ${cm('block incoming localnet connections')} -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD ${cm('kubernetes forwarding rules')} -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -s 10.244.0.0/16 ${cm('kubernetes forwarding conntrack pod source rule')} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-FORWARD -d 10.244.0.0/16 ${cm('kubernetes forwarding conntrack pod destination rule')} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
`;
}

export const fixtureSources: Record<string, () => string> = {
  'kube-cluster': () =>
    kubeProxyRestore(kubeClusterServices, { clusterCIDR: '10.244.0.0/16', randomFully: true, extra: flannel }),
  'kube-lb': () =>
    kubeProxyRestore(kubeLbServices, { clusterCIDR: '10.244.0.0/16', forwardPolicy: 'DROP', extra: cniForward }),
  docker: () => DOCKER,
  'host-firewall': () => HOST_FIREWALL,
  'kube-v6': () => kubeProxyRestore(kubeV6Services, { clusterCIDR: 'fd00:10:244::/56', family: 6, extra: flannel6 }),
  'netfilter-edges': () => EDGES,
  'kube-legacy': legacyKube,
};

/** Fixtures restored with ip6tables-restore. */
export const ipv6Fixtures = new Set(['kube-v6']);
