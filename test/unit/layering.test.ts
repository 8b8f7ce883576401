// The layering rule (docs/architecture.md) on the real source tree, and proof that the checker
// catches each kind of breach: synthetic files in a scratch folder, each breaking one rule.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildGraph, checkImports, findCycles, importsOf, layeringViolations } from '../../tools/import-graph';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('the repository', () => {
  it('keeps the layering rule and has no import cycle', () => {
    const result = checkImports(buildGraph(repoRoot));
    expect(result.files).toBeGreaterThan(50); // the walk found the sources
    expect(result.violations.map((v) => `${v.edge.from}:${v.edge.line} → ${v.edge.specifier}`)).toEqual([]);
    expect(result.cycles).toEqual([]);
    expect(result.staleTolerations).toEqual([]);
  });

  it('keeps every Lambda handler (functions/*.ts) to wiring: at most 40 lines, no AWS SDK of its own', () => {
    const dir = path.join(repoRoot, 'functions');
    const handlers = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(handlers.length).toBeGreaterThan(8);
    const text = (f: string) => readFileSync(path.join(dir, f), 'utf8');
    expect(handlers.filter((f) => text(f).trimEnd().split('\n').length > 40)).toEqual([]);
    expect(handlers.filter((f) => importsOf(f, text(f)).some((i) => i.specifier.startsWith('@aws-sdk/')))).toEqual([]);
  });
});

describe('the checker', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'layering-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const tree = (files: Record<string, string>) => {
    const root = mkdtempSync(path.join(scratch, 't-'));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    }
    return buildGraph(root);
  };
  const breaches = (files: Record<string, string>) => layeringViolations(tree(files)).map((v) => `${v.edge.from} → ${v.edge.specifier}`);

  it('sees every form of import', () => {
    const src = [
      `import type { A } from './a';`,
      `import { type B, c } from './b';`,
      `import './side';`,
      `export { x } from './x';`,
      `export type { Y } from './y';`,
      `export * from './star';`,
      `const m = await import('./dyn');`,
      `const n = require('./req');`,
      `type T = import('./typeimp').Z;`,
      `const s = "import('./in-a-string')"; // import './in-a-comment'`,
    ].join('\n');
    expect(importsOf('f.ts', src).map((i) => i.specifier)).toEqual([
      './a',
      './b',
      './side',
      './x',
      './y',
      './star',
      './dyn',
      './req',
      './typeimp',
    ]);
  });

  it('flags shared/ importing anything outside shared/ (any other folder, new ones too) or the AWS SDK (type-only imports included)', () => {
    expect(
      breaches({
        'shared/a.ts': `import { put } from '../functions/adapters/store';\nimport type { Context } from 'aws-lambda';`,
        'shared/b.ts': `import type { X } from '../test/support/x';\nimport { DynamoDBClient } from '@aws-sdk/client-dynamodb';`,
        'shared/c.ts': `import { Logger } from '@aws-lambda-powertools/logger';\nimport { s } from '../infra/stack';\nimport { b } from '../bench/run';`,
        'shared/d.ts': `import { simulate } from '../simulator/simulate';`,
        'simulator/simulate.ts': 'export const simulate = 1;',
        'shared/ok.ts': `import { z } from 'zod';\nimport { a } from './a';`,
        'functions/adapters/store.ts': 'export const put = 1;',
        'test/support/x.ts': 'export type X = 1;',
        'infra/stack.ts': 'export const s = 1;',
        'bench/run.ts': 'export const b = 1;',
      }),
    ).toEqual([
      'shared/a.ts → ../functions/adapters/store',
      'shared/a.ts → aws-lambda',
      'shared/b.ts → ../test/support/x',
      'shared/b.ts → @aws-sdk/client-dynamodb',
      'shared/c.ts → @aws-lambda-powertools/logger',
      'shared/c.ts → ../infra/stack',
      'shared/c.ts → ../bench/run',
      'shared/d.ts → ../simulator/simulate',
    ]);
  });

  it('flags functions/ importing infra/ or test/, and infra/ importing test/', () => {
    expect(
      breaches({
        'functions/api.ts': `import { s } from '../infra/stack';\nimport { t } from '../test/t';\nimport { DynamoDBClient } from '@aws-sdk/client-dynamodb';`,
        'infra/local/cli.ts': `const { t } = await import('../../test/t');\nimport { api } from '../../functions/api';`,
        'infra/stack.ts': 'export const s = 1;',
        'test/t.ts': `export const t = 1;\nimport { s } from '../infra/stack';`,
      }),
    ).toEqual(['functions/api.ts → ../infra/stack', 'functions/api.ts → ../test/t', 'infra/local/cli.ts → ../../test/t']);
  });

  it('finds an import cycle, including one closed by a type-only import', () => {
    const edges = tree({
      'shared/member.ts': `import { facts } from './member-facts';`,
      'shared/member-facts.ts': `import { view } from './member-view';`,
      'shared/member-view.ts': `import type { Member } from './member';`,
      'shared/leaf.ts': `import { facts } from './member-facts';`,
    });
    expect(findCycles(edges)).toEqual([['shared/member-facts.ts', 'shared/member-view.ts', 'shared/member.ts', 'shared/member-facts.ts']]);
    expect(checkImports(edges, { layering: [], cycleFiles: [] }).cycles).toHaveLength(1);
  });

  it('reports a tolerated breach that is gone, so the tolerance list cannot go stale', () => {
    const edges = tree({ 'shared/a.ts': 'export const a = 1;' });
    expect(checkImports(edges, { layering: ['shared/a.ts -> aws-lambda'], cycleFiles: [] }).staleTolerations).toEqual([
      'shared/a.ts -> aws-lambda',
    ]);
  });

  it('fails loudly on an import it cannot resolve', () => {
    expect(() => tree({ 'shared/a.ts': `import { gone } from './gone';` })).toThrow(/cannot resolve '.\/gone'/);
  });
});
