import { create } from 'zustand';
import type { Graph, PacketPreset } from '../graph';
import type { Diagnostic, NodeContext, Packet, TracePath, TraceResult } from '../model';
import type { InputInfo, KubeInputOptions, RulesetSummary, RuleText } from '../worker';
import { sampleContext, sampleDump, samplePacket } from './sample';

/** What the engine worker last said, as the page shows it. */
export interface EngineView {
  status: 'starting' | 'working' | 'ready' | 'failed';
  summary?: RulesetSummary;
  /** Error diagnostics in the current input. */
  errors: number;
  /** The input is broken and the last good ruleset is still shown. */
  kept: boolean;
  /** The trace of `packet`: its paths' count and the most likely one. */
  trace?: { paths: number; likeliest: Pick<TracePath, 'probability' | 'final'> };
  graph?: { nodes: number; edges: number; groups: number };
  /** kube-proxy's mode as the paste shows it. */
  mode?: 'ipvs' | 'iptables';
  /** How long the worker took per stage for the input on show, in ms. */
  ms?: Partial<Record<'parse' | 'trace' | 'graph' | 'check', number>>;
  message?: string;
}

/**
 * Above this many bytes a dump stays out of the editor and off the main thread: Monaco would block
 * the page for 100–600 ms taking it (shared/notes/ui-research.md §8), so the worker reads it.
 */
export const BIG_DUMP_BYTES = 4 << 20;

/** A dump too big for the editor: the worker reads it from a file or the clipboard; the editor shows a read-only view. */
export interface BigDump {
  /** A dropped file or a clipboard blob; a string only when the browser gave no other way (a paste without clipboard permission). */
  source: Blob | string;
  bytes: number;
  from: 'clipboard' | 'file';
  name?: string;
}

// One store for the page. Components read it through narrow selectors, e.g. useAppStore((s) => s.dumpText).
// Parsing and simulation happen in the worker (src/worker/); the store only holds what the page renders.
export interface AppState {
  /** The text in the editor: an iptables-save dump, or Kubernetes YAML. */
  dumpText: string;
  setDumpText: (dumpText: string) => void;
  /** What the worker took the text for (and, for YAML, the dump it generated). */
  input: InputInfo;
  setInput: (input: InputInfo) => void;
  /** kube-proxy's options for YAML input. */
  kubeOptions: KubeInputOptions;
  setKubeOptions: (kubeOptions: KubeInputOptions) => void;
  /** The dump in use when it is too big for the editor (then `dumpText` is not it). */
  bigDump: BigDump | null;
  loadBigDump: (bigDump: BigDump) => void;
  packet: Packet;
  engine: EngineView;
  setEngine: (update: Partial<EngineView>) => void;
  /** The chain graph of the last good dump, with the trace's route emphasised. */
  graph: Graph | null;
  setGraph: (graph: Graph) => void;
  setPacket: (packet: Packet) => void;
  /** Every path of the packet's walk. */
  result: TraceResult | null;
  /** The parser's diagnostics for the text in the editor. */
  diagnostics: Diagnostic[];
  setDiagnostics: (diagnostics: Diagnostic[]) => void;
  /** Packets worth tracing, from the dump's Services. */
  presets: PacketPreset[];
  setPresets: (presets: PacketPreset[]) => void;
  /** The text and line of each rule the trace names. */
  ruleTexts: Record<number, RuleText>;
  setResult: (result: TraceResult, ruleTexts: Record<number, RuleText>) => void;
  /** The path shown (and emphasised on the canvas). */
  pathIndex: number;
  setPathIndex: (pathIndex: number) => void;
  /** The step of the chosen path being shown (index into its events). */
  step: number;
  setStep: (step: number) => void;
  playing: boolean;
  setPlaying: (playing: boolean) => void;
  /** Milliseconds per hop when playing. */
  speed: number;
  setSpeed: (speed: number) => void;
  /** The node the packet walks through (overrides of the engine's defaults). */
  context: Partial<NodeContext>;
  setContext: (context: Partial<NodeContext>) => void;
  /** Group node ids the user unfolded on the canvas. */
  expanded: string[];
  toggleGroup: (id: string) => void;
  /** The node a search jumped to (a chain is revealed even if its family is folded), or null. */
  focus: string | null;
  setFocus: (focus: string | null) => void;
  /** A message for the whole page (a bad link, a copied link…), or null. */
  notice: string | null;
  setNotice: (notice: string | null) => void;
  /** Replaces the whole trace at once (opening a permalink). */
  restore: (s: {
    text: string;
    kube?: KubeInputOptions;
    context: Partial<NodeContext>;
    packet: Packet;
    path: number;
    step?: number;
  }) => void;
}

/** No group unfolded: one array, so resetting it does not look like a change (and redraw the graph). */
const NO_GROUPS: string[] = [];

export const useAppStore = create<AppState>()((set) => ({
  dumpText: sampleDump,
  setDumpText: (dumpText) => set({ dumpText, bigDump: null, expanded: NO_GROUPS, focus: null }),
  input: { kind: 'iptables-save' },
  setInput: (input) => set({ input }),
  kubeOptions: { exampleEndpoints: 2, clusterCIDR: '10.244.0.0/16', masqueradeAll: false },
  setKubeOptions: (kubeOptions) => set({ kubeOptions }),
  bigDump: null,
  // The last trace was of another dump: it goes (nothing asks the new one's engine about it).
  loadBigDump: (bigDump) =>
    set({ bigDump, result: null, ruleTexts: {}, pathIndex: 0, step: 0, expanded: NO_GROUPS, focus: null }),
  expanded: NO_GROUPS,
  toggleGroup: (id) =>
    set((state) => ({
      expanded: state.expanded.includes(id) ? state.expanded.filter((g) => g !== id) : [...state.expanded, id],
    })),
  focus: null,
  setFocus: (focus) => set({ focus }),
  packet: samplePacket,
  engine: { status: 'starting', errors: 0, kept: false },
  setEngine: (update) => set((state) => ({ engine: { ...state.engine, ...update } })),
  graph: null,
  setGraph: (graph) => set({ graph }),
  setPacket: (packet) => set({ packet, pathIndex: 0, step: 0 }),
  result: null,
  ruleTexts: {},
  presets: [],
  diagnostics: [],
  setDiagnostics: (diagnostics) => set({ diagnostics }),
  setPresets: (presets) => set({ presets }),
  setResult: (result, ruleTexts) =>
    set((state) => ({
      ruleTexts,
      result,
      pathIndex: Math.min(state.pathIndex, Math.max(0, result.paths.length - 1)),
    })),
  pathIndex: 0,
  setPathIndex: (pathIndex) => set({ pathIndex, step: 0 }),
  step: 0,
  setStep: (step) => set({ step }),
  playing: false,
  setPlaying: (playing) => set({ playing }),
  speed: 700,
  setSpeed: (speed) => set({ speed }),
  context: sampleContext,
  setContext: (context) => set({ context, pathIndex: 0, step: 0 }),
  notice: null,
  setNotice: (notice) => set({ notice }),
  restore: ({ text, kube, context, packet, path, step }) =>
    set((state) => ({
      dumpText: text,
      kubeOptions: kube ? { ...state.kubeOptions, ...kube } : state.kubeOptions,
      bigDump: null,
      expanded: NO_GROUPS,
      focus: null,
      context,
      packet,
      pathIndex: path,
      step: step ?? 0,
      playing: false,
    })),
}));
