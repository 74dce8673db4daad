/** The default stack as `sizing/deployed.ts` reads it from the plan, for bills priced without rendering Pulumi. */
import type { DeployedStack } from "../../sizing/deployed";

export const DEFAULT_STACK: DeployedStack = {
  streamMode: "PROVISIONED",
  shards: { "telemetry-raw": 1, "telemetry-readings": 2, "telemetry-aggregates": 1, "telemetry-anomalies": 1, "telemetry-alerts": 1, "telemetry-quarantine": 1 },
  streamCount: 6,
  flink: { parallelism: 1, parallelismPerKpu: 1, enhancedFanOut: true },
  firehose: { deliveryStreams: 6, bufferingIntervalSeconds: 420, bufferingSizeMiB: 128 },
  ingestRule: { actions: 1, errorAction: true },
  lambdaMemoryMiB: { "alert-notifier-function": 256, "compliance-reports-function": 1024 },
  counts: { kmsKeys: 4, alarms: 41, dashboards: 1, namedQueries: 6, glueTables: 9 },
};
