import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { GenericContainer } from 'testcontainers';
import { startProcess, waitFor, type ManagedProcess } from '../cluster/processes.js';
import { ROOT } from './paths.js';

/** What scripts/images.sh (make images) built: e2e/.run/images.json. */
export interface BuiltImage {
  dockerfile: string;
  tag: string;
  id: string;
  /** The exact argv of the podman build that made it. */
  command: string[];
}

export interface ImagesManifest {
  containersConf: string;
  nodeImage: string;
  images: { operator: BuiltImage; hooks: BuiltImage };
}

export const IMAGES_MANIFEST = path.join(ROOT, 'e2e', '.run', 'images.json');

/** The manifest, or why there is none (images.sh skipped, or was never run). */
export function readImagesManifest(file = IMAGES_MANIFEST): { manifest: ImagesManifest } | { unavailable: string } {
  if (!fs.existsSync(file)) return { unavailable: `${file} does not exist: run \`make images\` (scripts/images.sh) first` };
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<ImagesManifest> & { skipped?: string };
  if (parsed.skipped) return { unavailable: `scripts/images.sh skipped the images: ${parsed.skipped}` };
  if (!parsed.images?.operator || !parsed.images.hooks || !parsed.containersConf)
    throw new Error(`${file} is incomplete: ${JSON.stringify(parsed)}`);
  return { manifest: parsed as ImagesManifest };
}

/** Runs the podman CLI with the project's containers.conf; rejects with its stderr on a non-zero exit. */
export function podman(conf: string, args: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'podman',
      args,
      { env: { ...process.env, CONTAINERS_CONF: conf }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`podman ${args.join(' ')}: ${err.message}\n${String(stderr)}`));
        else resolve(String(stdout));
      },
    );
  });
}

/** The paths of every file in an image (podman create + export, read as a tar listing). */
export async function imageFiles(conf: string, image: string): Promise<string[]> {
  const id = (await podman(conf, ['create', image])).trim();
  try {
    const listing = await new Promise<string>((resolve, reject) => {
      execFile(
        'sh',
        ['-c', 'podman export "$1" | tar -t', 'sh', id],
        { env: { ...process.env, CONTAINERS_CONF: conf }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`podman export ${id}: ${err.message}\n${String(stderr)}`));
          else resolve(String(stdout));
        },
      );
    });
    return listing
      .split('\n')
      .filter(Boolean)
      .map((p) => `/${p.replace(/^\.?\//, '')}`);
  } finally {
    await podman(conf, ['rm', id]);
  }
}

/**
 * `podman system service` on a socket of its own, serving the Docker API that testcontainers drives, with the
 * settings the local podman needs: no Ryuk (containers are stopped by the tests) and 127.0.0.1 as the host.
 */
export class PodmanService {
  private proc: ManagedProcess | undefined;
  readonly socket: string;

  constructor(
    private readonly conf: string,
    private readonly dir: string,
  ) {
    this.socket = path.join(dir, 'podman.sock');
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    fs.rmSync(this.socket, { force: true });
    this.proc = startProcess('podman-service', 'podman', ['system', 'service', '--time=0', `unix://${this.socket}`], {
      logFile: path.join(this.dir, 'podman-service.log'),
      env: { ...process.env, CONTAINERS_CONF: this.conf },
    });
    await waitFor('the podman API socket', () => ping(this.socket), 30_000);
    process.env.DOCKER_HOST = `unix://${this.socket}`;
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
    process.env.TESTCONTAINERS_HOST_OVERRIDE = '127.0.0.1';
  }

  async stop(): Promise<void> {
    await this.proc?.stop('SIGTERM');
  }
}

async function ping(socket: string): Promise<boolean> {
  if (!fs.existsSync(socket)) return false;
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export interface ChartLikeOptions {
  env: Record<string, string>;
  /** Host files mounted read-only (host path → container path), as the chart mounts Secrets. */
  readOnlyFiles?: Record<string, string>;
  logFile: string;
}

/**
 * A container run as charts/tollgate runs the operator and the hooks service: the image's user (uid 1000, also
 * the pod's runAsUser), a read-only root filesystem with an emptyDir at /tmp, every capability dropped and no
 * privilege escalation. The host network stands in for the pod network: the control plane listens on loopback.
 */
export class ChartLikeContainer extends GenericContainer {
  constructor(image: string, o: ChartLikeOptions) {
    super(image);
    this.hostConfig.ReadonlyRootfs = true;
    const out = fs.createWriteStream(o.logFile, { flags: 'a' });
    this.withNetworkMode('host')
      .withUser('1000:1000')
      .withTmpFs({ '/tmp': 'rw,size=256m' })
      .withDroppedCapabilities('ALL')
      .withSecurityOpt('no-new-privileges')
      .withEnvironment({ HOME: '/tmp', ...o.env })
      .withBindMounts(Object.entries(o.readOnlyFiles ?? {}).map(([source, target]) => ({ source, target, mode: 'ro' as const })))
      .withPullPolicy({ shouldPull: () => false })
      .withLogConsumer((stream) => stream.pipe(out));
  }
}
