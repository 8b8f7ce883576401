// `npm run bench:cpu [-- --members N --days D --seed S --start DAY] [--ports sharing] [--profile FILE]`:
// the handler CPU figure of the code as Lambda runs it. `bench/cpu-only.ts` is bundled with the
// deployed esbuild options (infra/bundling.ts: minified, ESM, no esbuild `keepNames` helpers) and
// run under the deployed NODE_OPTIONS; tsx, which runs the sources, adds its own per-closure naming
// and loader work to the figure (`npm run bench:cpu:source` measures that way, for comparison).
// `--profile` builds with readable names (identifiers not minified) for bench/profile-table.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BASE_NODE_OPTIONS, BUNDLE_BANNER, BUNDLE_MAIN_FIELDS, BUNDLE_MINIFY, BUNDLE_SOURCE_MAP, BUNDLE_TARGET } from '../infra/bundling';
import { BATCH_CODE_V8_FLAGS } from '../infra/runtime-flags';

/** What `bench/cpu-only.ts` prints as its last line. */
export interface BundledCpu {
  events: number;
  ports: string;
  v8Flags: string[];
  handlerMicrosPerEvent: number;
  passes: number[];
}

const ENTRY = fileURLToPath(new URL('./cpu-only.ts', import.meta.url));

/** Builds the measurement as deployed and runs it with `args` (cpu-only.ts's); its printed lines go to `echo`. */
export async function bundledHandlerCpu(args: readonly string[], echo?: (line: string) => void): Promise<BundledCpu> {
  const dir = mkdtempSync(path.join(tmpdir(), 'memberflow-cpu-'));
  try {
    const outfile = path.join(dir, 'cpu.mjs');
    const profiling = args.includes('--profile');
    await build({
      entryPoints: [ENTRY],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: BUNDLE_TARGET,
      mainFields: [...BUNDLE_MAIN_FIELDS],
      banner: { js: BUNDLE_BANNER },
      minify: BUNDLE_MINIFY && !profiling,
      ...(profiling ? { minifySyntax: true, minifyWhitespace: true } : {}),
      sourcemap: BUNDLE_SOURCE_MAP,
      logLevel: 'warning',
    });
    const out = execFileSync(process.execPath, [...BASE_NODE_OPTIONS, ...BATCH_CODE_V8_FLAGS, outfile, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 * 1024 * 1024,
    });
    const lines = out.trim().split('\n');
    for (const line of lines.slice(0, -1)) echo?.(line);
    return JSON.parse(lines[lines.length - 1]) as BundledCpu;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await bundledHandlerCpu(process.argv.slice(2), (line) => console.log(`${line} (bundled as deployed)`));
  console.log(JSON.stringify(result));
}
