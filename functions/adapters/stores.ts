// The adapters behind the domain's ports, wired from the environment.
import type { ExportPorts, LogPort } from '../../shared/exports/ports';
import type { JobPorts } from '../../shared/jobs/ports';
import { ActionsPublisher } from './actions-publisher';
import { documentClient, kinesisClient, s3Client } from './clients';
import { resourceNames } from './config';
import { commandKey } from './command-key';
import { putJsonRecords } from './events-producer';
import { ExportObjectWriter, PART_BYTES } from './export-file';
import { exportsStore } from './exports-table';
import { JobProgressStore, ReviewIndex } from './job-stores';
import { DynamoLedger } from './ledger-store';
import { MemberStore } from './member-store';
import { MetricsStore } from './metrics-store';
import { QuarantineStore } from './quarantine-store';
import { SegmentStore } from './segment-store';
import { segmentsListedFromMembers } from '../../shared/segments/segments';
import { loadProgram } from '../../shared/programme/load';
import { StreamShards } from './stream-shards';

export function stores() {
  const client = documentClient();
  const names = resourceNames();
  const metrics = new MetricsStore(client, names.metricsTable);
  const eventsStream = new StreamShards(kinesisClient(), names.eventsStream);
  const ledger = new DynamoLedger(client, names.ledgerTable);
  return {
    hints: metrics,
    members: new MemberStore(client, names.membersTable, names.ledgerTable),
    ledger,
    till: ledger,
    quarantine: new QuarantineStore(client, names.quarantineTable),
    metrics,
    segments: new SegmentStore(client, names.metricsTable, {
      table: names.membersTable,
      segments: segmentsListedFromMembers(loadProgram()),
    }),
    actions: new ActionsPublisher(kinesisClient(), names.actionsStream),
    // Aggregated sub-records of another shard's members: found by hash range, forwarded there.
    shards: eventsStream,
    forward: eventsStream,
  };
}

/** The daily jobs' ports: members and hints read, commands put on EventsStream, own progress. */
export function jobPorts(): JobPorts {
  const client = documentClient();
  const names = resourceNames();
  const { members, hints } = stores();
  return {
    members,
    hints,
    // Signed with the stack's command key: the consumer applies no command without it.
    commands: {
      put: async (commands) => {
        const signer = await commandKey();
        await putJsonRecords(
          kinesisClient(),
          names.eventsStream,
          commands.map((c) => signer.sign(c)),
        );
      },
    },
    progress: new JobProgressStore(client, names.metricsTable),
    reviewIndex: new ReviewIndex(client, names.membersTable),
    coinDue: hints.coinDue,
    now: Date.now,
  };
}

/** The export use case's ports; the file is an S3 object in ExportsBucket written part by part. */
export function exportPorts(log: LogPort): ExportPorts {
  const { members, segments } = stores();
  const partBytes = Number(process.env.MEMBERFLOW_EXPORT_PART_BYTES) || PART_BYTES;
  return {
    records: exportsStore(),
    openFile: (key, headers) => new ExportObjectWriter(s3Client(), resourceNames().exportsBucket, key, headers, partBytes),
    members,
    segments,
    log,
    now: Date.now,
  };
}
