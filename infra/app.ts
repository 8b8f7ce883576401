import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseProgram } from '../shared/programme/schema';
import { ensureConsoleAssets } from './build-console';
import { MemberflowStack, REPO_ROOT } from './memberflow-stack';

const DEFAULT_TIMEZONE = 'Asia/Shanghai';

/**
 * The programme to inline: `MEMBERFLOW_PROGRAM` (a path, which must exist) or
 * `programme/default.json`. It is validated here so a bad programme fails `cdk synth`, not a
 * Lambda cold start.
 */
function loadProgramme(): { json?: string; timezone?: string } {
  const explicit = process.env.MEMBERFLOW_PROGRAM;
  const file = explicit ? path.resolve(explicit) : path.join(REPO_ROOT, 'programme/default.json');
  if (!existsSync(file)) {
    if (explicit) throw new Error(`MEMBERFLOW_PROGRAM=${explicit}: file not found`);
    return {};
  }
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  let program: { timezone?: string };
  try {
    program = parseProgram(raw);
  } catch (err) {
    throw new Error(`invalid programme ${file}: ${(err as Error).message}`);
  }
  // Inline the file as written (minified); handlers run it through the same parser.
  return { json: JSON.stringify(raw), timezone: program.timezone };
}

// The api function's bundle inlines the console's (build output, not committed): built from console/ first.
await ensureConsoleAssets();
const programme = loadProgramme();
const app = new App();
new MemberflowStack(app, 'Memberflow', {
  programJson: programme.json,
  timezone: programme.timezone ?? process.env.MEMBERFLOW_TZ ?? DEFAULT_TIMEZONE,
});
// cdk-nag v3 runs as a policy-validation plugin (it replaced the v2 Aspect); any unacknowledged
// finding fails `cdk synth`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
