/**
 * A small, safe JSONPath subset: `$`, then any of `.name`, `['name']` or `["name"]`, `[0]` (a negative index
 * counts from the end: `[-1]` is the last element), and `[*]` or `.*` (every element or member). No filters,
 * no scripts, no recursive descent; only own properties are read.
 */

export type PathSegment = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'wildcard' };

export class JsonPathError extends Error {
  constructor(path: string, message: string) {
    super(`invalid JSONPath "${path}": ${message}`);
    this.name = 'JsonPathError';
  }
}

const MAX_PATH_LENGTH = 1000;
const NAME = /[A-Za-z0-9_$-]+/y;
const INDEX = /-?[0-9]+/y;

export function parseJsonPath(path: string): PathSegment[] {
  if (path.length > MAX_PATH_LENGTH) throw new JsonPathError(path.slice(0, 40), `longer than ${MAX_PATH_LENGTH} characters`);
  if (path[0] !== '$') throw new JsonPathError(path, 'must start with $');
  const segments: PathSegment[] = [];
  let i = 1;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      if (path[i + 1] === '*') {
        segments.push({ kind: 'wildcard' });
        i += 2;
        continue;
      }
      if (path[i + 1] === '.') throw new JsonPathError(path, 'recursive descent (..) is not supported');
      NAME.lastIndex = i + 1;
      const m = NAME.exec(path);
      if (!m) throw new JsonPathError(path, `expected a name after "." at ${i}`);
      segments.push({ kind: 'key', key: m[0] });
      i = NAME.lastIndex;
    } else if (c === '[') {
      const next = path[i + 1];
      if (next === '*' && path[i + 2] === ']') {
        segments.push({ kind: 'wildcard' });
        i += 3;
      } else if (next === "'" || next === '"') {
        const { value, end } = quoted(path, i + 1);
        if (path[end] !== ']') throw new JsonPathError(path, `expected ] at ${end}`);
        segments.push({ kind: 'key', key: value });
        i = end + 1;
      } else {
        INDEX.lastIndex = i + 1;
        const m = INDEX.exec(path);
        if (!m || path[INDEX.lastIndex] !== ']') {
          throw new JsonPathError(path, `expected an index, a quoted name or * inside [] at ${i} (filters and slices are not supported)`);
        }
        segments.push({ kind: 'index', index: Number(m[0]) });
        i = INDEX.lastIndex + 1;
      }
    } else {
      throw new JsonPathError(path, `unexpected "${c}" at ${i}`);
    }
  }
  return segments;
}

/** A quoted name starting at the quote: backslash escapes the quote and the backslash. */
function quoted(path: string, start: number): { value: string; end: number } {
  const q = path[start];
  let value = '';
  for (let i = start + 1; i < path.length; i++) {
    const c = path[i]!;
    if (c === '\\' && i + 1 < path.length) {
      value += path[++i];
    } else if (c === q) {
      return { value, end: i + 1 };
    } else {
      value += c;
    }
  }
  throw new JsonPathError(path, `unterminated quote at ${start}`);
}

/** Every value the path selects in a parsed JSON document (possibly none). */
export function selectJsonPath(document: unknown, path: string | PathSegment[]): unknown[] {
  const segments = typeof path === 'string' ? parseJsonPath(path) : path;
  let nodes: unknown[] = [document];
  for (const s of segments) {
    const next: unknown[] = [];
    for (const node of nodes) {
      if (s.kind === 'wildcard') {
        if (Array.isArray(node)) next.push(...node);
        else if (node && typeof node === 'object') next.push(...Object.values(node));
      } else if (s.kind === 'index') {
        if (Array.isArray(node)) {
          const i = s.index < 0 ? node.length + s.index : s.index;
          if (i >= 0 && i < node.length) next.push(node[i]);
        }
      } else if (node && typeof node === 'object' && !Array.isArray(node) && Object.hasOwn(node, s.key)) {
        next.push((node as Record<string, unknown>)[s.key]);
      }
    }
    nodes = next;
  }
  return nodes;
}
