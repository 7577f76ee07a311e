import { fillTemplate, UnsafeValueError, type QueryLanguage } from './query-language.js';

/** Values a query template may use: {{ namespace }}, {{ target }}, {{ variables.key }} and so on. */
export interface QueryVars {
  name: string;
  namespace: string;
  target: string;
  service: string;
  ingress: string;
  route: string;
  interval: string;
  variables: Record<string, string>;
  /**
   * Targets released in place (StatefulSet): the ControllerRevision names (the pods' controller-revision-hash label)
   * of the new revision's pods and of the stable ones, so a pod-level query selects one side.
   */
  canaryRevision?: string;
  primaryRevision?: string;
}

/** The revisions of the two sides, for a target released in place. */
export type RevisionVars = Required<Pick<QueryVars, 'canaryRevision' | 'primaryRevision'>>;

const REVISION_KEYS: ReadonlySet<string> = new Set(['canaryRevision', 'primaryRevision']);

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const PLACEHOLDER = /\{\{-?\s*\.?([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z0-9_-]+))?\s*-?\}\}/g;

/**
 * Fills a query template written in `language`. Only the placeholders Flagger documents exist; an unknown one is
 * an error (Flagger's missingkey=error), so a typo never queries for an empty label. Each value is escaped for
 * where it stands (see query-language.ts), so a value can never change the query's structure: a value that
 * cannot be written safely there is a TemplateError.
 */
export function renderQuery(template: string, vars: QueryVars, language: QueryLanguage): string {
  try {
    return fillTemplate(template, language, PLACEHOLDER, ([whole, key, sub]) => valueOf(whole, key!, sub, vars));
  } catch (err) {
    if (err instanceof UnsafeValueError) throw new TemplateError(err.message);
    throw err;
  }
}

function valueOf(whole: string, key: string, sub: string | undefined, vars: QueryVars): string {
  if (key === 'variables') {
    if (sub === undefined) throw new TemplateError(`${whole}: name a variable, as in {{ variables.key }}`);
    const value = Object.hasOwn(vars.variables, sub) ? vars.variables[sub] : undefined;
    if (value === undefined) throw new TemplateError(`${whole}: templateVariables has no key "${sub}"`);
    return value;
  }
  if (sub === undefined && REVISION_KEYS.has(key) && vars[key as keyof RevisionVars] === undefined)
    throw new TemplateError(`${whole}: only set for a target released in place (StatefulSet), whose pods carry controller-revision-hash`);
  if (sub !== undefined || !Object.hasOwn(vars, key)) throw new TemplateError(`${whole}: unknown placeholder`);
  return String(vars[key as keyof QueryVars]);
}
