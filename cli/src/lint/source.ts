/**
 * Multi-document YAML with positions: each document's value (as the API server would decode it) and a way back from
 * a JSON path to the line and column of the source. The `yaml` package keeps node ranges; YAML 1.1, as kubectl reads
 * manifests (go-yaml), so `yes` is a boolean and `<<` merges. Pure.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';

/** A JSON path: object keys and array indexes. */
export type Path = readonly (string | number)[];

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export interface SourceDocument {
  /** 0-based index of the document in its file. */
  index: number;
  /** The decoded value; undefined for an empty document or one that does not parse. */
  value: unknown;
  /** Where the document starts. */
  start: Position;
  /** Syntax errors, with their positions. */
  errors: { message: string; at: Position }[];
  /** The position of the deepest node of the path that exists (the key of a map entry, for a key that exists). */
  locate(path: Path): Position;
}

/** Documents larger than this are refused: a manifest is kilobytes, and aliases can blow up a small file. */
export const MAX_ALIAS_COUNT = 1000;

/** YAML as kubectl reads manifests (go-yaml): 1.1, so `yes` is a boolean and `<<` merges. */
export const KUBE_YAML = { version: '1.1', merge: true, prettyErrors: false } as const;

/** A decoded YAML mapping (not a sequence, a scalar or null). */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses every document of a YAML stream. Never throws: syntax errors are reported per document. */
export function parseDocuments(text: string): SourceDocument[] {
  const counter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: counter, ...KUBE_YAML });
  const pos = (offset: number): Position => {
    const { line, col } = counter.linePos(offset);
    return { line: Math.max(line, 1), column: col };
  };
  const list = Array.isArray(docs) ? docs : [];
  return list.map((doc, index) => {
    const errors = doc.errors.map((e) => ({ message: e.message.split('\n')[0]!, at: pos(e.pos[0]) }));
    let value: unknown;
    if (!errors.length) {
      try {
        value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      } catch (err) {
        errors.push({ message: err instanceof Error ? err.message : String(err), at: pos(doc.range[0]) });
      }
    }
    const root = doc.contents as Node | null;
    return {
      index,
      value: errors.length ? undefined : (value ?? undefined),
      start: pos(firstContent(root, doc.range[0])),
      errors,
      locate: (path) => pos(offsetOf(root, path, doc.range[0])),
    };
  });
}

function firstContent(root: Node | null, fallback: number): number {
  return root?.range?.[0] ?? fallback;
}

/** The offset of the deepest node along the path: a map entry's key, an array item, else the last parent found. */
function offsetOf(root: Node | null, path: Path, fallback: number): number {
  let node: unknown = root;
  let at = root?.range?.[0] ?? fallback;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyOf(p.key) === String(seg));
      if (!pair) return at;
      const key = pair.key as Node | null;
      at = key?.range?.[0] ?? at;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) return at;
      at = item.range?.[0] ?? at;
      node = item;
    } else {
      return at;
    }
  }
  return at;
}

const keyOf = (key: unknown): string | undefined => (isScalar(key) ? String(key.value) : undefined);
