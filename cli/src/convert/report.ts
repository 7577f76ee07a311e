/** What a conversion could not carry over, and what it changed on the way. */
import { isObject } from '../lint/source.js';

export interface Dropped {
  /** Kind and namespace/name of the source object: "Rollout shop/web". */
  object: string;
  /** The source field, as the API server prints paths: spec.strategy.canary.steps[1].pause. */
  path: string;
  reason: string;
}

export interface Note {
  object: string;
  message: string;
}

/** Collects drops and notes about one source object. */
export class Findings {
  readonly dropped: Dropped[] = [];
  readonly notes: Note[] = [];

  constructor(readonly object: string) {}

  drop(path: string, reason: string): void {
    this.dropped.push({ object: this.object, path, reason });
  }

  note(message: string): void {
    this.notes.push({ object: this.object, message });
  }
}

/** "Kind namespace/name" of a decoded object. */
export function objectName(value: unknown): string {
  const obj = isObject(value) ? value : {};
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const ns = typeof meta.namespace === 'string' ? `${meta.namespace}/` : '';
  const name = typeof meta.name === 'string' ? meta.name : '(no name)';
  return `${typeof obj.kind === 'string' ? obj.kind : '(no kind)'} ${ns}${name}`;
}

export { isObject };
