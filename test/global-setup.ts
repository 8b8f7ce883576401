// Starts the local services once for the whole test run and provides their endpoints.
import type { TestProject } from 'vitest/node';
import type { LocalEndpoints } from '../infra/local/engine/aws';
import { startLocalProcesses } from '../infra/local/engine/processes';

declare module 'vitest' {
  export interface ProvidedContext {
    endpoints: LocalEndpoints;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = Date.now();
  const procs = await startLocalProcesses();
  if (process.env.MEMBERFLOW_TEST_VERBOSE) console.log(`local services for tests up in ${Date.now() - t0} ms`, procs.endpoints);
  project.provide('endpoints', procs.endpoints);
  return () => procs.stop();
}
