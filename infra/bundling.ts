// How the handlers are bundled, in one place without CDK imports: the stack's NodejsFunctions
// (infra/constructs/handler.ts) and the benchmark that times the handler as deployed
// (bench/cpu-bundle.ts) build with the same esbuild options.

/** esbuild's target for the Lambda runtime (nodejs22.x). */
export const BUNDLE_TARGET = 'node22';

/** Prefer packages' ES modules. */
export const BUNDLE_MAIN_FIELDS: readonly string[] = ['module', 'main'];

/**
 * Bundled CommonJS dependencies still call require(); the ESM output gives them one (under a name
 * no module's own `createRequire` takes when identifiers are not minified: a profiling build).
 */
export const BUNDLE_BANNER =
  "import { createRequire as bannerCreateRequire } from 'module';const require = bannerCreateRequire(import.meta.url);";

/** Minified, with a source map (NODE_OPTIONS has `--enable-source-maps`: stack traces point at the sources). */
export const BUNDLE_MINIFY = true;
export const BUNDLE_SOURCE_MAP = true;

/** NODE_OPTIONS of every handler before its own V8 flags (infra/runtime-flags.ts). */
export const BASE_NODE_OPTIONS: readonly string[] = ['--enable-source-maps'];
