import { bashTask, cmdTask, toolTask, type CommandTaskDeps } from './command-tasks.js';
import { httpCheckTask, type HttpCheckDeps } from './http-check.js';
import { loadTask, type LoadTaskDeps } from './load-task.js';
import { TaskRegistry } from './registry.js';

export type BuiltinTaskDeps = CommandTaskDeps & HttpCheckDeps & LoadTaskDeps;

/** Every task type this service runs, by metadata.type. */
export function builtinTasks(deps: BuiltinTaskDeps): TaskRegistry {
  return new TaskRegistry({
    cmd: cmdTask(deps),
    bash: bashTask(deps),
    helm: toolTask('helm', 'helm', deps),
    helmv3: toolTask('helmv3', 'helm', deps),
    kubectl: toolTask('kubectl', 'kubectl', deps),
    http: httpCheckTask(deps),
    load: loadTask(deps),
  });
}
