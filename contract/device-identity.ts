/**
 * A device's identity in the registry, shared by the cloud fleet (provisioning template, pre-provisioning hook,
 * `iotpipe fleet`) and anyone else who names things or thing groups:
 *
 * - the thing name is the device id, the `<device>` level of its telemetry topic and its MQTT client id;
 * - the thing carries the attributes `site`, `line`, `model` and `serial` (site and line address its topic, so
 *   the device policy confines it to `telemetry/<site>/<line>/<thing name>`);
 * - it belongs to one thing group per site, `<prefix>-site-<site>`, and one per line,
 *   `<prefix>-line-<site>:<line>` (the stack's prefix is `<project>-<stack>`, e.g. `iotpipe-prod`).
 *
 * AWS IoT names allow `[a-zA-Z0-9:_-]` only, and the telemetry contract allows `[A-Za-z0-9._:-]`: a fleet id is
 * written in both, and `:` separates site and line in a line group's name, so fleet ids (device, site, line) are
 * letters, digits, `_` and `-`, starting with a letter or digit. `plant-a` + `line-1` and `plant` + `a-line-1`
 * would collide under a `-` separator; `:` keeps every (site, line) its own group.
 */
/** The thing attributes every provisioned device carries. */
export const THING_ATTRIBUTES = ["site", "line", "model", "serial"] as const;
export type ThingAttribute = (typeof THING_ATTRIBUTES)[number];

/** Device, site and line ids a fleet can name a thing or a thing group with (see the file comment). */
export const FLEET_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/**
 * Longest fleet id: IoT's thing name limit, which is the telemetry contract's identifier limit too (a test holds
 * them equal). Not imported from contract/telemetry.ts: that module brings zod (~440 KiB) into the provisioning
 * hook's bundle, whose cold start counts against IoT's 5 s answer.
 */
export const MAX_FLEET_ID_LENGTH = 128;

/**
 * Serial numbers and model names as a thing attribute holds them (IoT attribute values allow
 * `[a-zA-Z0-9_.,@/:#=\[\]-]`; these are the printable subset a plant's labels use).
 */
export const SERIAL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;
export const MODEL_PATTERN = SERIAL_PATTERN;

/** IoT thing group names: at most 128 characters. */
const MAX_GROUP_NAME = 128;

/** Why `id` cannot be a fleet id, or undefined when it can. */
export function fleetIdProblem(what: string, id: unknown): string | undefined {
  if (typeof id !== "string" || id.length === 0) return `${what} is missing`;
  if (id.length > MAX_FLEET_ID_LENGTH) return `${what} '${id.slice(0, 40)}…' is longer than ${MAX_FLEET_ID_LENGTH} characters`;
  if (!FLEET_ID_PATTERN.test(id)) return `${what} '${id}' must be letters, digits, _ and - only, starting with a letter or digit`;
  return undefined;
}

/** The thing group of a site. */
export function siteGroupName(prefix: string, site: string): string {
  return `${prefix}-site-${site}`;
}

/** The thing group of a line (line ids repeat across sites, so the site is part of the name). */
export function lineGroupName(prefix: string, site: string, line: string): string {
  return `${prefix}-line-${site}:${line}`;
}

/** One production line of the fleet, as stack config names it: `<site>/<line>`. */
export interface FleetLine {
  site: string;
  line: string;
}

/** Parses `<site>/<line>`; throws naming the entry and what is wrong. */
export function parseFleetLine(entry: string): FleetLine {
  const parts = entry.split("/");
  if (parts.length !== 2) throw new Error(`'${entry}' must be <site>/<line>, e.g. plant-a/line-1`);
  const [site, line] = parts;
  const problem = fleetIdProblem("site", site) ?? fleetIdProblem("line", line);
  if (problem) throw new Error(`'${entry}': ${problem}`);
  return { site, line };
}

/** The `<site>/<line>` key of a line (stack config, the hook's list of lines). */
export function fleetLineKey(l: FleetLine): string {
  return `${l.site}/${l.line}`;
}

/** Why a group name of this prefix and these lines would exceed IoT's limit, or undefined when none does. */
export function groupNameProblem(prefix: string, lines: readonly FleetLine[]): string | undefined {
  for (const l of lines) {
    const name = lineGroupName(prefix, l.site, l.line);
    if (name.length > MAX_GROUP_NAME) return `thing group '${name}' is longer than ${MAX_GROUP_NAME} characters: shorten the site or line id`;
  }
  return undefined;
}
