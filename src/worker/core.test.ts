import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Packet } from '../model';
import { createEngineClient, type EngineWorker, StaleRequestError } from './client';
import { createEngineLoop, type EngineState, handle, initialState, nextRequest } from './core';
import type { EngineRequest, EngineResponse, Unnumbered } from './protocol';

const dump = readFileSync(join(import.meta.dirname, '../../fixtures/kernel/kube-cluster.rules'), 'utf8');
const context = { nodeIPs: ['192.168.0.2'], podCIDR: '10.244.0.0/24' };
const podToApi: Packet = {
  origin: 'pod',
  proto: 'tcp',
  src: '10.244.0.5',
  sport: 40000,
  dst: '10.96.10.30',
  dport: 9000,
};
const broken = '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j\nCOMMIT\n';

/** Runs requests through handle in order, returning the last state and every response. */
function run(requests: EngineRequest[], state: EngineState = initialState) {
  const responses: EngineResponse[] = [];
  for (const request of requests) {
    const handled = handle(state, request);
    state = handled.state;
    responses.push(handled.response);
  }
  return { state, responses };
}

describe('handle', () => {
  it('parses a dump and says what it holds', () => {
    const { responses } = run([{ id: 1, kind: 'parse', text: dump }]);
    expect(responses[0]).toMatchObject({
      id: 1,
      kind: 'parse',
      summary: { tables: 3, families: [4] },
      errors: 0,
      kept: false,
      revision: 1,
    });
    const summary = responses[0].kind === 'parse' ? responses[0].summary : null;
    expect(summary?.rules).toBeGreaterThan(100);
    expect(summary?.chains).toBeGreaterThan(40);
  });

  it('a mixed ipvs-mode node paste loads, and its sets and IPVS table feed the trace', () => {
    const node = readFileSync(join(import.meta.dirname, '../../fixtures/ipvs/node.dump'), 'utf8');
    const packet: Packet = {
      origin: 'pod',
      proto: 'tcp',
      src: '10.244.0.9',
      sport: 40000,
      dst: '10.96.0.10',
      dport: 80,
    };
    const { responses } = run([
      { id: 1, kind: 'parse', text: node },
      { id: 2, kind: 'trace', packet, context },
    ]);
    expect(responses[0]).toMatchObject({ kind: 'parse', errors: 0, summary: { tables: 2, families: [4] } });
    const trace = responses[1].kind === 'trace' ? responses[1].result : null;
    expect(trace?.paths.map((p) => [p.probability, p.final.dst, p.ipvs?.map((e) => e.action)])).toEqual([
      [0.5, '10.244.0.5', ['schedule', 'forward']],
      [0.5, '10.244.1.7', ['schedule', 'forward']],
    ]);
  });

  it('keeps the last good ruleset while the input is broken', () => {
    const { state, responses } = run([
      { id: 1, kind: 'parse', text: dump },
      { id: 2, kind: 'parse', text: broken },
    ]);
    const second = responses[1];
    expect(second).toMatchObject({ kind: 'parse', kept: true, revision: 1 });
    expect(second.kind === 'parse' && second.errors).toBeGreaterThan(0);
    expect(second.kind === 'parse' && second.diagnostics[0].span.line).toBe(3);
    expect(state.ruleset?.text).toBe(dump);
  });

  it('takes a broken input when there is nothing better', () => {
    const { state, responses } = run([{ id: 1, kind: 'parse', text: broken }]);
    expect(responses[0]).toMatchObject({ kept: false, revision: 1 });
    expect(state.ruleset?.text).toBe(broken);
  });

  it('traces a packet through the parsed dump', () => {
    const { responses } = run([
      { id: 1, kind: 'parse', text: dump },
      { id: 2, kind: 'trace', packet: podToApi, context },
    ]);
    const traced = responses[1];
    if (traced.kind !== 'trace') throw new Error(traced.kind);
    expect(traced.result.paths).toHaveLength(2);
    expect(traced.result.paths.map((p) => p.final.dst).sort()).toEqual(['10.244.1.8', '10.244.2.4']);
    // Every rule an event names comes with its line and text, for the step view.
    const ids = traced.result.paths.flatMap((p) => p.events.flatMap((e) => (e.ruleId === null ? [] : [e.ruleId])));
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      const rule = traced.rules[id];
      expect(rule.text).toMatch(/^-A /);
      expect(dump.split('\n')[rule.line - 1]).toContain(rule.text);
    }
  });

  it('builds the graph with the chosen path emphasised', () => {
    const { responses } = run([
      { id: 1, kind: 'parse', text: dump },
      { id: 2, kind: 'trace', packet: podToApi, context },
      { id: 3, kind: 'graph', path: 1, options: { layout: false } },
    ]);
    const built = responses[2];
    if (built.kind !== 'graph') throw new Error(built.kind);
    expect(built.path).toBe(1);
    expect(built.graph.nodes.some((n) => n.onPath && n.label.startsWith('KUBE-SEP-'))).toBe(true);
  });

  it('builds the graph without a path before any trace, and forgets the trace on a new dump', () => {
    const { responses } = run([
      { id: 1, kind: 'parse', text: dump },
      { id: 2, kind: 'trace', packet: podToApi, context },
      { id: 3, kind: 'parse', text: dump },
      { id: 4, kind: 'graph', options: { layout: false } },
    ]);
    expect(responses[3]).toMatchObject({ kind: 'graph', path: null, revision: 2 });
  });

  // [behaviour, requests, the error message]
  const failures: [string, EngineRequest[], RegExp][] = [
    ['a trace before any parse', [{ id: 1, kind: 'trace', packet: podToApi }], /no dump has been parsed/],
    ['a graph before any parse', [{ id: 1, kind: 'graph' }], /no dump has been parsed/],
    [
      'a path the trace does not have',
      [
        { id: 1, kind: 'parse', text: dump },
        { id: 2, kind: 'trace', packet: podToApi, context },
        { id: 3, kind: 'graph', path: 5 },
      ],
      /has 2 paths; there is no path 5/,
    ],
  ];
  it.each(failures)('answers %s with an error', (_behaviour, requests, message) => {
    const { responses } = run(requests);
    const last = responses[responses.length - 1];
    expect(last).toMatchObject({
      id: requests[requests.length - 1].id,
      kind: 'error',
      message: expect.stringMatching(message),
    });
  });
});

describe('checking a big dump after tracing it', () => {
  const badValues =
    '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 99999 -j ACCEPT\n-A INPUT -s 10.0.0.300/32 -j DROP\nCOMMIT\n';

  it('a parse without checkRules reports no bad option values; the check request reports what a checked parse does', () => {
    const checked = run([{ id: 1, kind: 'parse', text: badValues }]).responses[0];
    const { responses } = run([
      { id: 1, kind: 'parse', text: badValues, checkRules: false },
      { id: 2, kind: 'check' },
    ]);
    const [unchecked, check] = responses;
    expect(unchecked).toMatchObject({ kind: 'parse', errors: 0, kept: false });
    expect(check).toMatchObject({ kind: 'check', errors: 2, revision: 1 });
    expect(check.kind === 'check' && check.diagnostics).toEqual(checked.kind === 'parse' && checked.diagnostics);
  });

  it('cannot check before anything is parsed', () => {
    expect(run([{ id: 1, kind: 'check' }]).responses[0]).toMatchObject({ kind: 'error', request: 'check' });
  });
});

describe('search', () => {
  it('finds the chains of the ruleset in use that mention a cluster IP', () => {
    const { responses } = run([
      { id: 1, kind: 'parse', text: dump },
      { id: 2, kind: 'search', query: '10.96.10.30', limit: 3 },
    ]);
    const found = responses[1];
    expect(found).toMatchObject({ kind: 'search', query: '10.96.10.30', revision: 1 });
    expect(found.kind === 'search' && found.hits.length).toBeGreaterThan(0);
    expect(found.kind === 'search' && found.hits.length).toBeLessThanOrEqual(3);
  });
});

describe('a big dump the page does not hold', () => {
  it('is handed over whole, and a chain name gets its tables, rule counts and Service', () => {
    const { responses } = run([
      { id: 1, kind: 'parse', text: dump },
      { id: 2, kind: 'text' },
      { id: 3, kind: 'chain', name: 'KUBE-SERVICES' },
      { id: 4, kind: 'chain', name: 'KUBE-NO-SUCH' },
    ]);
    const [, text, services, none] = responses;
    expect(text).toMatchObject({ kind: 'text', text: dump, revision: 1 });
    // kube-cluster.rules: KUBE-SERVICES in nat and in filter, each with its own rules.
    const expected = ['nat', 'filter'].map((table) => {
      const section = dump.slice(dump.indexOf(`*${table}\n`), dump.indexOf('COMMIT', dump.indexOf(`*${table}\n`)));
      return { table, rules: section.split('\n').filter((l) => l.startsWith('-A KUBE-SERVICES ')).length };
    });
    expect(services.kind === 'chain' && services.chains).toEqual(
      expect.arrayContaining(expected.map((e) => expect.objectContaining(e))),
    );
    expect(none).toMatchObject({ kind: 'chain', name: 'KUBE-NO-SUCH', chains: [] });
  });

  it('names the Service of a per-Service chain and the policy of a built-in one', () => {
    const svc = /^-A (KUBE-SVC-\w+) .*--comment "?([\w-]+\/[\w.-]+(:[\w-]+)?)/m.exec(dump);
    expect(svc).not.toBeNull();
    const { responses } = run([
      { id: 1, kind: 'parse', text: dump },
      { id: 2, kind: 'chain', name: svc?.[1] ?? '' },
      { id: 3, kind: 'chain', name: 'FORWARD' },
    ]);
    expect(responses[1]).toMatchObject({ chains: [{ table: 'nat', service: svc?.[2] }] });
    const forward = responses[2].kind === 'chain' ? responses[2].chains : [];
    expect(forward.find((c) => c.table === 'filter')?.policy).toMatch(/^(ACCEPT|DROP)$/);
  });
});

describe('nextRequest', () => {
  const parse = (id: number): EngineRequest => ({ id, kind: 'parse', text: `#${id}` });
  const trace = (id: number): EngineRequest => ({ id, kind: 'trace', packet: podToApi });
  const graph = (id: number): EngineRequest => ({ id, kind: 'graph' });
  const ids = (requests: EngineRequest[]) => requests.map((r) => r.id);

  // [behaviour, queue, next id, dropped ids]
  const cases: [string, EngineRequest[], number | null, number[]][] = [
    ['an empty queue runs nothing', [], null, []],
    ['the latest parse wins', [parse(1), parse(2), parse(3)], 3, [1, 2]],
    ['a parse runs before an earlier trace', [trace(1), parse(2)], 2, []],
    ['a trace runs before a graph', [graph(1), trace(2)], 2, []],
    ['each kind keeps its own latest', [parse(1), trace(2), parse(3), graph(4), trace(5)], 3, [1, 2]],
  ];
  it.each(cases)('%s', (_behaviour, queue, next, dropped) => {
    const result = nextRequest(queue);
    expect(result.next?.id ?? null).toBe(next);
    expect(ids(result.dropped)).toEqual(dropped);
  });
});

describe('the engine loop', () => {
  it('drops requests overtaken while a job was running', () => {
    const posted: EngineResponse[] = [];
    const turns: (() => void)[] = [];
    const loop = createEngineLoop({ post: (r) => posted.push(r), schedule: (t) => turns.push(t) });
    // Three edits and a trace arrive before the loop gets a turn.
    loop.receive({ id: 1, kind: 'parse', text: broken });
    loop.receive({ id: 2, kind: 'parse', text: broken });
    loop.receive({ id: 3, kind: 'trace', packet: podToApi, context });
    loop.receive({ id: 4, kind: 'parse', text: dump });
    while (turns.length > 0) turns.shift()?.();
    expect(posted.map((r) => `${r.id}:${r.kind}`)).toEqual(['4:parse', '3:trace']);
  });
});

describe('the client', () => {
  /** A worker whose loop runs on microtasks, like a real one would on its own thread. */
  function fakeWorker(as: 'clone' | 'json' = 'clone'): EngineWorker & { terminated: boolean } {
    const listeners: ((event: { data: EngineResponse | string }) => void)[] = [];
    const loop = createEngineLoop({
      post: (data) => {
        // Responses cross by structured clone, or as JSON text as engine.worker.ts sends them.
        for (const listener of listeners)
          listener({ data: as === 'json' ? JSON.stringify(data) : structuredClone(data) });
      },
      schedule: (turn) => setTimeout(turn, 0),
    });
    return {
      terminated: false,
      postMessage: (message) => queueMicrotask(() => loop.receive(structuredClone(message))),
      addEventListener: (_type, listener) => listeners.push(listener),
      terminate() {
        this.terminated = true;
      },
    };
  }

  it('resolves each request with its own response', async () => {
    const client = createEngineClient(fakeWorker());
    const parsed = await client.request({ kind: 'parse', text: dump });
    expect(parsed.summary.tables).toBe(3);
    const traced = await client.request({ kind: 'trace', packet: podToApi, context });
    expect(traced.result.paths).toHaveLength(2);
    const built = await client.request({ kind: 'graph', options: { layout: false } });
    expect(built.graph.path.length).toBeGreaterThan(0);
  });

  it('reads responses sent as JSON text exactly as cloned ones', async () => {
    const results = [];
    for (const as of ['clone', 'json'] as const) {
      const client = createEngineClient(fakeWorker(as));
      const parsed = await client.request({ kind: 'parse', text: dump });
      const traced = await client.request({ kind: 'trace', packet: podToApi, context });
      const built = await client.request({ kind: 'graph', options: { layout: false } });
      results.push({ presets: parsed.presets, result: traced.result, rules: traced.rules, graph: built.graph });
    }
    expect(results[1].result.paths).toHaveLength(2);
    expect(results[1]).toStrictEqual(results[0]);
  });

  it('rejects a request overtaken by a newer one of its kind, and serves the newer one', async () => {
    const client = createEngineClient(fakeWorker());
    const first = client.request({ kind: 'parse', text: broken });
    const second = client.request({ kind: 'parse', text: dump });
    await expect(first).rejects.toBeInstanceOf(StaleRequestError);
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    await expect(second).resolves.toMatchObject({ kind: 'parse', errors: 0 });
  });

  it('turns an error response into a rejection', async () => {
    const client = createEngineClient(fakeWorker());
    await expect(client.request({ kind: 'graph' })).rejects.toThrow(/no dump has been parsed/);
  });

  it('rejects what is pending when disposed, and stops the worker', async () => {
    const worker = fakeWorker();
    const client = createEngineClient(worker);
    const pending = client.request({ kind: 'parse', text: dump } satisfies Unnumbered<EngineRequest>);
    client.dispose();
    await expect(pending).rejects.toBeInstanceOf(StaleRequestError);
    expect(worker.terminated).toBe(true);
  });
});
