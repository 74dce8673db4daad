/**
 * What the pre-provisioning hook decides, as a pure function of the request and the plant's allow-list entry:
 * a device is admitted only under a serial number the plant registered, and it becomes the thing the plant
 * registered under that serial (device id, site, line, model come from the allow-list and override whatever the
 * request said), so a device holding the claim certificate cannot choose another device's name or line.
 *
 * AWS IoT sends `{claimCertificateId, certificateId, certificatePem, templateArn, clientId, parameters}` and
 * provisions only when the answer is `{"allowProvisioning": true}`; `parameterOverrides` are merged into the
 * RegisterThing parameters the template reads. A rejection carries no reason back to the device (IoT answers
 * ACCESS_DENIED), so the reason is what the hook logs and counts.
 */
import { fleetIdProblem, fleetLineKey, MODEL_PATTERN, SERIAL_PATTERN } from "../../contract/device-identity";

/** The template parameters the hook reads and fills (components/device-fleet.ts declares the same names). */
export const PARAMETERS = {
  serial: "SerialNumber",
  thingName: "ThingName",
  site: "Site",
  line: "Line",
  model: "Model",
} as const;

/** One allow-list entry: what the plant registered for a serial number. */
export interface RegisteredDevice {
  serial: string;
  device_id: string;
  site: string;
  line: string;
  model: string;
}

/** The request as AWS IoT sends it; every field is checked, nothing is trusted. */
export type HookEvent = unknown;

export type RejectionKind = "malformed" | "unknown_serial" | "mismatch" | "bad_registration" | "line_not_provisioned";

export type Admission =
  | { allowProvisioning: true; parameterOverrides: Record<string, string>; device: RegisteredDevice }
  | { allowProvisioning: false; kind: RejectionKind; reason: string; serial?: string };

/** The request's identity fields, once they are known to be well formed. */
export interface ParsedRequest {
  serial: string;
  certificateId?: string;
  claimed: Partial<Record<"thingName" | "site" | "line" | "model", string>>;
}

const reject = (kind: RejectionKind, reason: string, serial?: string): Admission => ({ allowProvisioning: false, kind, reason, ...(serial && { serial }) });

/** Checks the request's shape; the reason names the field. Never echoes the certificate. */
export function parseRequest(event: HookEvent): ParsedRequest | { problem: string } {
  if (typeof event !== "object" || event === null || Array.isArray(event)) return { problem: "request is not an object" };
  const e = event as Record<string, unknown>;
  const params = e.parameters;
  if (typeof params !== "object" || params === null || Array.isArray(params)) return { problem: "request has no parameters object" };
  const p = params as Record<string, unknown>;
  const serial = p[PARAMETERS.serial];
  if (typeof serial !== "string") return { problem: `parameter ${PARAMETERS.serial} is missing or not a string` };
  if (!SERIAL_PATTERN.test(serial)) return { problem: `parameter ${PARAMETERS.serial} is not a serial number (letters, digits, . _ : / -, at most 64)` };
  const claimed: ParsedRequest["claimed"] = {};
  for (const field of ["thingName", "site", "line", "model"] as const) {
    const value = p[PARAMETERS[field]];
    if (value === undefined) continue;
    if (typeof value !== "string") return { problem: `parameter ${PARAMETERS[field]} is not a string` };
    claimed[field] = value;
  }
  const certificateId = typeof e.certificateId === "string" && /^[0-9a-f]{64}$/.test(e.certificateId) ? e.certificateId : undefined;
  return { serial, claimed, ...(certificateId && { certificateId }) };
}

/** Why an allow-list entry cannot name a thing (a plant's typo must not provision a device nobody can address). */
export function registrationProblem(entry: Record<string, unknown>): string | undefined {
  const problem = fleetIdProblem("device_id", entry.device_id) ?? fleetIdProblem("site", entry.site) ?? fleetIdProblem("line", entry.line);
  if (problem) return problem;
  if (typeof entry.model !== "string" || !MODEL_PATTERN.test(entry.model)) return "model is missing or not letters, digits, . _ : / - (at most 64)";
  return undefined;
}

/**
 * The decision for a well-formed request. `entry` is the allow-list item of the request's serial (undefined when
 * the plant never registered it); `lines` are the `<site>/<line>` keys the stack made thing groups for.
 */
export function admit(request: ParsedRequest, entry: Record<string, unknown> | undefined, lines: ReadonlySet<string>): Admission {
  const { serial } = request;
  if (!entry) return reject("unknown_serial", `serial ${serial} is not in the plant's allow-list`, serial);
  const problem = registrationProblem(entry);
  if (problem) return reject("bad_registration", `allow-list entry of serial ${serial}: ${problem}`, serial);
  const device: RegisteredDevice = { serial, device_id: String(entry.device_id), site: String(entry.site), line: String(entry.line), model: String(entry.model) };
  const registered = { thingName: device.device_id, site: device.site, line: device.line, model: device.model };
  for (const field of ["thingName", "site", "line", "model"] as const) {
    const claimed = request.claimed[field];
    if (claimed !== undefined && claimed !== registered[field]) {
      return reject("mismatch", `serial ${serial} is registered with ${PARAMETERS[field]} '${registered[field]}', the request says '${claimed.slice(0, 128)}'`, serial);
    }
  }
  if (!lines.has(fleetLineKey(device))) {
    return reject("line_not_provisioned", `serial ${serial} is registered on ${fleetLineKey(device)}, which is not one of the stack's deviceLines`, serial);
  }
  return {
    allowProvisioning: true,
    device,
    parameterOverrides: {
      [PARAMETERS.thingName]: device.device_id,
      [PARAMETERS.site]: device.site,
      [PARAMETERS.line]: device.line,
      [PARAMETERS.model]: device.model,
    },
  };
}

/** The malformed-request rejection. */
export function malformed(problem: string): Admission {
  return reject("malformed", problem);
}
