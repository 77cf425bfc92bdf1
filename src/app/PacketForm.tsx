import { type ReactNode, useState } from 'react';
import type { Origin, Packet, Protocol } from '../model';
import { hostPort } from '../share';
import { currentSample } from './sample';
import { useAppStore } from './store';

// What to trace: the packet (or a preset from the dump's Services, or one of the sample's
// scenarios) and the node it walks through.

const ORIGINS: { value: Origin; label: string }[] = [
  { value: 'external', label: 'a client outside (uplink)' },
  { value: 'pod', label: 'a pod on this node' },
  { value: 'local', label: 'a process on the node' },
];

const SELECT = 'rounded border border-slate-300 bg-white px-1 py-0.5 dark:border-slate-700 dark:bg-slate-900';

function parseHostPort(text: string): { ip: string; port: number } | null {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text.trim()) ?? /^([0-9.]+):(\d{1,5})$/.exec(text.trim());
  if (!m || Number(m[2]) > 65535) return null;
  return { ip: m[1], port: Number(m[2]) };
}

function samePacket(a: Packet, b: Packet): boolean {
  return (
    a.origin === b.origin &&
    a.proto === b.proto &&
    a.src === b.src &&
    a.sport === b.sport &&
    a.dst === b.dst &&
    a.dport === b.dport
  );
}

export function PacketForm() {
  const packet = useAppStore((s) => s.packet);
  const setPacket = useAppStore((s) => s.setPacket);
  const [src, setSrc] = useState(hostPort(packet.src, packet.sport));
  const [dst, setDst] = useState(hostPort(packet.dst, packet.dport));
  const s = parseHostPort(src);
  const d = parseHostPort(dst);
  const apply = (change: Partial<Packet>) => setPacket({ ...packet, ...change });
  const presets = useAppStore((st) => st.presets);
  const sample = useAppStore(currentSample);
  return (
    <form
      className="flex flex-wrap items-end gap-2 text-xs"
      aria-label="packet"
      onSubmit={(event) => {
        event.preventDefault();
        if (s && d) apply({ src: s.ip, sport: s.port, dst: d.ip, dport: d.port });
      }}
    >
      {sample && (
        <label className="flex min-w-0 basis-full flex-col gap-0.5">
          what the sample node shows
          <select
            className={`${SELECT} w-full`}
            value={sample.scenarios.findIndex((x) => samePacket(x.packet, packet))}
            onChange={(event) => {
              const scenario = sample.scenarios[Number(event.target.value)];
              if (scenario) setPacket(scenario.packet);
            }}
          >
            <option value={-1}>{sample.scenarios.length} scenarios…</option>
            {sample.scenarios.map((x, i) => (
              <option key={x.label} value={i}>
                {x.label}
              </option>
            ))}
          </select>
        </label>
      )}
      {presets.length > 0 && (
        <label className="flex min-w-0 basis-full flex-col gap-0.5">
          preset from this dump&rsquo;s Services
          <select
            className={`${SELECT} w-full`}
            value=""
            onChange={(event) => {
              const preset = presets[Number(event.target.value)];
              if (preset) setPacket(preset.packet);
            }}
          >
            <option value="">{presets.length} packets to try…</option>
            {presets.map((p, i) => (
              <option key={p.label} value={i}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
      )}
      <label className="flex flex-col gap-0.5">
        from
        <select
          className={SELECT}
          value={packet.origin}
          onChange={(event) => apply({ origin: event.target.value as Origin })}
        >
          {ORIGINS.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
      <label className="flex flex-col gap-0.5">
        protocol
        <select
          className={SELECT}
          value={packet.proto}
          onChange={(event) => apply({ proto: event.target.value as Protocol })}
        >
          {['tcp', 'udp', 'sctp'].map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </label>
      {(
        [
          ['source', src, setSrc, s],
          ['destination', dst, setDst, d],
        ] as const
      ).map(([label, value, set, parsed]) => (
        <TextField key={label} label={label} value={value} valid={parsed !== null} width="w-40" onChange={set} />
      ))}
      <button
        type="submit"
        disabled={!s || !d}
        className="rounded bg-sky-600 px-2 py-1 font-medium text-white disabled:opacity-50"
      >
        Trace
      </button>
    </form>
  );
}

/** A labelled monospace text field that shows when its value is not valid. */
function TextField(props: {
  label: ReactNode;
  value: string;
  valid: boolean;
  width: string;
  onChange: (v: string) => void;
}) {
  return (
    <label className="flex flex-col gap-0.5">
      {props.label}
      <input
        className={`${props.width} rounded border bg-white px-1 py-0.5 font-mono dark:bg-slate-900 ${props.valid ? 'border-slate-300 dark:border-slate-700' : 'border-red-500'}`}
        value={props.value}
        aria-invalid={!props.valid}
        onChange={(event) => props.onChange(event.target.value)}
      />
    </label>
  );
}

const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+:[0-9a-fA-F:]*)(\/\d{1,3})?$/;

/** The node the packet walks through: its IPs on the uplink and its pod CIDR. */
export function NodeForm() {
  const context = useAppStore((s) => s.context);
  const setContext = useAppStore((s) => s.setContext);
  const [ips, setIps] = useState((context.nodeIPs ?? ['192.168.0.2']).join(', '));
  const [pods, setPods] = useState(context.podCIDR ?? '10.244.0.0/24');
  const list = ips.split(/[\s,]+/).filter(Boolean);
  const ipsOk = list.length > 0 && list.every((x) => IP.test(x));
  const podsOk = IP.test(pods) && pods.includes('/');
  return (
    <form
      className="flex flex-wrap items-end gap-2 text-xs"
      aria-label="node"
      onSubmit={(event) => {
        event.preventDefault();
        if (ipsOk && podsOk) setContext({ ...context, nodeIPs: list, podCIDR: pods });
      }}
    >
      <TextField
        label={<>node IPs (the first is the uplink&rsquo;s)</>}
        value={ips}
        valid={ipsOk}
        width="w-56"
        onChange={setIps}
      />
      <TextField label={<>this node&rsquo;s pod CIDR</>} value={pods} valid={podsOk} width="w-36" onChange={setPods} />
      <button
        type="submit"
        disabled={!ipsOk || !podsOk}
        className="rounded border border-slate-300 px-2 py-1 font-medium disabled:opacity-50 dark:border-slate-700"
      >
        Set node
      </button>
    </form>
  );
}

/** kube-proxy's options, for Service YAML: example endpoints, the local-traffic detector, masquerade-all. */
export function KubeOptionsForm() {
  const options = useAppStore((s) => s.kubeOptions);
  const setOptions = useAppStore((s) => s.setKubeOptions);
  const [cidr, setCidr] = useState(options.clusterCIDR ?? '10.244.0.0/16');
  const cidrOk = IP.test(cidr) && cidr.includes('/');
  const [nodePorts, setNodePorts] = useState((options.nodePortAddresses ?? []).join(', '));
  const nodePortList = nodePorts.split(/[\s,]+/).filter(Boolean);
  const nodePortsOk = nodePortList.every((x) => IP.test(x) && x.includes('/'));
  return (
    <form
      className="flex flex-wrap items-end gap-2 text-xs"
      aria-label="kube-proxy options"
      onSubmit={(event) => {
        event.preventDefault();
        if (cidrOk && nodePortsOk) setOptions({ ...options, clusterCIDR: cidr, nodePortAddresses: nodePortList });
      }}
    >
      <label className="flex flex-col gap-0.5">
        proxier
        <select
          className={SELECT}
          value={options.mode ?? 'iptables'}
          onChange={(event) => setOptions({ ...options, mode: event.target.value as 'iptables' | 'ipvs' })}
        >
          <option value="iptables">iptables mode</option>
          <option value="ipvs">IPVS mode (rules, ipsets, ipvsadm)</option>
        </select>
      </label>
      {(options.mode ?? 'iptables') === 'iptables' && (
        <label className="flex flex-col gap-0.5">
          release
          <select
            className={SELECT}
            value={options.layout ?? 'current'}
            onChange={(event) =>
              setOptions({ ...options, layout: event.target.value as 'current' | '1.24' | 'legacy' })
            }
          >
            <option value="current">1.25 and later</option>
            <option value="1.24">1.24 (KUBE-EXT, KUBE-MARK-DROP)</option>
            <option value="legacy">1.23 and before (KUBE-XLB)</option>
          </select>
        </label>
      )}
      <label className="flex flex-col gap-0.5">
        example endpoints
        <select
          className={SELECT}
          value={options.exampleEndpoints ?? 0}
          onChange={(event) => setOptions({ ...options, exampleEndpoints: Number(event.target.value) })}
        >
          <option value={0}>none: Services without endpoints reject</option>
          {[1, 2, 3].map((n) => (
            <option key={n} value={n}>
              {n} example pod{n > 1 ? 's' : ''} on this node, for Services without any
            </option>
          ))}
        </select>
      </label>
      <TextField label="cluster CIDR (--cluster-cidr)" value={cidr} valid={cidrOk} width="w-32" onChange={setCidr} />
      <TextField
        label="--nodeport-addresses (CIDRs; empty: all)"
        value={nodePorts}
        valid={nodePortsOk}
        width="w-40"
        onChange={setNodePorts}
      />
      <label className="flex items-center gap-1 pb-1">
        <input
          type="checkbox"
          checked={options.masqueradeAll ?? false}
          onChange={(event) => setOptions({ ...options, masqueradeAll: event.target.checked })}
        />
        --masquerade-all
      </label>
      <button
        type="submit"
        disabled={!cidrOk || !nodePortsOk}
        className="rounded border border-slate-300 px-2 py-1 font-medium disabled:opacity-50 dark:border-slate-700"
      >
        Set kube-proxy
      </button>
    </form>
  );
}
