import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { freePort, startProcess, tail, waitFor, type ManagedProcess } from './processes.js';
import { binaryMinor, findBinary } from './versions.js';

export interface ControlPlane {
  kubeconfig: string;
  server: string;
  token: string;
  dir: string;
  /** Process ids, so fault tests can pause (SIGSTOP) and resume (SIGCONT) them. */
  pids: { etcd?: number; apiserver?: number; controllerManager?: number };
  stop(): Promise<void>;
}

function writeKeys(dir: string): { privateKey: string; publicKey: string } {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKey = path.join(dir, 'sa.key');
  const publicKey = path.join(dir, 'sa.pub');
  fs.writeFileSync(privateKey, pair.privateKey.export({ type: 'pkcs1', format: 'pem' }));
  fs.writeFileSync(publicKey, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKey, publicKey };
}

/** A kubeconfig with one bearer-token user (the admin's, or a ServiceAccount's with its namespace as default). */
export function kubeconfigYaml(server: string, token: string, o: { user?: string; namespace?: string } = {}): string {
  const user = o.user ?? 'admin';
  return [
    'apiVersion: v1',
    'kind: Config',
    'current-context: tollgate-local',
    'clusters:',
    '- name: tollgate-local',
    '  cluster:',
    `    server: ${server}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    `- name: ${user}`,
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: tollgate-local',
    '  context:',
    '    cluster: tollgate-local',
    `    user: ${user}`,
    ...(o.namespace ? [`    namespace: ${o.namespace}`] : []),
    '',
  ].join('\n');
}

function readyz(server: string, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(`${server}/readyz`, { rejectUnauthorized: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => req.destroy());
  });
}

/**
 * Starts etcd, kube-apiserver and kube-controller-manager on free loopback ports, in dir.
 * Resolves when the API server answers /readyz.
 */
export async function startControlPlane(dir: string): Promise<ControlPlane> {
  fs.mkdirSync(dir, { recursive: true });
  const [etcdPort, peerPort, apiPort, kcmPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const token = randomBytes(16).toString('hex');
  fs.writeFileSync(path.join(dir, 'tokens.csv'), `${token},admin,admin,"system:masters"\n`);
  const keys = writeKeys(dir);
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, kubeconfigYaml(server, token));
  const procs: ManagedProcess[] = [];
  const apiserver = findBinary('kube-apiserver');
  const kcm = findBinary('kube-controller-manager');
  const kcmMinor = binaryMinor(kcm);
  const log = (n: string): string => path.join(dir, `${n}.log`);
  // etcd fsyncs every write: on tmpfs the API server answers several times faster.
  const etcdData = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/tollgate-etcd-') : path.join(dir, 'etcd');
  const stop = async (): Promise<void> => {
    for (const p of procs.reverse()) await p.stop();
    if (etcdData.startsWith('/dev/shm/')) fs.rmSync(etcdData, { recursive: true, force: true });
  };
  try {
    procs.push(
      startProcess(
        'etcd',
        findBinary('etcd'),
        [
          '--data-dir',
          etcdData,
          '--listen-client-urls',
          `http://127.0.0.1:${etcdPort}`,
          '--advertise-client-urls',
          `http://127.0.0.1:${etcdPort}`,
          '--listen-peer-urls',
          `http://127.0.0.1:${peerPort}`,
          '--initial-advertise-peer-urls',
          `http://127.0.0.1:${peerPort}`,
          '--initial-cluster',
          `default=http://127.0.0.1:${peerPort}`,
        ],
        { logFile: log('etcd') },
      ),
    );
    procs.push(
      startProcess(
        'kube-apiserver',
        apiserver,
        [
          `--etcd-servers=http://127.0.0.1:${etcdPort}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${apiPort}`,
          `--cert-dir=${path.join(dir, 'certs')}`,
          `--token-auth-file=${path.join(dir, 'tokens.csv')}`,
          '--authorization-mode=RBAC',
          '--service-account-issuer=https://kubernetes.default.svc',
          `--service-account-key-file=${keys.publicKey}`,
          `--service-account-signing-key-file=${keys.privateKey}`,
          '--service-cluster-ip-range=10.96.0.0/16',
          '--allow-privileged=true',
          '--advertise-address=127.0.0.1',
          '--event-ttl=30m',
        ],
        { logFile: log('kube-apiserver') },
      ),
    );
    await waitFor('kube-apiserver /readyz', () => readyz(server, token), 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${tail(log('kube-apiserver'))}\n${tail(log('etcd'), 5)}`);
    });
    procs.push(
      startProcess('kube-controller-manager', kcm, controllerManagerArgs(kcmMinor, kubeconfig, kcmPort, keys.privateKey, dir), {
        logFile: log('kube-controller-manager'),
      }),
    );
    fs.writeFileSync(path.join(dir, 'pids'), procs.map((p) => `${p.name} ${p.child.pid}`).join('\n'));
    const pid = (name: string): number | undefined => procs.find((p) => p.name === name)?.child.pid;
    return {
      kubeconfig,
      server,
      token,
      dir,
      stop,
      pids: { etcd: pid('etcd'), apiserver: pid('kube-apiserver'), controllerManager: pid('kube-controller-manager') },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** kube-controller-manager's flags; 1.24 removed the insecure port (`--port`). */
function controllerManagerArgs(minor: number, kubeconfig: string, port: number, saKey: string, dir: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    ...(minor < 24 ? ['--port=0'] : [`--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`]),
    `--service-account-private-key-file=${saKey}`,
    `--root-ca-file=${path.join(dir, 'certs', 'apiserver.crt')}`,
    '--use-service-account-credentials=false',
    '--controllers=*,-nodeipam,-nodelifecycle',
    '--leader-elect=false',
    '--concurrent-deployment-syncs=10',
    '--concurrent-replicaset-syncs=10',
    // The default 20 requests/s throttles pod creation for hundreds of Deployments (the scale benchmark).
    '--kube-api-qps=200',
    '--kube-api-burst=400',
  ];
}
