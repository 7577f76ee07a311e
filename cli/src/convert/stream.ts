/**
 * A multi-document YAML stream split into its documents' exact source text (comments, markers and blank lines
 * included), each also parsed as a Document (YAML 1.1, as kubectl reads manifests). Joining the texts gives the
 * input back byte for byte, so documents that are not converted pass through unchanged. Pure.
 */
import { CST, Parser, parseDocument, type Document } from 'yaml';
import { KUBE_YAML, MAX_ALIAS_COUNT } from '../lint/source.js';

export interface Chunk {
  /** Where it came from: the file name, or <stdin>. */
  file: string;
  /** 0-based index of the document in its file. */
  index: number;
  /** The exact source of the document. */
  text: string;
  doc: Document;
  /** The decoded value; undefined for an empty document. */
  value: unknown;
}

export class YamlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'YamlError';
  }
}

/** The source text of each document of the stream; text between documents goes with the next (a trailing one with the last). */
export function splitSources(text: string): string[] {
  const out: string[] = [];
  let pending = '';
  let open = false;
  for (const token of new Parser().parse(text)) {
    const src = CST.stringify(token);
    if (token.type === 'document') {
      out.push(pending + src);
      pending = '';
      open = true;
    } else if (token.type === 'doc-end' && open) {
      out[out.length - 1] += src;
    } else {
      pending += src;
    }
  }
  if (pending) {
    if (out.length) out[out.length - 1] += pending;
    else out.push(pending);
  }
  return out;
}

/** Every document of one file; a syntax error is a YamlError naming the file, document and line. */
export function parseChunks(file: string, text: string): Chunk[] {
  let line = 1;
  return splitSources(text).map((src, index) => {
    const doc = parseDocument(src, KUBE_YAML);
    const startLine = line;
    line += src.split('\n').length - 1;
    const err = doc.errors[0];
    if (err) {
      const at = err.linePos?.[0];
      throw new YamlError(`${file}:${at ? startLine + at.line - 1 : startLine}: ${err.message.split('\n')[0]}`);
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      throw new YamlError(`${file}: document ${index + 1}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return { file, index, text: src, doc, value: value ?? undefined };
  });
}

/** Joins documents into one stream, with a --- line between each. */
export function joinDocuments(parts: string[]): string {
  let out = '';
  for (const part of parts) {
    if (!part.trim()) continue;
    if (out && !out.endsWith('\n')) out += '\n';
    if (out && !/^(?:\s*#.*\n|\s*\n)*---(\s|$)/.test(part)) out += '---\n';
    out += part;
  }
  return out;
}

/** Whether the source writes block sequences at the indentation of their key (kubectl's style), for the output to follow. */
export function indentsSequences(text: string): boolean {
  const flat = /^( *)[^\s#-][^\n]*:\n\1- /m.test(text);
  return !flat;
}
