import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { addDays, dayString, todayIn } from '../shared/days/days';
import { fillStack, loadPaths, runLoad } from '../harness/load/load-run';
import { startLocalStack } from '../infra/local/engine/stack';
process.env.MEMBERFLOW_LOG_LEVEL = 'ERROR';
const stack = await startLocalStack({ ports: { api: 0 }, withScheduler: false, withPollers: false, prefix: 'prof-' });
try {
  const filled = await fillStack({ members: 1000, days: 30, seed: 42, start: dayString(addDays(todayIn('Asia/Shanghai'), -30)) });
  const want = process.argv[2] ?? 'GET /metrics/program';
  const route = loadPaths(filled).find((r) => r.route === want)!;
  const common = { apiUrl: stack.apiUrl!, token: stack.token!, clients: 16, durationMs: 8000, maxRequests: 600 };
  await runLoad({ ...common, paths: route.paths, maxRequests: 100 }); // warm-up
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const r = await runLoad({ ...common, paths: route.paths });
  const { profile } = await session.post('Profiler.stop');
  writeFileSync('/tmp/prog.cpuprofile', JSON.stringify(profile));
  console.log(want, JSON.stringify(r));
} finally {
  await stack.stop();
}
