/**
 * Pre-provisioning hook of the fleet provisioning template (components/device-fleet.ts): AWS IoT invokes it for
 * every RegisterThing request made with the claim certificate, and provisions the device only when it answers
 * `allowProvisioning: true`. The decision is `admission.ts`; this file reads the plant's allow-list (DynamoDB,
 * a strongly consistent GetItem so a serial registered a moment ago is found), logs and counts every decision.
 *
 * Logs carry the serial, the device and the new certificate's id (an identifier an operator revokes by), never
 * the certificate PEM or the request as a whole. A failure to read the allow-list is thrown: IoT then refuses
 * the device (ACCESS_DENIED), so an outage can delay provisioning but never admit an unknown device.
 */
import { DynamoDBClient, GetItemCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { admit, malformed, parseRequest, type Admission, type HookEvent } from "./admission";

export const logger = new Logger({ serviceName: "provisioning-hook" });
export const metrics = new Metrics({ namespace: "iotpipe", serviceName: "provisioning-hook" });
const dynamodb = new DynamoDBClient({});

/** What IoT reads from the answer. */
export type HookResponse = { allowProvisioning: true; parameterOverrides: Record<string, string> } | { allowProvisioning: false };

/** The hook's settings from its environment (the component sets them). */
export function hookSettings(env: NodeJS.ProcessEnv = process.env): { table: string; lines: Set<string> } {
  const table = env.ALLOW_LIST_TABLE;
  if (!table) throw new Error("ALLOW_LIST_TABLE is not set: the hook has no allow-list to admit devices from");
  return { table, lines: new Set((env.FLEET_LINES ?? "").split(",").filter((l) => l.length > 0)) };
}

/** The allow-list item of a serial as plain strings, or undefined when the plant never registered it. */
export async function lookUpSerial(client: DynamoDBClient, table: string, serial: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: { serial: { S: serial } }, ConsistentRead: true }));
  if (!Item) return undefined;
  return Object.fromEntries(Object.entries(Item).map(([name, value]: [string, AttributeValue]) => [name, value.S ?? value.N ?? null]));
}

export async function handler(event: HookEvent): Promise<HookResponse> {
  try {
    const { table, lines } = hookSettings();
    const request = parseRequest(event);
    let decision: Admission;
    let certificateId: string | undefined;
    if ("problem" in request) {
      decision = malformed(request.problem);
    } else {
      certificateId = request.certificateId;
      decision = admit(request, await lookUpSerial(dynamodb, table, request.serial), lines);
    }
    if (decision.allowProvisioning) {
      const { device } = decision;
      logger.info("device admitted", { serial: device.serial, deviceId: device.device_id, site: device.site, line: device.line, model: device.model, certificateId });
      metrics.addMetric("DevicesAdmitted", MetricUnit.Count, 1);
      return { allowProvisioning: true, parameterOverrides: decision.parameterOverrides };
    }
    logger.warn("device rejected", { kind: decision.kind, reason: decision.reason, serial: decision.serial, certificateId });
    metrics.addMetric("DevicesRejected", MetricUnit.Count, 1);
    return { allowProvisioning: false };
  } catch (error) {
    metrics.addMetric("HookFailures", MetricUnit.Count, 1);
    logger.error("the allow-list could not be read; the device is refused (ACCESS_DENIED) and may retry", { error: (error as Error).message });
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
}
