import { ANNOTATIONS, FLAGGER } from '@tollgate/contract/metadata';
import type { Canary, ObjectMeta, OwnerReference } from '../api/types.js';

/*
 * Taking over what a flagger.app Canary generated (docs/migrating-from-flagger.md): an object whose controller
 * owner is a Flagger Canary is written only when the Tollgate Canary names that Canary in its takeover annotation;
 * its controller ownerReference then moves to the Tollgate Canary, every other owner kept. Pure: no I/O.
 */

/** An object controlled by a flagger.app Canary that the Canary may not take over. */
export class TakeoverRefused extends Error {
  readonly reason = 'Conflict';

  constructor(message: string) {
    super(message);
    this.name = 'TakeoverRefused';
  }
}

const isFlaggerCanary = (o: OwnerReference): boolean => o.kind === 'Canary' && o.apiVersion.startsWith(`${FLAGGER.group}/`);

/** The flagger.app Canary controlling the object, if one does. */
export const flaggerController = (meta: ObjectMeta | undefined): OwnerReference | undefined =>
  meta?.ownerReferences?.find((o) => o.controller === true && isFlaggerCanary(o));

/** The flagger.app Canary this Canary takes over (its takeover annotation), if any. */
const takeoverFrom = (canary: Canary): string | undefined => canary.metadata.annotations?.[ANNOTATIONS.takeover] || undefined;

/** Whether the object's controller is the flagger.app Canary this Canary takes over. */
export const takenOver = (meta: ObjectMeta | undefined, canary: Canary): boolean => {
  const from = takeoverFrom(canary);
  return from !== undefined && flaggerController(meta)?.name === from;
};

/**
 * The object's ownerReferences once this Canary took it over: Flagger's controller reference replaced by ours
 * (other owners kept). Undefined when no flagger.app Canary controls it. Throws TakeoverRefused when one does and
 * the Canary does not name it: the operator never writes what a Flagger that may still run controls.
 */
export function ownersAfterTakeover(
  meta: ObjectMeta | undefined,
  canary: Canary,
  ours: OwnerReference,
  what: string,
): OwnerReference[] | undefined {
  const flagger = flaggerController(meta);
  if (!flagger) return undefined;
  if (!takenOver(meta, canary)) throw new TakeoverRefused(refusal(flagger.name, canary, what));
  return (meta?.ownerReferences ?? [])
    .map((o) => (o === flagger ? ours : o))
    .filter((o, i, all) => all.findIndex((x) => x.uid === o.uid) === i);
}

function refusal(flagger: string, canary: Canary, what: string): string {
  const named = takeoverFrom(canary);
  const hint = named
    ? `${ANNOTATIONS.takeover} names ${named}, not ${flagger}`
    : `scale Flagger to zero, then run \`tollgate migrate flagger ${flagger} -n ${canary.metadata.namespace}\` (or set the annotation ${ANNOTATIONS.takeover}: ${flagger})`;
  return `${what} is controlled by the flagger.app Canary ${flagger}: nothing is written while Flagger may run it; ${hint}`;
}
