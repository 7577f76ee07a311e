import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is e2e/{src,dist}/harness/paths). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const OUR_CRDS = ['canaries.yaml', 'metrictemplates.yaml', 'alertproviders.yaml'].map((f) => path.join(ROOT, 'crds', f));
export const UPSTREAM = path.join(ROOT, 'e2e', 'upstream-crds');
export const ISTIO_CRDS = path.join(UPSTREAM, 'istio', 'networking-crds.yaml');
export const CORPUS = path.join(ROOT, 'e2e', 'flagger-corpus');
export const OPERATOR_MAIN = path.join(ROOT, 'operator', 'dist', 'main.js');
export const SIM_MAIN = path.join(ROOT, 'e2e', 'dist', 'sim', 'main.js');
