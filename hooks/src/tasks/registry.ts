import { RejectedError } from '../errors.js';
import type { Task, TaskFactory, TaskRequest } from './task.js';

class UnknownTaskTypeError extends RejectedError {
  constructor(type: string, known: readonly string[]) {
    super('unknown_task_type', `unknown task type "${type}": known types are ${known.join(', ')}`, { type, knownTypes: known });
    this.name = 'UnknownTaskTypeError';
  }
}

const DEFAULT_TASK_TYPE = 'cmd';

/** Task factories by metadata.type: an explicit table, nothing registers itself. */
export class TaskRegistry {
  constructor(private readonly factories: Readonly<Record<string, TaskFactory>>) {}

  get types(): string[] {
    return Object.keys(this.factories).sort();
  }

  /** The task a request asks for (metadata.type, default cmd); throws UnknownTaskTypeError or a RejectedError. */
  create(req: TaskRequest): Task {
    const type = req.metadata.type || DEFAULT_TASK_TYPE;
    const factory = Object.hasOwn(this.factories, type) ? this.factories[type] : undefined;
    if (!factory) throw new UnknownTaskTypeError(type, this.types);
    return factory(req);
  }
}
