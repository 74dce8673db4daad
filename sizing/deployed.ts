/**
 * What a rendered plan (plan/render.ts) deploys, in the terms the cost model bills: stream mode and shards per
 * stream, Flink parallelism, Firehose buffering, and the counts of fixed-price resources (keys, alarms,
 * dashboards, named queries, functions). Reading them from the plan, not from config, prices what `pulumi up`
 * would create, whoever set the capacities (the sizing model or an explicit key).
 */
import type { Plan, PlanResource } from "../plan/render";
import { PROPERTY_KEYS } from "../components/stream-analytics";

export interface DeployedStack {
  streamMode: "PROVISIONED" | "ON_DEMAND";
  /** Shards by stream logical name (e.g. `telemetry-raw`); empty for on-demand streams. */
  shards: Record<string, number>;
  streamCount: number;
  /**
   * Flink's parallelism, and whether its source reads the raw stream through an enhanced fan-out consumer (billed
   * per consumer-shard-hour and GB retrieved) rather than polling GetRecords (free on provisioned streams).
   */
  flink: { parallelism: number; parallelismPerKpu: number; enhancedFanOut: boolean };
  firehose: { deliveryStreams: number; bufferingIntervalSeconds: number; bufferingSizeMiB: number };
  /**
   * The telemetry topic rule: actions it executes for every message, and whether it has an error action (run only
   * when an action fails). Devices publish to its Basic Ingest topic, which addresses this one rule, so every
   * message triggers exactly one rule.
   */
  ingestRule: { actions: number; errorAction: boolean };
  /** Memory of each Lambda function, MiB, by logical name. */
  lambdaMemoryMiB: Record<string, number>;
  counts: { kmsKeys: number; alarms: number; dashboards: number; namedQueries: number; glueTables: number };
}

const TYPES = {
  stream: "aws:kinesis/stream:Stream",
  flink: "aws:kinesisanalyticsv2/application:Application",
  firehose: "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
  lambda: "aws:lambda/function:Function",
  key: "aws:kms/key:Key",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  dashboard: "aws:cloudwatch/dashboard:Dashboard",
  namedQuery: "aws:athena/namedQuery:NamedQuery",
  glueTable: "aws:glue/catalogTable:CatalogTable",
  topicRule: "aws:iot/topicRule:TopicRule",
} as const;

/**
 * The action lists of aws.iot.TopicRule's inputs (each entry one action executed per message the rule selects);
 * `errorAction` is not among them: it runs only when one of these fails.
 */
const TOPIC_RULE_ACTION_KEYS = [
  "cloudwatchAlarms", "cloudwatchLogs", "cloudwatchMetrics", "dynamodbs", "dynamodbv2s", "elasticsearch", "firehoses",
  "https", "iotAnalytics", "iotEvents", "kafkas", "kineses", "lambdas", "republishes", "s3", "sns", "sqs", "stepFunctions",
  "timestreams",
] as const;

/** The telemetry rule's per-message actions; throws unless the plan has exactly one topic rule (the ingest rule). */
function ingestRuleOf(plan: Plan): DeployedStack["ingestRule"] {
  const rules = ofType(plan, TYPES.topicRule);
  if (rules.length !== 1) throw new Error(`plan for stack ${plan.stack} has ${rules.length} IoT topic rules; the cost model bills one ingest rule per message`);
  const inputs = rules[0].inputs;
  const actions = TOPIC_RULE_ACTION_KEYS.reduce((sum, key) => sum + (Array.isArray(inputs[key]) ? inputs[key].length : 0), 0);
  return { actions, errorAction: inputs.errorAction !== undefined && inputs.errorAction !== null };
}

function ofType(plan: Plan, type: string): PlanResource[] {
  return plan.resources.filter((r) => r.type === type);
}

/** Reads the deployed capacities and fixed-price counts from a plan; throws when the plan lacks the pipeline. */
export function deployedStack(plan: Plan): DeployedStack {
  const streams = ofType(plan, TYPES.stream);
  const flink = ofType(plan, TYPES.flink)[0];
  const firehoses = ofType(plan, TYPES.firehose);
  if (streams.length === 0 || !flink || firehoses.length === 0) {
    throw new Error(`plan for stack ${plan.stack} has no Kinesis streams, Flink application or Firehose: nothing to size`);
  }
  const modes = new Set(streams.map((s) => s.inputs.streamModeDetails?.streamMode ?? "PROVISIONED"));
  if (modes.size !== 1) throw new Error(`plan for stack ${plan.stack} mixes stream modes (${[...modes].join(", ")})`);
  const streamMode = [...modes][0] as DeployedStack["streamMode"];
  const parallelismConfiguration = flink.inputs.applicationConfiguration.flinkApplicationConfiguration.parallelismConfiguration;
  const s3 = firehoses[0].inputs.extendedS3Configuration;
  const propertyGroups: { propertyMap?: Record<string, string> }[] = flink.inputs.applicationConfiguration.environmentProperties?.propertyGroups ?? [];
  const enhancedFanOut = propertyGroups.some((g) => g.propertyMap?.[PROPERTY_KEYS.readerType] === "EFO");
  return {
    streamMode,
    shards: streamMode === "PROVISIONED" ? Object.fromEntries(streams.map((s) => [s.name, s.inputs.shardCount as number])) : {},
    streamCount: streams.length,
    flink: { parallelism: parallelismConfiguration.parallelism, parallelismPerKpu: parallelismConfiguration.parallelismPerKpu, enhancedFanOut },
    firehose: { deliveryStreams: firehoses.length, bufferingIntervalSeconds: s3.bufferingInterval, bufferingSizeMiB: s3.bufferingSize },
    ingestRule: ingestRuleOf(plan),
    lambdaMemoryMiB: Object.fromEntries(ofType(plan, TYPES.lambda).map((f) => [f.name, f.inputs.memorySize ?? 128])),
    counts: {
      kmsKeys: ofType(plan, TYPES.key).length,
      alarms: ofType(plan, TYPES.alarm).length,
      dashboards: ofType(plan, TYPES.dashboard).length,
      namedQueries: ofType(plan, TYPES.namedQuery).length,
      glueTables: ofType(plan, TYPES.glueTable).length,
    },
  };
}
