import type { Canary } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import type { Feed } from './feed.js';
import type { Io } from './io.js';

/** What a command that talks to the cluster gets. */
export interface Context {
  io: Io;
  kube: KubeClient;
  /** The namespace to act in (-n, else the kubeconfig context's, else "default"). */
  namespace: string;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** How to follow a Canary (a watch in the real CLI, polling in tests). */
  feed: Feed;
  /** "tollgate" or "kubectl tollgate", for hints. */
  prog: string;
  /**
   * A watch cache of the Canaries, when the command runs beside one (the dashboard's): a request reads the
   * operator's acknowledgement there instead of GETting the Canary every 500 ms.
   */
  cache?: { get(namespace: string, name: string): Canary | undefined };
}
