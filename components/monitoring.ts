/**
 * Monitoring: the operators' SNS topic (CMK-encrypted), one CloudWatch alarm per failure mode of each resource
 * it is given — every alarm carries the dimension that ties it to that resource — and a dashboard. Thresholds
 * are named constants with the reason for each (the habit of aws-solutions' kda-monitoring / kdf-monitoring);
 * a stack can override them (production is stricter).
 *
 * Every resource list is optional, so it works standalone:
 *   new Monitoring("ops", { keyArn: key.arn, emails: ["oncall@example.com"], streams: { raw: raw.name } })
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ArgsCheck, awsContext, POLICY_VERSION } from "./naming";
import { type AlarmSpec, denyInsecureTransport, metricAlarm } from "./core";

/** Alarm thresholds. Each names its unit; each reason says what crossing it means for the pipeline. */
export interface AlarmThresholds {
  /** Kinesis GetRecords.IteratorAgeMilliseconds, max over 1 minute, for 3 minutes in a row. */
  iteratorAgeMs: number;
  /** Minutes (of 5) in which a stream throttled writes or reads before it alarms. */
  throttledMinutesOf5: number;
  /** Flink `downtime` in ms (Maximum over 1 minute). */
  flinkDowntimeMs: number;
  /** Minutes in a row the job must be down (downtime above the threshold, or no metrics at all) before it alarms. */
  flinkDownMinutes: number;
  /** New failed checkpoints (increase of the cumulative `numberOfFailedCheckpoints`) within 5 minutes. */
  flinkFailedCheckpoints: number;
  /** Increase of Flink `fullRestarts` within 5 minutes. */
  flinkRestartsPer5Min: number;
  /** Firehose DeliveryToS3.DataFreshness in seconds (age of the oldest record not yet in S3). */
  firehoseFreshnessSeconds: number;
  /** Firehose FailedConversion.Records per 5 minutes. */
  firehoseFailedConversions: number;
  /** IoT rule action failures (`Failure`) per 5 minutes. */
  ruleActionFailures: number;
  /** IoT rule `ParseError`s per 5 minutes. */
  ruleParseErrors: number;
  /** Lambda Errors per 5 minutes. */
  lambdaErrors: number;
  /** Lambda Throttles per 5 minutes. */
  lambdaThrottles: number;
  /** Messages visible in a dead-letter queue. */
  dlqMessages: number;
  /** Quarantined records as a percentage of raw records, over 5 minutes, for 15 minutes. */
  quarantinePercent: number;
}

export const DEFAULT_THRESHOLDS: AlarmThresholds = {
  // Five minutes behind is far beyond Flink's checkpoint interval and the notifier's retries: a reader is not
  // keeping up, and every further minute brings the oldest record closer to expiring with the stream retention.
  iteratorAgeMs: 5 * 60_000,
  // Producers and consumers retry a throttled call: an isolated minute is absorbed, 3 of 5 is a capacity problem.
  throttledMinutesOf5: 3,
  // Any downtime means the analytics (and alerts) stopped: no tolerance (kda-monitoring DOWNTIME_THRESHOLD).
  flinkDowntimeMs: 0,
  // ... for 10 minutes in a row: a deployment stops the job, snapshots and starts it again (a few minutes with
  // downtime or no metrics at all); a job still down after 10 minutes did not come back by itself.
  flinkDownMinutes: 10,
  // A failed checkpoint means a restart would replay or lose progress: no tolerance (FAILED_CHECKPOINTS_THRESHOLD).
  flinkFailedCheckpoints: 0,
  // A healthy job never restarts on its own; each restart replays from the last checkpoint and delays alerts.
  flinkRestartsPer5Min: 0,
  // 15 minutes: three times the default 5-minute buffer interval; older means files are not reaching S3
  // (kdf-monitoring's data freshness threshold).
  firehoseFreshnessSeconds: 900,
  // A record that fails conversion is missing from its table (it sits in the error prefix): never expected.
  firehoseFailedConversions: 0,
  // A failed rule action means a message did not reach the raw stream (the error action kept it): investigate.
  ruleActionFailures: 0,
  // A message the rule cannot parse never reaches any action, not even the error action: it is lost.
  ruleParseErrors: 0,
  // The alert notifier must not fail: each error delays an operator notification.
  lambdaErrors: 0,
  // Throttling delays notifications; with reserved concurrency it means the limit is too low.
  lambdaThrottles: 0,
  // A message in a dead-letter queue is work that was given up on: someone must look and redrive it.
  dlqMessages: 0,
  // Devices send some garbage; a sustained 1 % of all input means a firmware or contract problem on a fleet.
  quarantinePercent: 1,
};

/** The raw and quarantine streams whose record counts give the quarantine rate (issue 5). */
export interface QuarantineRateSource {
  /** Name of the raw telemetry stream (what the IoT rule writes). */
  rawStreamName: pulumi.Input<string>;
  /** Name of the quarantine stream (what Flink rejects, with the reason). */
  quarantineStreamName: pulumi.Input<string>;
}

export interface MonitoringArgs {
  /** CMK for the new topic. Its key policy must let cloudwatch.amazonaws.com use it (EncryptionKey's alarm use). */
  keyArn?: pulumi.Input<string>;
  /** Send alarms to this existing topic instead of creating one (not together with `keyArn` or `emails`). */
  existingTopicArn?: pulumi.Input<string>;
  /** Operator e-mail addresses to subscribe to the new topic (each must confirm). */
  emails?: string[];
  /** Kinesis streams to watch: label → stream name. */
  streams?: Record<string, pulumi.Input<string>>;
  /** Managed Flink application name. */
  applicationName?: pulumi.Input<string>;
  /**
   * Enhanced fan-out consumers: label → stream and consumer name. A consumer reads by SubscribeToShard, which
   * GetRecords.IteratorAgeMilliseconds never sees: its lag is SubscribeToShardEvent.MillisBehindLatest.
   */
  efoConsumers?: Record<string, { streamName: pulumi.Input<string>; consumerName: pulumi.Input<string> }>;
  /** Firehose delivery streams: label → delivery stream name. */
  firehoseNames?: Record<string, pulumi.Input<string>>;
  /** IoT topic rules: label → rule name. */
  ruleNames?: Record<string, pulumi.Input<string>>;
  /** Lambda functions: label → function name. */
  functionNames?: Record<string, pulumi.Input<string>>;
  /** Dead-letter queues: label → queue name. */
  queueNames?: Record<string, pulumi.Input<string>>;
  /** Raw and quarantine streams, for the quarantine-rate alarm and widget. */
  quarantine?: QuarantineRateSource;
  /** Threshold overrides (see DEFAULT_THRESHOLDS for each reason). */
  thresholds?: Partial<AlarmThresholds>;
  /** Dashboard name (letters, digits, `-`, `_`). Default: the component name. */
  dashboardName?: string;
}

export type { AlarmSpec } from "./core";

const minute = 60;
const fiveMinutes = 300;

/** Minutes a counter alarm looks back: an increase anywhere in the last 5 minutes fires it, none for 5 clears it. */
export const COUNTER_WINDOW_MINUTES = 5;

/**
 * Metric math for "a cumulative counter went up": DIFF of its per-minute Maximum. The alarm fetches the last
 * COUNTER_WINDOW_MINUTES one-minute points and fires on one breaching difference: each increase is seen by every
 * evaluation whose range holds the point before and the point after it. (DIFF over a single 5-minute point has no
 * previous value and never fires; the raw counter's Maximum would stay above 0 until the job restarts.) A counter
 * reset by a job restart gives a negative difference, which does not fire.
 */
export function counterIncreaseQueries(
  id: string,
  metric: { namespace: string; metricName: string; dimensions: Record<string, pulumi.Input<string>> },
  label: string,
): aws.types.input.cloudwatch.MetricAlarmMetricQuery[] {
  return [
    { id, metric: queryMetric({ ...metric, statistic: "Maximum", period: minute }), returnData: false },
    { id: "increase", expression: `DIFF(${id})`, label, returnData: true },
  ];
}

/** The alarms for the given resources, keyed by a stable label (`<kind>-<resource label>`). Pure: tested directly. */
export function alarmSpecs(args: MonitoringArgs, t: AlarmThresholds): Record<string, AlarmSpec> {
  const specs: Record<string, AlarmSpec> = {};
  const kinesis = (metricName: string, stream: pulumi.Input<string>, statistic: string, period: number) => ({
    namespace: "AWS/Kinesis",
    metricName,
    dimensions: { StreamName: stream },
    statistic,
    period,
  });
  for (const [label, stream] of Object.entries(args.streams ?? {})) {
    specs[`iterator-age-${label}`] = {
      description: `Kinesis ${label}: a reader is more than ${t.iteratorAgeMs / 60_000} min behind`,
      metric: kinesis("GetRecords.IteratorAgeMilliseconds", stream, "Maximum", minute),
      threshold: t.iteratorAgeMs,
      evaluationPeriods: 3,
      // No GetRecords at all means nobody reads the stream: records age towards expiry unseen.
      treatMissingData: "breaching",
    };
    for (const [kind, metricName] of [
      ["write-throttled", "WriteProvisionedThroughputExceeded"],
      ["read-throttled", "ReadProvisionedThroughputExceeded"],
    ] as const) {
      specs[`${kind}-${label}`] = {
        description: `Kinesis ${label}: ${metricName} in ${t.throttledMinutesOf5} of 5 minutes`,
        metric: kinesis(metricName, stream, "Sum", minute),
        threshold: 0,
        evaluationPeriods: 5,
        datapointsToAlarm: t.throttledMinutesOf5,
        // No data means no calls, so nothing was throttled.
        treatMissingData: "notBreaching",
      };
    }
  }

  for (const [label, consumer] of Object.entries(args.efoConsumers ?? {})) {
    specs[`efo-lag-${label}`] = {
      description: `Kinesis ${label}: the enhanced fan-out consumer is more than ${t.iteratorAgeMs / 60_000} min behind`,
      metric: {
        namespace: "AWS/Kinesis",
        metricName: "SubscribeToShardEvent.MillisBehindLatest",
        dimensions: { StreamName: consumer.streamName, ConsumerName: consumer.consumerName },
        statistic: "Maximum",
        period: minute,
      },
      threshold: t.iteratorAgeMs,
      evaluationPeriods: 3,
      // A subscribed consumer gets an event at least every 5 s, even with no records: silence means it is not reading.
      treatMissingData: "breaching",
    };
  }

  if (args.applicationName !== undefined) {
    const flink = (metricName: string, statistic: string, period: number) => ({
      namespace: "AWS/KinesisAnalytics",
      metricName,
      dimensions: { Application: args.applicationName! },
      statistic,
      period,
    });
    const application = { namespace: "AWS/KinesisAnalytics", dimensions: { Application: args.applicationName! } };
    specs["flink-downtime"] = {
      description: `Flink: the application has been down for ${t.flinkDownMinutes} minutes (analytics and alerts stopped)`,
      metric: flink("downtime", "Maximum", minute),
      threshold: t.flinkDowntimeMs,
      evaluationPeriods: t.flinkDownMinutes,
      datapointsToAlarm: t.flinkDownMinutes,
      // A running job reports every minute: silence means it is not running (or is being redeployed, which the
      // minutes in a row allow for).
      treatMissingData: "breaching",
    };
    specs["flink-failed-checkpoints"] = {
      description: `Flink: a checkpoint failed in the last ${COUNTER_WINDOW_MINUTES} minutes`,
      metricQueries: counterIncreaseQueries("failed", { ...application, metricName: "numberOfFailedCheckpoints" }, "new failed checkpoints"),
      threshold: t.flinkFailedCheckpoints,
      evaluationPeriods: COUNTER_WINDOW_MINUTES,
      datapointsToAlarm: 1,
      // Silence is the downtime alarm's business; do not page twice.
      treatMissingData: "notBreaching",
    };
    specs["flink-restarts"] = {
      description: `Flink: the job restarted in the last ${COUNTER_WINDOW_MINUTES} minutes (fullRestarts increased)`,
      metricQueries: counterIncreaseQueries("restarts", { ...application, metricName: "fullRestarts" }, "fullRestarts increase"),
      threshold: t.flinkRestartsPer5Min,
      evaluationPeriods: COUNTER_WINDOW_MINUTES,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
    };
  }

  for (const [label, firehose] of Object.entries(args.firehoseNames ?? {})) {
    const fh = (metricName: string, statistic: string, period: number) => ({
      namespace: "AWS/Firehose",
      metricName,
      dimensions: { DeliveryStreamName: firehose },
      statistic,
      period,
    });
    specs[`firehose-freshness-${label}`] = {
      description: `Firehose ${label}: records older than ${t.firehoseFreshnessSeconds} s are not in S3 yet`,
      metric: fh("DeliveryToS3.DataFreshness", "Maximum", fiveMinutes),
      threshold: t.firehoseFreshnessSeconds,
      evaluationPeriods: 1,
      // Reported only while records are buffered: no data means nothing is waiting.
      treatMissingData: "notBreaching",
    };
    specs[`firehose-conversion-${label}`] = {
      description: `Firehose ${label}: records failed Parquet conversion (they are in the error prefix, not the table)`,
      metric: fh("FailedConversion.Records", "Sum", fiveMinutes),
      threshold: t.firehoseFailedConversions,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    };
  }

  for (const [label, rule] of Object.entries(args.ruleNames ?? {})) {
    specs[`rule-failures-${label}`] = {
      description: `IoT rule ${label}: an action failed (the message went to the error action)`,
      metricQueries: ruleFailureQueries(rule),
      threshold: t.ruleActionFailures,
      evaluationPeriods: 1,
      // Emitted only when an action runs or fails.
      treatMissingData: "notBreaching",
    };
    specs[`rule-parse-errors-${label}`] = {
      description: `IoT rule ${label}: messages could not be parsed and were dropped before any action`,
      metric: { namespace: "AWS/IoT", metricName: "ParseError", dimensions: { RuleName: rule }, statistic: "Sum", period: fiveMinutes },
      threshold: t.ruleParseErrors,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    };
  }

  for (const [label, fn] of Object.entries(args.functionNames ?? {})) {
    for (const [kind, metricName, threshold] of [
      ["lambda-errors", "Errors", t.lambdaErrors],
      ["lambda-throttles", "Throttles", t.lambdaThrottles],
    ] as const) {
      specs[`${kind}-${label}`] = {
        description: `Lambda ${label}: ${metricName}`,
        metric: { namespace: "AWS/Lambda", metricName, dimensions: { FunctionName: fn }, statistic: "Sum", period: fiveMinutes },
        threshold,
        evaluationPeriods: 1,
        // Not invoked means nothing failed.
        treatMissingData: "notBreaching",
      };
    }
  }

  for (const [label, queue] of Object.entries(args.queueNames ?? {})) {
    specs[`dlq-${label}`] = {
      description: `Dead-letter queue ${label}: work was given up on; inspect and redrive`,
      metric: { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: queue }, statistic: "Maximum", period: fiveMinutes },
      threshold: t.dlqMessages,
      evaluationPeriods: 1,
      // SQS stops reporting idle queues after hours without activity: an idle DLQ is an empty one.
      treatMissingData: "notBreaching",
    };
  }

  if (args.quarantine) {
    specs["quarantine-rate"] = {
      description: `Quarantine: more than ${t.quarantinePercent} % of raw records rejected or duplicated for 15 minutes (query the quarantine table by reason)`,
      metricQueries: quarantineRateQueries(args.quarantine),
      threshold: t.quarantinePercent,
      evaluationPeriods: 3,
      // No traffic, no quarantine.
      treatMissingData: "notBreaching",
    };
  }
  return specs;
}

/** A single-metric spec in the shape a metric-math query wants (`stat` instead of `statistic`). */
function queryMetric(m: { namespace: string; metricName: string; dimensions: Record<string, pulumi.Input<string>>; statistic: string; period: number }) {
  return { namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions, stat: m.statistic, period: m.period };
}

/**
 * IoT publishes `Failure` per rule *and action type* (dimensions RuleName, ActionType). An alarm on a metric must
 * name every dimension, and guessing the ActionType value would make a silent alarm; a Metrics Insights query
 * over the namespace sums the rule's failures whatever their other dimensions are.
 */
export function ruleFailureQueries(ruleName: pulumi.Input<string>): aws.types.input.cloudwatch.MetricAlarmMetricQuery[] {
  return [
    {
      id: "failures",
      expression: pulumi.interpolate`SELECT SUM(Failure) FROM "AWS/IoT" WHERE RuleName = '${ruleName}'`,
      period: fiveMinutes,
      label: "Rule action failures",
      returnData: true,
    },
  ];
}

/** Metric math for the quarantine rate in percent: quarantine-stream records per raw-stream record. */
export function quarantineRateQueries(q: QuarantineRateSource): aws.types.input.cloudwatch.MetricAlarmMetricQuery[] {
  const incoming = (stream: pulumi.Input<string>) => ({
    namespace: "AWS/Kinesis",
    metricName: "IncomingRecords",
    dimensions: { StreamName: stream },
    stat: "Sum",
    period: fiveMinutes,
  });
  return [
    { id: "raw", metric: incoming(q.rawStreamName), returnData: false },
    { id: "quarantined", metric: incoming(q.quarantineStreamName), returnData: false },
    { id: "rate", expression: QUARANTINE_RATE_EXPRESSION, label: "Quarantined % of raw records", returnData: true },
  ];
}

/** 0 when no raw records arrived (no division by zero, no alarm on an idle pipeline). */
export const QUARANTINE_RATE_EXPRESSION = "IF(FILL(raw, 0) > 0, 100 * FILL(quarantined, 0) / FILL(raw, 0), 0)";

export const MONITORING_DEFAULTS = {
  thresholds: DEFAULT_THRESHOLDS,
  /** Nobody is subscribed until named: an unconfirmed subscription would only bounce. */
  emails: [] as string[],
};

/** The monitoring settings: `args` over MONITORING_DEFAULTS, every problem reported in one error. */
export function resolveMonitoringArgs(name: string, args: MonitoringArgs) {
  const d = MONITORING_DEFAULTS;
  const check = new ArgsCheck(`Monitoring '${name}'`);
  const emails = args.emails ?? d.emails;
  if (args.existingTopicArn !== undefined) {
    check.expect(args.keyArn === undefined && emails.length === 0, "existingTopicArn reuses a topic; keyArn and emails are for a new topic: pass one or the other");
  } else {
    check.expect(args.keyArn !== undefined, "keyArn is required to create the encrypted operators' topic (or pass existingTopicArn)");
  }
  for (const email of emails) check.expect(/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email), `'${email}' is not an e-mail address`);
  // Scoped by project and stack: dashboard names are per account, and two stacks may share one.
  const dashboardName = args.dashboardName ?? `${pulumi.getProject()}-${pulumi.getStack()}-${name}`;
  check.expect(/^[A-Za-z0-9_-]{1,255}$/.test(dashboardName), `dashboard name '${dashboardName}' may only hold letters, digits, - and _`);
  const thresholds = { ...d.thresholds, ...(args.thresholds ?? {}) };
  for (const [key, value] of Object.entries(thresholds)) {
    check.expect(typeof value === "number" && Number.isFinite(value) && value >= 0, `threshold ${key} must be a finite number >= 0, got ${value}`);
  }
  check.expect(thresholds.throttledMinutesOf5 >= 1 && thresholds.throttledMinutesOf5 <= 5, `throttledMinutesOf5 must be 1-5, got ${thresholds.throttledMinutesOf5}`);
  check.done();
  return { emails, dashboardName, thresholds };
}

export class Monitoring extends pulumi.ComponentResource {
  /** The operators' topic (when created here). */
  readonly topic?: aws.sns.Topic;
  /** ARN of the topic alarms notify (created or existing). */
  readonly topicArn: pulumi.Output<string>;
  /** Alarms by label (`iterator-age-raw`, `flink-downtime`, `quarantine-rate`, ...). */
  readonly alarms: Record<string, aws.cloudwatch.MetricAlarm> = {};
  /** The dashboard. */
  readonly dashboard: aws.cloudwatch.Dashboard;
  readonly dashboardName: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iotpipe:monitoring:Monitoring", name, {}, opts);
    const cfg = resolveMonitoringArgs(name, args);
    const { dashboardName, thresholds } = cfg;
    const parent = { parent: this };
    const ctx = awsContext(this);

    if (args.existingTopicArn !== undefined) {
      this.topicArn = pulumi.output(args.existingTopicArn);
    } else {
      const topic = new aws.sns.Topic(`${name}-topic`, { kmsMasterKeyId: args.keyArn, displayName: "iotpipe operators" }, parent);
      new aws.sns.TopicPolicy(
        `${name}-topic-policy`,
        {
          arn: topic.arn,
          policy: pulumi.jsonStringify({
            Version: POLICY_VERSION,
            Statement: [
              {
                Sid: "CloudWatchAlarmsOfThisAccount",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topic.arn,
                Condition: {
                  StringEquals: { "aws:SourceAccount": ctx.accountId },
                  ArnLike: { "aws:SourceArn": pulumi.interpolate`arn:${ctx.partition}:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:*` },
                },
              },
              denyInsecureTransport("sns:Publish", topic.arn),
            ],
          }),
        },
        parent,
      );
      cfg.emails.forEach((email, i) => {
        new aws.sns.TopicSubscription(`${name}-email-${i}`, { topic: topic.arn, protocol: "email", endpoint: email }, parent);
      });
      this.topic = topic;
      this.topicArn = topic.arn;
    }

    for (const [key, spec] of Object.entries(alarmSpecs(args, thresholds))) {
      this.alarms[key] = metricAlarm(`${name}-${key}`, spec, this.topicArn, parent);
    }

    this.dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      { dashboardName, dashboardBody: pulumi.jsonStringify(dashboardBody(args, ctx.region, Object.values(this.alarms).map((a) => a.arn))) },
      parent,
    );
    this.dashboardName = this.dashboard.dashboardName;

    this.registerOutputs({ topicArn: this.topicArn, dashboardName: this.dashboardName, alarmNames: Object.keys(this.alarms) });
  }
}

type Widget = Record<string, unknown>;

/** The dashboard: ingest rate, iterator age, Flink health, Firehose freshness, quarantine rate, alarms. */
export function dashboardBody(args: MonitoringArgs, region: pulumi.Input<string>, alarmArns: pulumi.Input<string>[]): { widgets: Widget[] } {
  // A text header first: the dashboard is never empty (standalone use without resources) and says what it shows.
  const widgets: Widget[] = [
    {
      type: "text",
      width: 24,
      height: 2,
      properties: { markdown: "# iotpipe\nDevice ingest → streams → Flink → lake, and alert delivery. Alarm thresholds and their reasons: `components/monitoring.ts`." },
    },
  ];
  const graph = (title: string, metrics: unknown[][], stat: string, period = minute): Widget => ({
    type: "metric",
    width: 12,
    height: 6,
    properties: { title, region, view: "timeSeries", stacked: false, stat, period, metrics },
  });
  const streams = Object.entries(args.streams ?? {});
  const rules = Object.entries(args.ruleNames ?? {});
  if (streams.length + rules.length > 0) {
    widgets.push(
      graph(
        "Ingest rate (records/min)",
        [
          ...rules.map(([label, rule]) => ["AWS/IoT", "TopicMatch", "RuleName", rule, { label: `rule ${label}` }]),
          ...streams.map(([label, s]) => ["AWS/Kinesis", "IncomingRecords", "StreamName", s, { label }]),
        ],
        "Sum",
      ),
    );
  }
  if (streams.length > 0) {
    widgets.push(graph("Iterator age (ms)", streams.map(([label, s]) => ["AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "StreamName", s, { label }]), "Maximum"));
  }
  if (args.applicationName !== undefined) {
    const app = args.applicationName;
    widgets.push(
      graph(
        "Flink health",
        [
          ["AWS/KinesisAnalytics", "downtime", "Application", app],
          ["AWS/KinesisAnalytics", "fullRestarts", "Application", app],
          ["AWS/KinesisAnalytics", "numberOfFailedCheckpoints", "Application", app],
        ],
        "Maximum",
      ),
    );
  }
  const firehoses = Object.entries(args.firehoseNames ?? {});
  if (firehoses.length > 0) {
    widgets.push(
      graph(
        "Firehose freshness (s) and failed conversions",
        [
          ...firehoses.map(([label, f]) => ["AWS/Firehose", "DeliveryToS3.DataFreshness", "DeliveryStreamName", f, { label, stat: "Maximum" }]),
          ...firehoses.map(([label, f]) => ["AWS/Firehose", "FailedConversion.Records", "DeliveryStreamName", f, { label: `${label} failed`, stat: "Sum", yAxis: "right" }]),
        ],
        "Maximum",
        fiveMinutes,
      ),
    );
  }
  if (args.quarantine) {
    widgets.push(
      graph(
        "Quarantine rate (% of raw records)",
        [
          [{ expression: QUARANTINE_RATE_EXPRESSION, label: "quarantined %", id: "rate" }],
          ["AWS/Kinesis", "IncomingRecords", "StreamName", args.quarantine.rawStreamName, { id: "raw", visible: false }],
          ["AWS/Kinesis", "IncomingRecords", "StreamName", args.quarantine.quarantineStreamName, { id: "quarantined", label: "quarantined records", yAxis: "right" }],
        ],
        "Sum",
        fiveMinutes,
      ),
    );
  }
  const functions = Object.entries(args.functionNames ?? {});
  if (functions.length > 0) {
    widgets.push(
      graph(
        "Alert delivery (Lambda errors, throttles)",
        functions.flatMap(([label, f]) => [
          ["AWS/Lambda", "Errors", "FunctionName", f, { label: `${label} errors` }],
          ["AWS/Lambda", "Throttles", "FunctionName", f, { label: `${label} throttles` }],
        ]),
        "Sum",
        fiveMinutes,
      ),
    );
  }
  if (alarmArns.length > 0) {
    widgets.push({ type: "alarm", width: 24, height: 6, properties: { title: "Alarms", alarms: alarmArns } });
  }
  return { widgets };
}
