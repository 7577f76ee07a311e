import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dump, loadAll } from 'js-yaml';
import type { KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { createNamespace } from '../src/harness/fixtures.js';
import { CORPUS, ROOT } from '../src/harness/paths.js';
import { runTool } from '../src/harness/tools.js';
import { client, envInfo, uniqueNs } from './env.js';

type Doc = KubeObject & { spec?: unknown };

const CLI_MAIN = path.join(ROOT, 'cli', 'dist', 'main.js');
const ARGO_CORPUS = path.join(ROOT, 'e2e', 'argo-corpus');
const TOLLGATE_KINDS = new Set(['Canary', 'MetricTemplate', 'AlertProvider']);

/** tollgate convert --allow-dropped FILE, as a user runs it: the converted stream (stdout). */
function convert(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI_MAIN, 'convert', '--allow-dropped', file],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => (err ? reject(new Error(`convert ${file}: ${err.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

const corpusFiles = (): string[] => [
  ...fs
    .readdirSync(CORPUS)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => path.join(CORPUS, f)),
  ...fs
    .readdirSync(ARGO_CORPUS)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => path.join(ARGO_CORPUS, f)),
];

describe('tollgate convert output on the local control plane', () => {
  let kube: KubeClient;
  let dir: string;

  beforeAll(async () => {
    kube = await client();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-convert-e2e-'));
  });

  afterAll(() => {
    kube.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is accepted by kubectl apply --server-side --dry-run=server, with nothing pruned, for every corpus file (Flagger and Argo Rollouts)', async () => {
    // Each file's objects as converted, moved to a namespace of its own (the corpus names test, prod, podinfo...).
    const sent: { file: string; doc: Doc }[] = [];
    const files = corpusFiles();
    // Four CLI processes at a time (each is mostly Node's start-up); the output keeps the corpus order.
    const outputs: string[] = [];
    for (let i = 0; i < files.length; i += 4) outputs.push(...(await Promise.all(files.slice(i, i + 4).map(convert))));
    for (const [i, file] of files.entries()) {
      const ns = uniqueNs(`convert-${i}`);
      const docs = (loadAll(outputs[i]!) as Doc[]).filter(Boolean);
      if (!docs.length) continue; // nothing converts (a Job metric, an equality condition): the unit tests list why
      await createNamespace(kube, ns);
      for (const d of docs) sent.push({ file, doc: { ...d, metadata: { ...d.metadata, namespace: ns } } });
    }
    const input = path.join(dir, 'all.yaml');
    fs.writeFileSync(input, sent.map((s) => dump(s.doc, { noRefs: true })).join('---\n'));
    const r = await runTool('kubectl', ['apply', '--server-side', '--dry-run=server', '-o', 'json', '-f', input], {
      kubeconfig: envInfo().kubeconfig,
    });
    expect({ code: r.code, stderr: r.code ? r.stderr : '' }).toEqual({ code: 0, stderr: '' });
    const back = JSON.parse(r.stdout) as { items: Doc[] };
    const tollgate = sent.filter((s) => TOLLGATE_KINDS.has(s.doc.kind!));
    for (const { file, doc } of tollgate) {
      const stored = back.items.find(
        (b) => b.kind === doc.kind && b.metadata.namespace === doc.metadata.namespace && b.metadata.name === doc.metadata.name,
      );
      expect({ file, kind: doc.kind, spec: stored?.spec }).toEqual({ file, kind: doc.kind, spec: doc.spec });
    }
    expect(tollgate.length).toBeGreaterThanOrEqual(40);
    expect(back.items.length).toBe(sent.length);
  });
});
