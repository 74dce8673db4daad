/**
 * A small evaluator of AWS IoT Core policies, enough to prove what the device and claim policies allow: a
 * connection (certificate + MQTT client id) against a registry of things, the thing policy variables resolved
 * from it, then each request (Connect, Publish, Subscribe, Receive on an ARN) judged like IoT does:
 *
 * - thing policy variables: with non-exclusive thing association (the default) the thing is the one named by the
 *   client id; `iot:Connection.Thing.IsAttached` is true only when the connection's certificate is attached to
 *   that thing; `Attributes[name]` are that thing's. A variable that does not resolve (no such thing, no such
 *   attribute) leaves its resource unmatched: the statement grants nothing (AWS: "this variable won't be resolved
 *   and will result in an access denied error").
 * - `${iot:ClientId}` is the client id as sent.
 * - in a resource, `*` matches any characters (slashes too) and `?` one character; MQTT's `+` and `#` are literal
 *   characters in a policy, not wildcards.
 * - an explicit Deny wins over any Allow; nothing allowed is denied.
 *
 * Conditions: `Bool` and `StringEquals`/`StringNotEquals`/`StringLike` on the variables above; any other operator
 * throws, so a policy using one is never judged by a guess.
 */

/** A thing in the registry: its attributes and the certificates attached to it. */
export interface RegisteredThing {
  attributes: Record<string, string>;
  certificates: string[];
}

/** One MQTT connection: the certificate it authenticated with and the client id it sent. */
export interface Connection {
  certificateId: string;
  clientId: string;
}

export type IotAction = "iot:Connect" | "iot:Publish" | "iot:Subscribe" | "iot:Receive";

export interface IotRequest {
  action: IotAction;
  /** The full ARN: `…:client/<id>`, `…:topic/<name>`, `…:topicfilter/<filter>`. */
  resource: string;
}

export type Decision = "allow" | "explicit-deny" | "implicit-deny";

interface PolicyStatement {
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface IotPolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The policy variables of a connection; a variable absent here does not resolve. */
export function connectionVariables(connection: Connection, registry: Record<string, RegisteredThing>): Record<string, string> {
  const vars: Record<string, string> = { "iot:ClientId": connection.clientId };
  const thing = Object.prototype.hasOwnProperty.call(registry, connection.clientId) ? registry[connection.clientId] : undefined;
  if (!thing) {
    vars["iot:Connection.Thing.IsAttached"] = "false";
    return vars;
  }
  vars["iot:Connection.Thing.ThingName"] = connection.clientId;
  vars["iot:Connection.Thing.IsAttached"] = String(thing.certificates.includes(connection.certificateId));
  for (const [name, value] of Object.entries(thing.attributes)) vars[`iot:Connection.Thing.Attributes[${name}]`] = value;
  return vars;
}

/** Replaces `${var}` in a resource; undefined when one does not resolve. */
function substitute(pattern: string, vars: Record<string, string>): string | undefined {
  let unresolved = false;
  const text = pattern.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    if (!(name in vars)) {
      unresolved = true;
      return "";
    }
    return vars[name];
  });
  return unresolved ? undefined : text;
}

/** IAM-style wildcard match: `*` any characters, `?` one; every other character (`+`, `#` included) literal. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\#/]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${regex}$`, "s").test(value);
}

function conditionHolds(condition: PolicyStatement["Condition"], vars: Record<string, string>): boolean {
  for (const [operator, tests] of Object.entries(condition ?? {})) {
    for (const [key, expected] of Object.entries(tests)) {
      const actual = vars[key];
      const values = list(expected).map(String);
      switch (operator) {
        case "Bool":
        case "StringEquals":
          if (actual === undefined || !values.includes(actual)) return false;
          break;
        case "StringNotEquals":
          if (actual !== undefined && values.includes(actual)) return false;
          break;
        case "StringLike":
          if (actual === undefined || !values.some((v) => wildcardMatch(v, actual))) return false;
          break;
        default:
          throw new Error(`condition operator ${operator} is not modelled by this evaluator`);
      }
    }
  }
  return true;
}

function statementApplies(s: PolicyStatement, request: IotRequest, vars: Record<string, string>): boolean {
  if (!list(s.Action).some((a) => wildcardMatch(a, request.action))) return false;
  const matches = list(s.Resource).some((r) => {
    const resolved = substitute(r, vars);
    return resolved !== undefined && wildcardMatch(resolved, request.resource);
  });
  return matches && conditionHolds(s.Condition, vars);
}

/** Judges one request of a connection under the policies attached to its certificate. */
export function evaluate(policies: IotPolicyDocument[], connection: Connection, registry: Record<string, RegisteredThing>, request: IotRequest): Decision {
  const vars = connectionVariables(connection, registry);
  const applicable = policies.flatMap((p) => p.Statement).filter((s) => statementApplies(s, request, vars));
  if (applicable.some((s) => s.Effect === "Deny")) return "explicit-deny";
  return applicable.some((s) => s.Effect === "Allow") ? "allow" : "implicit-deny";
}
