/**
 * Lambda entry point of the scheduled compliance report (EventBridge Scheduler invokes it daily; an operator can
 * invoke it with `{"date": "YYYY-MM-DD"}` to re-run a day, adding `"amend": "<reason>"` to amend its locked report).
 * Clients and configuration are created once per container; every failure is logged with its context, counted, and rethrown so the invocation fails visibly.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AthenaClient } from "@aws-sdk/client-athena";
import type { StaticLimitRule } from "../../analytics/definition";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { loadConfig } from "./config";
import { SPEC_LIMITS_FILE, STATIC_LIMITS_FILE } from "./package-files";
import { ReportEvent, ReportJobResult, runComplianceReport } from "./job";
import { S3BundleWriter } from "./s3-bundle-writer";
import { exportDeviceRegistry } from "./registry-export";
import { SnsPublisher } from "../shared/sns-publish";
import { IotRestThingLister } from "../shared/iot-list-things";

const logger = new Logger({ serviceName: "compliance-report" });
const metrics = new Metrics({ namespace: "iotpipe", serviceName: "compliance-report" });
// Athena through SDK v3 (ExecutionParameters, paging, typed errors); the S3 calls, the SNS publish and IoT
// ListThings are plain signed requests (handlers/shared/aws-rest.ts), which keeps the bundle and its cold start small.
const athena = new AthenaClient({});
const iot = new IotRestThingLister();
const sns = new SnsPublisher();

/** A static-limit file packaged beside this one (handlers/compliance-report/package.ts), or undefined. */
function packagedLimits(name: string): StaticLimitRule | undefined {
  const file = path.join(__dirname, name);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as StaticLimitRule) : undefined;
}
/** The stack's static limits and its specification limits, read once per container. */
let limits: { staticLimits?: StaticLimitRule; specLimits?: StaticLimitRule } | null = null;

/** What the handler uses of Lambda's context object. */
interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

export async function handler(event: ReportEvent = {}, context?: InvocationContext): Promise<ReportJobResult> {
  try {
    const config = loadConfig();
    limits ??= { staticLimits: packagedLimits(STATIC_LIMITS_FILE), specLimits: packagedLimits(SPEC_LIMITS_FILE) };
    return await runComplianceReport(event ?? {}, {
      athena,
      bundles: new S3BundleWriter(config.REPORTS_BUCKET),
      notify: async (subject, message) => void (await sns.publish(config.SNS_TOPIC_ARN, subject, message)),
      logger,
      metrics,
      config,
      ...limits,
      ...(context && { remainingMs: () => context.getRemainingTimeInMillis() }),
      ...(config.LAKE_BUCKET && {
        exportRegistry: (date: string) =>
          exportDeviceRegistry({ iot, store: new S3BundleWriter(config.LAKE_BUCKET), thingTypeName: config.FLEET_THING_TYPE || undefined, now: Date.now() }, date),
      }),
    });
  } catch (error) {
    metrics.addMetric("ReportsFailed", MetricUnit.Count, 1);
    logger.error("compliance report failed", error as Error);
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
}
