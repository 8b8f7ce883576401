// Resource names from the environment (CDK sets them in AWS, the local runtime locally).
export interface ResourceNames {
  membersTable: string;
  ledgerTable: string;
  metricsTable: string;
  quarantineTable: string;
  exportsTable: string;
  actionsStream: string;
  eventsStream: string;
  exportsBucket: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

export function resourceNames(): ResourceNames {
  return {
    get membersTable() {
      return required('MEMBERS_TABLE');
    },
    get ledgerTable() {
      return required('LEDGER_TABLE');
    },
    get metricsTable() {
      return required('METRICS_TABLE');
    },
    get quarantineTable() {
      return required('QUARANTINE_TABLE');
    },
    get exportsTable() {
      return required('EXPORTS_TABLE');
    },
    get actionsStream() {
      return required('ACTIONS_STREAM');
    },
    get eventsStream() {
      return required('EVENTS_STREAM');
    },
    get exportsBucket() {
      return required('EXPORTS_BUCKET');
    },
  };
}
