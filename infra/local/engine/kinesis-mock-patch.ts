// kinesis-mock (kinesis-local 0.6.2, a Scala.js bundle) slows down as its shards fill: measured
// 1,445 records/s put into an empty 5-shard stream, 97 records/s at 40k records (docs/capacity.md).
// Two spots in its source are linear in the records a shard holds, per call:
//  - PutRecords groups its entries by `(shard, currentRecords)`: a hash of the tuple hashes the
//    shard's whole record Vector, once per entry (O(entries × records in the shard) per call);
//  - GetRecords finds the iterator's sequence number with `data.indexWhere` from the oldest record,
//    while a consumer that keeps up reads at the newest (O(records in the shard) per poll).
// Both are fixed by a textual patch of the bundle, written to a copy in the temp directory (the
// installed package is untouched — node_modules is hard-linked between work trees): PutRecords
// groups by shard (identity: every entry's shard comes from the same stream snapshot) and appends
// each group once; GetRecords searches from the newest record backwards (sequence numbers are unique
// within a shard, so the index found is the same). If the installed bundle does not contain the
// expected code (another version), the original runs unpatched, with a warning.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface BundlePatch {
  name: string;
  /** Code as compiled; runs of whitespace match any whitespace (indentation is not significant). */
  find: string;
  replace: string;
}

export const KINESIS_MOCK_PATCHES: readonly BundlePatch[] = [
  {
    name: 'PutRecords: group the entries by shard, not by (shard, records)',
    find: String.raw`var m = $m_scm_Map$().aE();
var it = validRecs$2.q();
while (it.r()) {
  var elem = it.o();
  matchResult9$1: {
    var key;
    if ((elem !== null)) {
      var key = $ct_T2__O__O__(new $c_T2(), elem.ev, elem.e2);
      break matchResult9$1;
    }
    throw new $c_s_MatchError(elem);
  }
  m.za(key, new $c_sr_AbstractFunction0_$$Lambda$07eded5776954a9c145e92c329afd52873ad179c((() => {
    $m_sci_Vector$();
    return new $c_sci_VectorBuilder();
  }))).aH(elem);
}
var result = $m_sci_HashMap$().Fv;
var mapIt = m.q();
while (mapIt.r()) {
  var x1 = mapIt.o();
  if ((x1 === null)) {
    throw new $c_s_MatchError(x1);
  }
  var k = x1.m();
  var v = x1.n();
  result = result.CS(k, v.aP());
}
var this$40 = result;
$m_sci_HashMap$();
var b$8 = new $c_sci_HashMapBuilder();
var it$1 = this$40.q();
while (it$1.r()) {
  var x0 = it$1.o();
  matchResult10: {
    var elem$1___1;
    var elem$1___2;
    if ((x0 !== null)) {
      var x28 = x0.m();
      if ((x28 !== null)) {
        var elem$1___1 = x28.m();
        var elem$1___2 = x28.n().w1(x0.n().al(new $c_sjsr_AnonFunction1_$$Lambda$412915ce24663401f4bc24349a746e1dbd693dc1(((_$4) => _$4.dO))));
        break matchResult10;
      }
    }
    throw new $c_s_MatchError(x0);
  }
  $p_sci_HashMapBuilder__ensureUnaliased__V(b$8);
  var h = $m_sr_Statics$().E(elem$1___1);
  var im = $m_sc_Hashing$().b4(h);
  b$8.GQ(b$8.tq, elem$1___1, elem$1___2, h, im, 0);
}
var newShards = b$8.a7c();`,
    replace: String.raw`var memberflowGroups = new Map();
var it = validRecs$2.q();
while (it.r()) {
  var elem = it.o();
  var memberflowGroup = memberflowGroups.get(elem.ev);
  if (memberflowGroup === undefined) {
    memberflowGroup = { records: elem.e2, added: new $c_sci_VectorBuilder() };
    memberflowGroups.set(elem.ev, memberflowGroup);
  }
  memberflowGroup.added.aH(elem.dO);
}
var b$8 = new $c_sci_HashMapBuilder();
memberflowGroups.forEach(function (group, shard) {
  $p_sci_HashMapBuilder__ensureUnaliased__V(b$8);
  var h = $m_sr_Statics$().E(shard);
  var im = $m_sc_Hashing$().b4(h);
  b$8.GQ(b$8.tq, shard, group.records.w1(group.added.aP()), h, im, 0);
});
var newShards = b$8.a7c();`,
  },
  {
    name: "GetRecords: find the iterator's record from the newest backwards",
    find: String.raw`var this$25 = data.q();
_return: {
  var i = 0;
  var dropped = this$25.f0(0);
  while (dropped.r()) {
    var x0 = dropped.o();
    var x$6 = x0.lh;
    var x$2$2 = b.EH;
    if (((x$6 === null) ? (x$2$2 === null) : x$6.b(x$2$2))) {
      var x14 = i;
      break _return;
    }
    i = ((1 + i) | 0);
  }
  var x14 = (-1);
}`,
    replace: String.raw`_return: {
  for (var i = ((data.y() - 1) | 0); i >= 0; i = ((i - 1) | 0)) {
    var x$6 = data.R(i).lh;
    var x$2$2 = b.EH;
    if (((x$6 === null) ? (x$2$2 === null) : x$6.b(x$2$2))) {
      var x14 = i;
      break _return;
    }
  }
  var x14 = (-1);
}`,
  },
];

function pattern(find: string): RegExp {
  const parts = find
    .trim()
    .split(/\s+/)
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(parts.join('\\s+'), 'g');
}

/** Applies every patch exactly once; throws naming the first patch that does not match once. */
export function patchBundle(source: string, patches: readonly BundlePatch[] = KINESIS_MOCK_PATCHES): string {
  let out = source;
  for (const p of patches) {
    const matches = [...out.matchAll(pattern(p.find))];
    if (matches.length !== 1) throw new Error(`kinesis-mock patch "${p.name}": expected code found ${matches.length} times`);
    const at = matches[0].index!;
    out = out.slice(0, at) + p.replace + out.slice(at + matches[0][0].length);
  }
  return out;
}

/**
 * The directory to run kinesis-mock's main.js from: a patched copy (cached by the bundle's hash),
 * or the package itself when patching is turned off (MEMBERFLOW_KINESIS_MOCK_PATCH=0) or fails.
 */
export function kinesisMockDir(packageDir: string, log: (msg: string) => void = () => undefined): string {
  if (process.env.MEMBERFLOW_KINESIS_MOCK_PATCH === '0') return packageDir;
  try {
    const original = readFileSync(path.join(packageDir, 'main.js'), 'utf8');
    const digest = createHash('sha256').update(original).update(JSON.stringify(KINESIS_MOCK_PATCHES)).digest('hex').slice(0, 16);
    const dir = path.join(os.tmpdir(), `memberflow-kinesis-mock-${digest}`);
    if (!existsSync(path.join(dir, 'main.js'))) {
      const patched = patchBundle(original);
      mkdirSync(dir, { recursive: true });
      copyFileSync(path.join(packageDir, 'server.json'), path.join(dir, 'server.json')); // read from the working directory
      const tmp = path.join(dir, `main.js.${process.pid}.tmp`);
      writeFileSync(tmp, patched);
      renameSync(tmp, path.join(dir, 'main.js')); // atomic: parallel test workers may race here
    }
    return dir;
  } catch (err) {
    log(`kinesis-mock runs unpatched (it slows down as its shards fill): ${(err as Error).message}`);
    return packageDir;
  }
}
