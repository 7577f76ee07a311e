import type http from 'node:http';
import { VendorApi } from './vendor-api.js';

/** What a hostile stand-in did besides what VendorApi records (requests, connections). */
export interface HostileLog {
  /** Body bytes written to the client before it hung up (or all of them). */
  bytesSent: number;
  /** True when the client hung up before the answer was complete. */
  cut: boolean;
}

export type Behaviour = (req: http.IncomingMessage, res: http.ServerResponse, log: HostileLog) => void;

/** A VendorApi that answers every request with one misbehaviour. */
export class HostileServer extends VendorApi {
  readonly log: HostileLog = { bytesSent: 0, cut: false };

  constructor(behaviour: Behaviour) {
    super();
    this.raw = (req, res) => {
      res.on('close', () => {
        if (!res.writableFinished) this.log.cut = true;
      });
      behaviour(req, res, this.log);
    };
  }
}

export const MiB = 1024 * 1024;

/** Answers `bytes` of JSON-looking body in 64 KiB chunks, honouring back-pressure (so the server itself holds little). */
export function hugeBody(bytes: number, status = 200): Behaviour {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  return (_req, res, log) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    const pump = (): void => {
      while (log.bytesSent < bytes && !res.destroyed) {
        log.bytesSent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  };
}

/** Sends the headers at once, then one byte every intervalMs, for at most stopAfterMs. */
export function trickle(intervalMs: number, stopAfterMs: number): Behaviour {
  return (_req, res, log) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('[');
    const started = Date.now();
    const timer = setInterval(() => {
      if (res.destroyed || Date.now() - started > stopAfterMs) {
        clearInterval(timer);
        if (!res.destroyed) res.end(']');
        return;
      }
      log.bytesSent++;
      res.write(' ');
    }, intervalMs);
    res.on('close', () => clearInterval(timer));
  };
}

/** Never answers (until the client gives up or the server stops). */
export const silent: Behaviour = () => undefined;

/** Answers 302 to another address. */
export function redirectTo(location: string): Behaviour {
  return (_req, res) => {
    res.writeHead(302, { location }).end();
  };
}

/** Answers with a status and a body made from the request (an echo of its headers, say). */
export function answer(status: number, body: (req: http.IncomingMessage) => string): Behaviour {
  return (req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' }).end(body(req));
  };
}

/**
 * The largest growth of heap plus array buffers while fn runs, in bytes, sampled every few milliseconds (the
 * body chunks a client holds are array buffers). A client that buffers a 50 MB answer shows ~50 MB here.
 */
export async function peakMemoryGrowth<T>(fn: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const used = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const baseline = used();
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, used());
  }, 2);
  try {
    const result = await fn();
    peak = Math.max(peak, used());
    return { result, growth: peak - baseline };
  } finally {
    clearInterval(timer);
  }
}
