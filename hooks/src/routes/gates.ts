import { Router, type Request, type RequestHandler } from 'express';
import type { Scope } from '../auth/scope.js';
import type { GateStore, Switch } from '../gates/store.js';
import { jsonBody } from '../http/body.js';
import { acceptPayload, acceptQuery, type CanaryRequestDeps } from '../http/canary.js';
import { HttpError } from '../http/errors.js';
import { scopeOf } from '../http/locals.js';
import { canaryKey } from '@tollgate/contract/metadata';

export interface GateRouteDeps extends CanaryRequestDeps {
  readonly gates: GateStore;
  readonly gateChanges: { inc(labels: { kind: string; state: string }): void };
}

type Kind = 'gate' | 'rollback';

export const GATE_ROUTES = [
  '/gate/check',
  '/gate/open',
  '/gate/close',
  '/gate/approve',
  '/gate/halt',
  '/gate/status',
  '/rollback/check',
  '/rollback/open',
  '/rollback/close',
] as const;

/** Flagger's gate API: manual gates and rollback switches per canary, plus the static approve and halt gates. */
export function gateRoutes(deps: GateRouteDeps): Router {
  const r = Router();
  for (const kind of ['gate', 'rollback'] as const) {
    r.post(`/${kind}/check`, check(deps, kind));
    r.post(`/${kind}/open`, change(deps, kind, 'open'));
    r.post(`/${kind}/close`, change(deps, kind, 'closed'));
  }
  r.get('/gate/status', async (req, res) => {
    res.json(await deps.gates.get(acceptQuery(req.query, deps.policy, scopeOf(res))));
  });
  r.all('/gate/approve', fixed(deps, 200, 'Approved'));
  r.all('/gate/halt', fixed(deps, 403, 'Forbidden'));
  r.all([...GATE_ROUTES], methodNotAllowed);
  return r;
}

/** 200 "Approved" when the switch is open, else 403. */
function check(deps: GateRouteDeps, kind: Kind): RequestHandler {
  return async (_req, res) => {
    const payload = acceptPayload(jsonBody(res), deps, scopeOf(res));
    const state = await deps.gates.get({ name: payload.name, namespace: payload.namespace });
    if (state[kind] === 'open') res.type('text').send('Approved');
    else
      res
        .status(403)
        .type('text')
        .send(`Forbidden: the ${kind} of ${canaryKey(payload)} is closed`);
  };
}

/** Sets a switch; 202 with the canary's state. */
function change(deps: GateRouteDeps, kind: Kind, state: Switch): RequestHandler {
  return async (req, res) => {
    const payload = acceptPayload(jsonBody(res), deps, scopeOf(res));
    const ref = { name: payload.name, namespace: payload.namespace };
    const updated = await deps.gates.update(ref, { [kind]: state }, `${res.locals.auth?.method ?? 'none'} request=${String(req.id)}`);
    deps.gateChanges.inc({ kind, state });
    req.log.info({ canary: canaryKey(ref), kind, state }, 'gate changed');
    res.status(202).json(updated);
  };
}

/** A gate that is always open or always closed, whatever the body; a valid payload still informs background tasks of the run. */
function fixed(deps: GateRouteDeps, status: number, text: string): RequestHandler {
  return (_req, res) => {
    observeIfPayload(res.locals.body, deps, scopeOf(res));
    res.status(status).type('text').send(text);
  };
}

function observeIfPayload(body: unknown, deps: CanaryRequestDeps, scope: Scope): void {
  if (body === undefined) return;
  try {
    acceptPayload(body, deps, scope);
  } catch {
    // approve and halt answer the same whatever the body
  }
}

const methodNotAllowed: RequestHandler = (req: Request) => {
  throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${req.path}`);
};
