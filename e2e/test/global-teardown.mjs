export default async function globalTeardown() {
  await globalThis.__TOLLGATE_ENV__?.stop();
}
