// vitest globalSetup (every project): builds the console bundle the api function serves
// (functions/api/console-assets.generated.js, build output that is not committed) before any test
// imports it. Unchanged sources leave the file as it is.
import { ensureConsoleAssets } from '../../infra/build-console';

export default async function setup(): Promise<void> {
  await ensureConsoleAssets();
}
