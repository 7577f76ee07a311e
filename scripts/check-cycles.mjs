#!/usr/bin/env node
/*
 * Fails (exit 1) on an import cycle in the workspaces' sources, type-only imports included: between two files,
 * or between two folders of one workspace (<workspace>/src/<folder>/; files at <workspace>/src/ itself, the
 * composition roots, are not a folder). Run by `make lint`.
 */
import { parseCircular, parseDependencyTree } from 'dpdm';

/** e2e/src is left out for now: its cluster/ and harness/ folders import each other (being reworked on main). */
const ENTRIES = ['contract/src/**/*.ts', 'operator/src/**/*.ts', 'hooks/src/**/*.ts', 'cli/src/**/*.ts'];

const tree = await parseDependencyTree(ENTRIES, { transform: false, skipDynamicImports: false });
const problems = parseCircular(tree).map((c) => `files: ${c.join(' -> ')} -> ${c[0]}`);

/** <workspace>/src/<folder>, or undefined for a file at the top of src/ or outside the sources. */
const folderOf = (file) => /^([^/]+\/src\/[^/]+)\/./.exec(file)?.[1];

const edges = new Map();
const why = new Map();
for (const [file, deps] of Object.entries(tree)) {
  const from = folderOf(file);
  if (!from) continue;
  for (const d of deps ?? []) {
    const to = d.id && folderOf(d.id);
    if (!to || to === from) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from).add(to);
    if (!why.has(`${from} ${to}`)) why.set(`${from} ${to}`, `${file} imports ${d.id}`);
  }
}

/** A path from one folder back to itself, if any (depth-first search). */
function cycleFrom(start) {
  const seen = new Set();
  const walk = (at, path) => {
    for (const next of edges.get(at) ?? []) {
      if (next === start) return [...path, next];
      if (seen.has(next)) continue;
      seen.add(next);
      const found = walk(next, [...path, next]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(start, [start]);
}

const reported = new Set();
for (const folder of [...edges.keys()].sort()) {
  const cycle = cycleFrom(folder);
  if (!cycle) continue;
  const key = [...new Set(cycle)].sort().join(' ');
  if (reported.has(key)) continue;
  reported.add(key);
  const steps = cycle.slice(1).map((to, i) => `    ${why.get(`${cycle[i]} ${to}`)}`);
  problems.push(`folders: ${cycle.join(' -> ')}\n${steps.join('\n')}`);
}

if (problems.length) {
  console.error(`import cycles (${problems.length}):\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`no import cycle among ${Object.keys(tree).filter((f) => !f.includes('node_modules')).length} files`);
