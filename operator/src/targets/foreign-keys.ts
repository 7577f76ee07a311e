import { LAST_APPLIED } from '@tollgate/contract/metadata';

/** Annotations and labels that belong to the tools that applied the target, never copied to the primary. */
export function isForeignKey(key: string): boolean {
  return (
    key.includes('toolkit.fluxcd.io') ||
    key.startsWith('meta.helm.sh/') ||
    key === LAST_APPLIED ||
    key === 'deployment.kubernetes.io/revision'
  );
}
