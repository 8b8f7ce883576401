// Where the console test finds its browser. playwright-core downloads none: it drives Debian's
// Chromium. Missing on a developer's machine → the console tests are skipped with the command that
// installs it; missing in CI → the run fails (a green CI must have run them).
import { existsSync } from 'node:fs';

export const CHROMIUM_INSTALL = 'sudo apt-get install -y chromium';
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export function findChromium(env: NodeJS.ProcessEnv = process.env, exists: (p: string) => boolean = existsSync): string | null {
  const candidate = env.MEMBERFLOW_CHROMIUM || DEFAULT_CHROMIUM;
  if (exists(candidate)) return candidate;
  const message = `the console test needs headless Chromium at ${candidate} (or MEMBERFLOW_CHROMIUM=/path/to/chromium); install it with: ${CHROMIUM_INSTALL}`;
  if (env.CI) throw new Error(`${message} (in CI a missing browser fails the run; .ci/run installs it)`);
  console.warn(`\nconsole tests skipped: ${message}\n`);
  return null;
}
