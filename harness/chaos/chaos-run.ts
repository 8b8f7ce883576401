// The fault-injection run (`npm run chaos`, and a small version in test/chaos/chaos.test.ts):
// a simulated month streamed through the embedded local stack — kinesis-mock, the local event
// source mapping, the real process-events handler, DynamoDB Local, the HTTP API — while faults
// are injected at every level:
//   stream     reordered records (across members), producer repeats, re-confirmed orders,
//              replayed files, poison records (harness/chaos/plan.ts);
//   handler    crashes after some member writes, DynamoDB throttling and timeouts, before or after
//              the write committed, surfaced to the handler or retried by the SDK
//              (harness/chaos/faults.ts);
//   services   kinesis-mock and DynamoDB Local stopped and restarted mid-run (with their data:
//              harness/chaos/services.ts).
//   till       members redeem coins at checkout through the API while the month streams in (some
//              twice at once), some redemptions are reversed; the API's coin transactions time out
//              after committing or are throttled, and the till retries (harness/chaos/coin-till.ts).
// Then every member (activity, points, tier, coins and coin ledger) and every daily, retention,
// session, channel and coin figure is read back through the HTTP API and compared with the
// independent oracles (harness/oracle/activity-oracle.ts, harness/reference/points-reference.ts via
// points-oracle.ts, harness/reference/coins-reference.ts via coins-oracle.ts).
// The goal: zero differences.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setDocumentClient } from '../../functions/adapters/clients';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient, kinesisClient, sleep } from '../../infra/local/engine/aws';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { synthTemplate } from '../../infra/synth';
import { addDays, dayString, MS_PER_DAY, todayIn, zoneOffsetMs } from '../../shared/days/days';
import { eventsToJsonLines, operatorMerges, simulate, withIdentities } from '../../simulator';
import { buildActivityOracle, type OracleEvent } from '../oracle/activity-oracle';
import { installRetryClock } from './chaos-process-events';
import { type ChaosOptions, type ChaosReport, FAULT_KINDS, type FaultKind } from './chaos-report';
import { compareCoins } from './coin-compare';
import { Till } from './coin-till';
import { api, Differ, forEachLimited } from './compare';
import { DEFAULT_RATES, FaultController, installController, TILL_FAULTS } from './faults';
import { buildPlan } from './plan';
import { buildPointsOracle } from './points-oracle';
import { BucketReplay } from './replay-bucket';
import { notAppliedBeforeReplay, placeKey, quarantinedThenApplied, replayOrder, userPlaces, type QuarantineListing } from './replay-order';
import { type ChaosServices, startChaosServices } from './services';
import { readStream, readStreamRecords, sendAggregated, sendRecords } from './stream-io';
import { actionKey, expectedActions } from './actions-oracle';

const TIMEZONE = 'Asia/Shanghai';
const WRAPPER_ENTRY = fileURLToPath(new URL('./chaos-process-events.ts', import.meta.url));
const API_WRAPPER_ENTRY = fileURLToPath(new URL('./chaos-api.ts', import.meta.url));

/** Five minutes past the next midnight in the programme's time zone (a retry that lands on the next day). */
function afterNextMidnight(now: number): number {
  const next = (todayIn(TIMEZONE, now) + 1) * MS_PER_DAY;
  return next - zoneOffsetMs(TIMEZONE, next) + 5 * 60_000;
}

// ---- the run -------------------------------------------------------------------------------

/** Every item of a table (small ones: the quarantine). */
async function scanAll(stack: LocalStack, table: string): Promise<QuarantineListing[]> {
  const doc = DynamoDBDocumentClient.from(dynamoClient(stack.endpoints));
  const out: QuarantineListing[] = [];
  try {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey }));
      for (const item of page.Items ?? []) out.push(item as QuarantineListing);
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  } finally {
    doc.destroy();
  }
  return out;
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const debug = opts.debug ?? (() => undefined);
  const today = todayIn(TIMEZONE);
  const from = opts.start ?? dayString(addDays(today, -opts.days));
  const to = addDays(from, opts.days - 1);
  if (to >= dayString(today)) throw new Error(`the simulated month must end before today (${dayString(today)}); it ends ${to}`);

  const simulated = [...simulate({ members: opts.members, days: opts.days, seed: opts.seed, start: from, timezone: TIMEZONE })];
  const events = opts.identities ? withIdentities(simulated, { seed: opts.seed }) : simulated;
  const lines = [...eventsToJsonLines(events)];
  const merges = opts.merges ? operatorMerges(events, { seed: opts.seed, count: opts.merges }) : [];
  const restartable = !opts.endpoints;
  const plan = buildPlan(lines, { seed: opts.seed, chunkSize: opts.chunkSize, restarts: { kinesis: restartable, dynamodb: restartable } });
  let arrivals: OracleEvent[] = [];
  /** The line of each arrival. */
  const arrivalTexts: string[] = [];
  let recordsSent = 0;
  for (const step of plan.steps)
    if (step.kind === 'records')
      for (const r of step.records) {
        recordsSent++;
        if (r.event) {
          arrivals.push(r.event as OracleEvent);
          arrivalTexts.push(r.data.toString('utf8'));
        }
      }
  log(
    `simulated ${lines.length} events of ${opts.members} members, ${from} … ${to}; plan: ${recordsSent} records in ${plan.steps.filter((s) => s.kind === 'records').length} sends, ${plan.counts.restarts} restarts`,
  );

  let services: ChaosServices | undefined;
  let stack: LocalStack | undefined;
  const restarts: ChaosReport['restarts'] = { kinesisOutageMs: null, dynamodbOutageMs: null, dynamodbRestartedAfterRecords: null };
  try {
    if (!opts.endpoints) services = await startChaosServices({ log });
    const endpoints = opts.endpoints ?? services!.endpoints;

    // The same template, with ProcessEventsFunction's handler wrapped by the fault controller.
    const template = synthTemplate({ timezone: TIMEZONE }) as Record<string, any>;
    template.Resources.ProcessEventsFunction.Metadata['memberflow:entry'] = WRAPPER_ENTRY;
    template.Resources.ApiFunction.Metadata['memberflow:entry'] = API_WRAPPER_ENTRY;
    stack = await attachLocalStack({
      endpoints,
      template,
      prefix: `chaos${process.pid}x${randomBytes(3).toString('hex')}-`,
      apiPort: 0,
      token: randomBytes(18).toString('base64url'),
      withScheduler: false,
      mappingOverrides: {
        maximumBatchingWindowInSeconds: opts.batchWindowSeconds ?? 1,
        ...(opts.maxRetries === undefined ? {} : { maximumRetryAttempts: opts.maxRetries }),
      },
      // Backoff between retries of a failed batch: 0.5, 1, 2, 2, 2 s — the five retries span a
      // DynamoDB Local restart (a JVM start, several seconds on a busy machine).
      pollerOptions: { retryBaseMs: 500, growRetries: opts.growRetries ?? false },
      log: debug,
    });
    const faulty = new FaultController(opts.seed, stack.names.tables.MembersTable, { ...DEFAULT_RATES, ...opts.rates });
    installController(faulty);
    const retryClock = installRetryClock(opts.retryAfterMidnight ? afterNextMidnight : undefined);
    setDocumentClient(faulty.documentClient(endpoints.dynamodb));
    faulty.enabled = true;
    const mapping = stack.poller!.mappings[0];
    const kin = kinesisClient(endpoints);
    const stream = stack.names.streams.EventsStream;
    // The till needs each member's records on the stream one by one (to place its operations):
    // not with aggregated records.
    const till = opts.aggregate ? null : new Till(stack, opts.seed);
    till?.start();

    try {
      // Planned handler faults pause while a service restarts, so that the outage alone is what
      // the retries have to ride out.
      let dynamoRestart: Promise<void> | undefined;
      let sent = 0;
      let reported = 0;
      let aggregatedRecords = 0;
      for (const step of plan.steps) {
        if (step.kind === 'records') {
          if (opts.aggregate) aggregatedRecords += await sendAggregated(kin, stream, step.records);
          else await sendRecords(kin, stream, step.records);
          till?.noteSent(step.records);
          sent += step.records.length;
          debug(`sent ${step.label} (${step.records.length} records); consumer at ${mapping.stats.recordsDelivered} deliveries`);
          if (sent - reported >= recordsSent / 5) {
            reported = sent;
            log(
              `sent ${sent}/${recordsSent} records (${((Date.now() - t0) / 1000).toFixed(0)} s); consumer at ${mapping.stats.recordsDelivered} deliveries`,
            );
          }
          continue;
        }
        faulty.paused = true;
        if (step.service === 'kinesis') {
          // The producer waits for it (records put while kinesis-mock is down would fail).
          await dynamoRestart;
          restarts.kinesisOutageMs = await services!.restartKinesis({ quiesce: () => faulty.hold() });
          log(`kinesis-mock restarted (outage ${restarts.kinesisOutageMs} ms)`);
          await sleep(500);
          faulty.paused = false;
        } else {
          // DynamoDB Local goes down while records keep arriving and the consumer keeps working.
          restarts.dynamodbRestartedAfterRecords = mapping.stats.recordsDelivered;
          dynamoRestart = services!.restartDynamo().then(async (outage) => {
            restarts.dynamodbOutageMs = outage;
            log(`DynamoDB Local restarted (outage ${outage} ms, ${restarts.dynamodbRestartedAfterRecords} deliveries before it)`);
            await sleep(500);
            faulty.paused = false;
          });
          dynamoRestart.catch(() => undefined); // awaited below; a failure surfaces there
        }
      }
      await dynamoRestart;
      log(`all ${recordsSent} records sent in ${((Date.now() - t0) / 1000).toFixed(1)} s; draining`);
      await stack.drain({ timeoutMs: 900_000 });
      till?.stop();
      await till?.settle();

      // Runbook: replay whatever reached the on-failure destination, round after round (replay-bucket.ts).
      const replay = new BucketReplay(stack, kin, stream, log);
      let mergesAccepted = 0;
      await replay.run();
      // Today's coins job (its commands still meet the consumer's faults): every lot due by today booked.
      log(`coins job: ${JSON.stringify(await stack.runJob('coins', dayString(today)))}`);
      await stack.drain({ timeoutMs: 900_000 });
      // The operator merges, through the API (its faults on): a retry with the same mergeId is the same request.
      for (const m of merges) {
        for (let attempt = 1; attempt <= 8; attempt++) {
          const res = await fetch(`${stack.apiUrl}/members/${encodeURIComponent(m.into)}/merge`, {
            method: 'POST',
            headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ mergeId: m.mergeId, fromMemberId: m.from }),
          });
          if (res.status === 202) {
            mergesAccepted++;
            break;
          }
          if (res.status < 500) throw new Error(`merge ${m.mergeId}: HTTP ${res.status} ${await res.text()}`);
        }
      }
      if (merges.length) {
        log(`operator merges: ${mergesAccepted} of ${merges.length} accepted; draining`);
        await stack.drain({ timeoutMs: 900_000 });
      }
      // What the coins job and the merges had given up.
      await replay.run();
      faulty.enabled = false;

      // ---- compare with the oracles ----
      log('comparing every member and figure with the oracles');
      // The events as the consumer met them: a given-up record no attempt applied arrives with the
      // replay, and every replay's copy is an arrival (harness/chaos/replay-order.ts).
      const streamRecords = await readStreamRecords(kin, stream);
      const failed = replay.rounds[0] ?? [];
      /** Each round's places (first places, or an earlier replay's copies) given up before any attempt applied them. */
      const unappliedByRound = replay.rounds.map((round) => notAppliedBeforeReplay(round, faulty.committedMemberWrites));
      const notApplied = unappliedByRound[0] ?? new Set<string>();
      const unapplied = new Set(unappliedByRound.flatMap((places) => [...places]));
      const origins = (places: Iterable<string>) => new Set([...places].map((place) => replay.origin(place)));
      arrivals = replayOrder(
        arrivals,
        arrivalTexts,
        streamRecords,
        notApplied,
        replay.rounds.map((round, k) => ({
          replayed: origins(round.flatMap(userPlaces)),
          givenUpUnapplied: origins(unappliedByRound[k + 1] ?? []),
        })),
      );
      if (failed.length)
        log(
          `given-up user records no attempt had applied: ${notApplied.size} (of ${failed.length} given-up Kinesis records; they arrive with the replay)`,
        );
      const activity = buildActivityOracle(arrivals, TIMEZONE, merges);
      // A member's points reference starts on the person's first day (its joinedOn, its base tier's
      // tierSince: shared/identity/fold.ts); a member merged away is taken as of its own ids.
      const own = merges.length ? buildActivityOracle(arrivals, TIMEZONE) : activity;
      const points = buildPointsOracle(arrivals, TIMEZONE);
      const mergedFrom = new Map(merges.map((m) => [m.into, m.from]));
      const ownJoined = (memberId: string) => (activity.member(memberId) ?? own.member(memberId))!.joinedOn;
      /** The points view of a member (as of `to`), with the member merged into it if any. */
      const pointsOf = (memberId: string) => {
        const from = mergedFrom.get(memberId);
        if (!from) return points.member(memberId, ownJoined(memberId), to);
        return points.merged(
          { memberId, joinedOn: ownJoined(memberId) },
          { memberId: from, joinedOn: ownJoined(from) },
          dayString(today),
          to,
        );
      };
      const differ = new Differ();
      // Persons who are members (a visitor, never identified, is none).
      const memberIds = activity.memberIds().filter((id) => !id.startsWith('anon\u0000'));
      let memberFields = 0;
      await forEachLimited(memberIds, 8, async (memberId) => {
        const res = await api(stack!, `/members/${encodeURIComponent(memberId)}?asOf=${to}`);
        if (res.status !== 200) {
          differ.compare(`member ${memberId}: status`, 200, res.status);
          return;
        }
        const a = activity.member(memberId)!;
        const expected = { ...a, ...pointsOf(memberId) };
        const actual = Object.fromEntries(Object.keys(expected).map((k) => [k, res.body[k]]));
        memberFields += Object.keys(expected).length;
        differ.compare(`member ${memberId}`, expected, actual);
      });
      // A member merged away answers 404 merged_into, naming the member kept.
      for (const m of merges) {
        const res = await api(stack, `/members/${encodeURIComponent(m.from)}`);
        differ.compare(
          `member ${m.from} (merged away)`,
          { status: 404, mergedInto: m.into },
          { status: res.status, mergedInto: res.body?.error?.mergedInto },
        );
      }
      for (const ghost of plan.poisonOnlyMembers) {
        differ.compare(
          `member ${ghost} (named only by poison records): status`,
          404,
          (await api(stack, `/members/${ghost}?asOf=${to}`)).status,
        );
      }
      const daily = await api(stack, `/metrics/daily?from=${from}&to=${to}`);
      differ.compare('daily', activity.daily(from, to), daily.body?.days);
      const retention = await api(stack, `/metrics/retention?from=${from}&to=${to}`);
      differ.compare('retention', activity.retention(from, to), retention.body?.cohorts);
      const sessions = await api(stack, `/metrics/sessions?from=${from}&to=${to}`);
      differ.compare('sessions', activity.sessions(from, to), sessions.body?.days);
      const channels = await api(stack, `/metrics/retention-by-channel?from=${from}&to=${to}`);
      differ.compare(
        'retention-by-channel',
        activity.retentionByChannel(from, to),
        (channels.body?.channels ?? []).map(({ channel, size, d1, d7, d30 }: any) => ({ channel, size, d1, d7, d30 })),
      );
      const program = await api(stack, '/metrics/program');
      const byTier: Record<string, number> = { member: 0, silver: 0, gold: 0, platinum: 0 };
      for (const memberId of memberIds) byTier[pointsOf(memberId).tier]++;
      differ.compare('program', { members: memberIds.length, byTier }, { members: program.body?.members, byTier: program.body?.byTier });

      const validData = new Set<string>();
      for (const step of plan.steps)
        if (step.kind === 'records') for (const r of step.records) if (r.event) validData.add(r.data.toString('utf8'));
      // Outbound actions, every kind (harness/chaos/actions-oracle.ts): each action once by its
      // deterministic id (published at least once: repeats of an id carry one content), none missing,
      // none extra — from the events stream as the consumer met it (order and arrival days).
      const actionRecords = await readStream(kin, stack.names.streams.ActionsStream);
      const expectedByMember = expectedActions(
        streamRecords.filter((r) => !unapplied.has(placeKey(r.shardId, r.seq))),
        validData,
        {
          timeZone: TIMEZONE,
          joinedOn: (memberId) => (activity.member(memberId) ?? own.member(memberId))?.joinedOn,
          coinsJobDay: dayString(today),
        },
      );
      kin.destroy();
      const byActionId = new Map<string, string>();
      const actualByMember = new Map<string, Map<string, string>>();
      let actionIdConflicts = 0;
      for (const a of actionRecords) {
        const content = JSON.stringify(a);
        const seen = byActionId.get(a.actionId);
        if (seen !== undefined && seen !== content) actionIdConflicts++;
        byActionId.set(a.actionId, content);
        if (!actualByMember.has(a.memberId)) actualByMember.set(a.memberId, new Map());
        actualByMember.get(a.memberId)!.set(a.actionId, actionKey(a));
      }
      differ.compare('actions: one actionId, one content', 0, actionIdConflicts);
      const actionKinds = { expected: {} as Record<string, number>, actual: {} as Record<string, number> };
      const countKind = (into: Record<string, number>, key: string) => {
        const kind = key.slice(0, key.indexOf('|'));
        into[kind] = (into[kind] ?? 0) + 1;
      };
      for (const memberId of [...new Set([...expectedByMember.keys(), ...actualByMember.keys()])].sort()) {
        const expected = expectedByMember.get(memberId) ?? [];
        const actual = [...(actualByMember.get(memberId)?.values() ?? [])].sort();
        for (const key of expected) countKind(actionKinds.expected, key);
        for (const key of actual) countKind(actionKinds.actual, key);
        differ.compare(`actions of ${memberId}`, expected, actual);
      }

      const coins = till
        ? await compareCoins({
            stack,
            api,
            differ,
            till,
            kin,
            validData,
            notApplied: unapplied,
            timeZone: TIMEZONE,
            from,
            today: dayString(today),
            merges,
          })
        : null;

      const quarantine = await api(stack, '/quarantine?limit=1000');
      const byReason: Record<string, number> = {};
      for (const q of quarantine.body ?? []) byReason[q.reason] = (byReason[q.reason] ?? 0) + 1;
      // The plan's bad records, and the refunds a replay put before their purchase (the points oracle's).
      const expectedByReason = { ...plan.counts.poisonByReason };
      if (points.unknownOrderRefunds) expectedByReason.unknown_order = (expectedByReason.unknown_order ?? 0) + points.unknownOrderRefunds;
      // A bad record replayed from the bucket is listed again under its new place (the API shows no
      // places: the table does): a listing whose first place is listed too is the same record.
      if (replay.records) {
        const items = await scanAll(stack, stack.names.tables.QuarantineTable);
        // A refund an attempt of a given-up batch quarantined, and the replay applied after its purchase.
        const thenApplied = quarantinedThenApplied(items, unapplied, points.appliedRefund, (place) => replay.origin(place));
        if (thenApplied) {
          expectedByReason.unknown_order = (expectedByReason.unknown_order ?? 0) + thenApplied;
          log(`refunds an attempt of a given-up batch quarantined and the replay applied: ${thenApplied}`);
        }
        // One listing per record: the others of the same first place (any round's replay) are repeats.
        const seen = new Set<string>();
        for (const q of items) {
          const record = `${q.reason}\u0000${replay.origin(placeKey(q.shardId, q.seq))}`;
          if (seen.has(record)) byReason[q.reason]--;
          else seen.add(record);
        }
      }
      const sortKeys = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
      const expectedQuarantined = Object.values(expectedByReason).reduce((a, b) => a + b, 0);
      differ.compare('quarantine by reason', sortKeys(expectedByReason), sortKeys(byReason));

      const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
      faults.reordered_records = plan.counts.reorderedRecords;
      faults.duplicate_record = plan.counts.duplicates;
      faults.reconfirmed_order = plan.counts.reconfirmedOrders;
      faults.replayed_file = plan.counts.replays;
      faults.poison_record = plan.counts.poison;
      for (const [k, v] of Object.entries(faulty.counts)) faults[k as FaultKind] = v;
      faults.kinesis_restart = restarts.kinesisOutageMs === null ? 0 : 1;
      faults.dynamodb_restart = restarts.dynamodbOutageMs === null ? 0 : 1;

      const stats = mapping.stats;
      const report: ChaosReport = {
        members: opts.members,
        days: opts.days,
        seed: opts.seed,
        window: { from, to },
        events: {
          simulated: lines.length,
          recordsSent,
          validRecords: arrivals.length,
          duplicates: plan.counts.duplicates,
          reconfirmedOrders: plan.counts.reconfirmedOrders,
          replays: plan.counts.replays,
          replayedRecords: plan.counts.replayedRecords,
          replayLeftOut: plan.counts.replayLeftOut,
          reorderedRecords: plan.counts.reorderedRecords,
          poison: plan.counts.poison,
          kinesisRecords: opts.aggregate ? aggregatedRecords : recordsSent,
        },
        faults,
        // Without the till (aggregated records) its faults cannot happen.
        faultKindsMissing: FAULT_KINDS.filter((k) => faults[k] === 0 && (till || !(TILL_FAULTS as readonly string[]).includes(k))),
        delivery: {
          invocations: stats.invocations,
          failedInvocations: stats.failedInvocations,
          recordsDelivered: stats.recordsDelivered,
          // Deliveries count Kinesis records (an aggregate once).
          recordsRetried: stats.recordsDelivered - (opts.aggregate ? aggregatedRecords : recordsSent) - replay.records,
          toDestination: stats.recordsToDestination,
          replayedFromDestination: replay.records,
          replayRounds: replay.rounds.length,
          grownRetries: stats.grownRetries,
          recordsAddedOnRetry: stats.recordsAddedOnRetry,
          retriesAfterMidnight: retryClock?.retries ?? 0,
        },
        quarantined: {
          expected: expectedQuarantined,
          // Distinct records: a bad record replayed from the bucket is listed twice (above).
          actual: Object.values(byReason).reduce((a, b) => a + b, 0),
          listed: (quarantine.body ?? []).length,
          byReason: sortKeys(byReason),
          expectedByReason: sortKeys(expectedByReason),
        },
        restarts,
        compared: {
          members: memberIds.length,
          memberFields,
          days: opts.days,
          cohorts: opts.days,
          figures: differ.figures,
          actions: actionKinds,
          actionRecords: actionRecords.length,
        },
        coins,
        identity:
          opts.identities || merges.length
            ? {
                anonymousIds: new Set(arrivals.flatMap((e) => (e.anonymousId && e.type !== 'identify' ? [e.anonymousId] : []))).size,
                identifies: arrivals.filter((e) => e.type === 'identify').length,
                merges: merges.length,
                mergesAccepted,
              }
            : null,
        differences: differ.differences.length,
        sampleDifferences: differ.differences.slice(0, 20),
        durationMs: Date.now() - t0,
      };
      return report;
    } finally {
      till?.stop();
      kin.destroy();
      faulty.enabled = false;
      installController(undefined);
      installRetryClock(undefined);
      setDocumentClient(undefined);
    }
  } finally {
    await stack?.stop();
    await services?.stop();
  }
}
