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
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const PLACEHOLDER = /\{\{-?\s*\.?([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z0-9_-]+))?\s*-?\}\}/g;

/**
 * Fills a query template. Only the placeholders Flagger documents exist; an unknown one is an error
 * (Flagger's missingkey=error), so a typo never queries for an empty label.
 */
export function renderQuery(template: string, vars: QueryVars): string {
  return template.replace(PLACEHOLDER, (whole, key: string, sub: string | undefined) => {
    if (key === 'variables') {
      if (sub === undefined) throw new TemplateError(`${whole}: name a variable, as in {{ variables.key }}`);
      const value = Object.hasOwn(vars.variables, sub) ? vars.variables[sub] : undefined;
      if (value === undefined) throw new TemplateError(`${whole}: templateVariables has no key "${sub}"`);
      return value;
    }
    if (sub !== undefined || !Object.hasOwn(vars, key)) throw new TemplateError(`${whole}: unknown placeholder`);
    return String(vars[key as keyof QueryVars]);
  });
}
