// The adapters behind the domain's ports, wired from the environment.
import { ActionsPublisher } from './actions-publisher';
import { documentClient, kinesisClient } from './clients';
import { resourceNames } from './config';
import { DynamoLedger } from './ledger-store';
import { MemberStore } from './member-store';
import { MetricsStore } from './metrics-store';
import { QuarantineStore } from './quarantine-store';
import { SegmentStore } from './segment-store';

export function stores() {
  const client = documentClient();
  const names = resourceNames();
  const metrics = new MetricsStore(client, names.metricsTable);
  return {
    hints: metrics,
    members: new MemberStore(client, names.membersTable),
    ledger: new DynamoLedger(client, names.ledgerTable),
    quarantine: new QuarantineStore(client, names.quarantineTable),
    metrics,
    segments: new SegmentStore(client, names.metricsTable),
    actions: new ActionsPublisher(kinesisClient(), names.actionsStream),
  };
}
