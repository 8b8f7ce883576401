// `npm run lint:imports`: fails on an import that breaks the layering rule or closes a loop
// (the rule: docs/architecture.md; the checker: tools/import-graph.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGraph, checkImports, describeViolation } from './import-graph';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const t0 = Date.now();
const result = checkImports(buildGraph(repoRoot));
for (const v of result.violations) console.error(`layering: ${describeViolation(v)}`);
for (const c of result.cycles) console.error(`cycle: ${c.join(' → ')}`);
for (const s of result.staleTolerations) console.error(`tolerated breach no longer exists, remove it from TOLERATED: ${s}`);
const failures = result.violations.length + result.cycles.length + result.staleTolerations.length;
console.log(
  `imports: ${result.edges} in ${result.files} files; ${result.violations.length} layering violations, ${result.cycles.length} cycles (${Date.now() - t0} ms)`,
);
if (failures) process.exit(1);
