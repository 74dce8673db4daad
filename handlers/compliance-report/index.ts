/**
 * Lambda entry point of the scheduled compliance report (EventBridge Scheduler invokes it daily; an operator can
 * invoke it with `{"date": "YYYY-MM-DD"}` to re-run a day). Clients and configuration are created once per
 * container; every failure is logged with its context, counted, and rethrown so the invocation fails visibly.
 */
import { AthenaClient } from "@aws-sdk/client-athena";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { loadConfig } from "./config";
import { ReportEvent, ReportJobResult, runComplianceReport } from "./job";

const logger = new Logger({ serviceName: "compliance-report" });
const metrics = new Metrics({ namespace: "iotpipe", serviceName: "compliance-report" });
const athena = new AthenaClient({});
const s3 = new S3Client({});
const sns = new SNSClient({});

export async function handler(event: ReportEvent = {}): Promise<ReportJobResult> {
  try {
    const config = loadConfig();
    return await runComplianceReport(event ?? {}, { athena, s3, sns, logger, metrics, config });
  } catch (error) {
    metrics.addMetric("ReportsFailed", MetricUnit.Count, 1);
    logger.error("compliance report failed", error as Error);
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
}
