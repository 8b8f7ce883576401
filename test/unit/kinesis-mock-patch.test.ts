// The kinesis-mock patch (infra/local/engine/kinesis-mock-patch.ts) applies to the installed bundle:
// each patch finds its code exactly once, and the patched bundle still compiles. An upgrade of
// kinesis-local that moves the code fails here (the local stack would run unpatched and slow).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { KINESIS_MOCK_PATCHES, kinesisMockDir, patchBundle } from '../../infra/local/engine/kinesis-mock-patch';

const require = createRequire(import.meta.url);
const pkgDir = path.dirname(require.resolve('kinesis-local/package.json'));
const bundle = readFileSync(path.join(pkgDir, 'main.js'), 'utf8');

describe('kinesis-mock patch', () => {
  it('finds each patched spot exactly once in the installed bundle, and the result compiles', () => {
    const patched = patchBundle(bundle);
    for (const p of KINESIS_MOCK_PATCHES) expect(patched).toContain(p.replace);
    expect(patched).not.toContain('$ct_T2__O__O__(new $c_T2(), elem.ev, elem.e2)'); // the (shard, records) key
    expect(() => new vm.Script(patched.replace(/^#!.*\n/, ''), { filename: 'main.js' })).not.toThrow();
  });

  it('refuses a bundle without the expected code, naming the patch', () => {
    expect(() => patchBundle('console.log(1)')).toThrow(/PutRecords: group the entries by shard.*found 0 times/);
    const twice = bundle + '\n' + KINESIS_MOCK_PATCHES[1].find;
    expect(() => patchBundle(twice)).toThrow(/GetRecords.*found 2 times/);
  });

  it('runs the patched copy from a temp directory beside its server.json, or the package when turned off', () => {
    const dir = kinesisMockDir(pkgDir);
    expect(dir).not.toBe(pkgDir);
    expect(readFileSync(path.join(dir, 'main.js'), 'utf8')).toBe(patchBundle(bundle));
    expect(readFileSync(path.join(dir, 'server.json'), 'utf8')).toBe(readFileSync(path.join(pkgDir, 'server.json'), 'utf8'));
    process.env.MEMBERFLOW_KINESIS_MOCK_PATCH = '0';
    try {
      expect(kinesisMockDir(pkgDir)).toBe(pkgDir);
    } finally {
      delete process.env.MEMBERFLOW_KINESIS_MOCK_PATCH;
    }
  });
});
