/**
 * The device and claim policies, judged by the IoT policy evaluator (policy/iot-policy-eval.ts) over a matrix of
 * (certificate, client id, request): a device may connect only as its own thing and publish only to its own
 * site/line/device Basic Ingest topic; the claim certificate reaches the provisioning API and nothing else.
 */
import { installMocks, resolve, MOCK_ACCOUNT, MOCK_REGION } from "../pulumi/harness";
import type * as IngestModule from "../../components/device-ingest";
import type * as FleetModule from "../../components/device-fleet";
import { evaluate, wildcardMatch, type Connection, type IotPolicyDocument, type IotRequest, type RegisteredThing } from "../../policy/iot-policy-eval";
import { deviceTopic } from "../../contract/telemetry";

installMocks();
const { devicePolicyDocument } = require("../../components/device-ingest") as typeof IngestModule;
const { claimPolicyDocument } = require("../../components/device-fleet") as typeof FleetModule;

const ARN = `arn:aws:iot:${MOCK_REGION}:${MOCK_ACCOUNT}`;
const RULE = "ingest_prod";
const TEMPLATE = "iotpipe-prod-fleet";
const registry: Record<string, RegisteredThing> = {
  "a1-press01": { attributes: { site: "plant-a", line: "line-1", model: "P200", serial: "SN-1" }, certificates: ["cert-1"] },
  "a1-press02": { attributes: { site: "plant-a", line: "line-1", model: "P200", serial: "SN-2" }, certificates: ["cert-2"] },
  "a2-press01": { attributes: { site: "plant-a", line: "line-2", model: "P200", serial: "SN-3" }, certificates: ["cert-3"] },
  "b1-press01": { attributes: { site: "plant-b", line: "line-1", model: "P200", serial: "SN-4" }, certificates: ["cert-4"] },
  "no-attributes": { attributes: {}, certificates: ["cert-5"] },
};
const publish = (topic: string): IotRequest => ({ action: "iot:Publish", resource: `${ARN}:topic/${topic}` });
const telemetry = (site: string, line: string, device: string) => publish(deviceTopic(site, line, device, RULE));

let devicePolicy: IotPolicyDocument;
beforeAll(async () => {
  devicePolicy = (await resolve(devicePolicyDocument(`${ARN}:client`, `${ARN}:topic`, RULE))) as IotPolicyDocument;
});
const judge = (connection: Connection, request: IotRequest) => evaluate([devicePolicy], connection, registry, request);

describe("device policy: identity bound to the topic", () => {
  const own: Connection = { certificateId: "cert-1", clientId: "a1-press01" };

  it.each<[string, IotRequest, string]>([
    ["connects as its own thing", { action: "iot:Connect", resource: `${ARN}:client/a1-press01` }, "allow"],
    ["publishes to its own topic", telemetry("plant-a", "line-1", "a1-press01"), "allow"],
    ["another device's topic, same line", telemetry("plant-a", "line-1", "a1-press02"), "implicit-deny"],
    ["its own device id on another line", telemetry("plant-a", "line-2", "a1-press01"), "implicit-deny"],
    ["its own device id at another site", telemetry("plant-b", "line-1", "a1-press01"), "implicit-deny"],
    ["another line's device", telemetry("plant-a", "line-2", "a2-press01"), "implicit-deny"],
    ["another site's device", telemetry("plant-b", "line-1", "b1-press01"), "implicit-deny"],
    ["the telemetry topic without the Basic Ingest prefix", publish("telemetry/plant-a/line-1/a1-press01"), "implicit-deny"],
    ["an MQTT + in the device level (literal in a policy)", publish(`$aws/rules/${RULE}/telemetry/plant-a/line-1/+`), "implicit-deny"],
    ["an MQTT # under its line", publish(`$aws/rules/${RULE}/telemetry/plant-a/line-1/#`), "implicit-deny"],
    ["a * in its line level", publish(`$aws/rules/${RULE}/telemetry/plant-a/*/a1-press01`), "implicit-deny"],
    ["a subtopic of its own topic", publish(`${deviceTopic("plant-a", "line-1", "a1-press01", RULE)}/extra`), "implicit-deny"],
    ["another rule's Basic Ingest topic", publish(deviceTopic("plant-a", "line-1", "a1-press01", "other_rule")), "implicit-deny"],
    ["subscribing to its own topic", { action: "iot:Subscribe", resource: `${ARN}:topicfilter/telemetry/plant-a/line-1/a1-press01` }, "implicit-deny"],
    ["receiving anything", { action: "iot:Receive", resource: `${ARN}:topic/telemetry/plant-a/line-1/a1-press01` }, "implicit-deny"],
    ["the provisioning API", publish("$aws/certificates/create/json"), "implicit-deny"],
  ])("own certificate and client id: %s", (_, request, expected) => {
    expect(judge(own, request)).toBe(expected);
  });

  it("a client id that is not the thing its certificate is attached to is refused at connect and publish", () => {
    const impostor: Connection = { certificateId: "cert-1", clientId: "a1-press02" };
    expect(judge(impostor, { action: "iot:Connect", resource: `${ARN}:client/a1-press02` })).toBe("implicit-deny");
    expect(judge(impostor, { action: "iot:Connect", resource: `${ARN}:client/a1-press01` })).toBe("implicit-deny");
    // Had the broker let it on: the other thing's topic resolves, but its certificate is not attached there.
    expect(judge(impostor, telemetry("plant-a", "line-1", "a1-press02"))).toBe("implicit-deny");
    expect(judge(impostor, telemetry("plant-a", "line-1", "a1-press01"))).toBe("implicit-deny");
    const unknown: Connection = { certificateId: "cert-1", clientId: "sensor-42" };
    expect(judge(unknown, { action: "iot:Connect", resource: `${ARN}:client/sensor-42` })).toBe("implicit-deny");
    expect(judge(unknown, telemetry("plant-a", "line-1", "sensor-42"))).toBe("implicit-deny");
  });

  it("every device of the registry publishes to its own topic only", () => {
    const devices = Object.entries(registry).filter(([, t]) => t.attributes.site);
    for (const [device, thing] of devices) {
      const connection = { certificateId: thing.certificates[0], clientId: device };
      for (const [other, otherThing] of devices) {
        const expected = other === device ? "allow" : "implicit-deny";
        expect({ device, other, d: judge(connection, telemetry(otherThing.attributes.site, otherThing.attributes.line, other)) }).toEqual({ device, other, d: expected });
      }
    }
  });

  it("a thing without site and line attributes connects but can publish nowhere (the variables do not resolve)", () => {
    const bare: Connection = { certificateId: "cert-5", clientId: "no-attributes" };
    expect(judge(bare, { action: "iot:Connect", resource: `${ARN}:client/no-attributes` })).toBe("allow");
    expect(judge(bare, publish(`$aws/rules/${RULE}/telemetry///no-attributes`))).toBe("implicit-deny");
    expect(judge(bare, telemetry("plant-a", "line-1", "no-attributes"))).toBe("implicit-deny");
  });
});

describe("claim policy: the fleet provisioning API only", () => {
  const claim = claimPolicyDocument(ARN, TEMPLATE) as IotPolicyDocument;
  // The claim certificate is attached to no thing; devices of a batch share it under their own client ids.
  const batch: Connection = { certificateId: "claim-cert", clientId: "SN-0042" };
  const sub = (filter: string): IotRequest => ({ action: "iot:Subscribe", resource: `${ARN}:topicfilter/${filter}` });
  const receive = (topic: string): IotRequest => ({ action: "iot:Receive", resource: `${ARN}:topic/${topic}` });

  it.each<[string, IotRequest, string]>([
    ["connects under any client id", { action: "iot:Connect", resource: `${ARN}:client/SN-0042` }, "allow"],
    ["asks for keys and a certificate", publish("$aws/certificates/create/json"), "allow"],
    ["has its CSR signed", publish("$aws/certificates/create-from-csr/json"), "allow"],
    ["calls RegisterThing with this template", publish(`$aws/provisioning-templates/${TEMPLATE}/provision/json`), "allow"],
    ["subscribes to the template's answers", sub(`$aws/provisioning-templates/${TEMPLATE}/provision/json/accepted`), "allow"],
    ["receives a rejection", receive("$aws/certificates/create/json/rejected"), "allow"],
    ["another template", publish("$aws/provisioning-templates/other-template/provision/json"), "implicit-deny"],
    ["the CBOR API (not granted)", publish("$aws/certificates/create/cbor"), "implicit-deny"],
    ["a wildcard subscription to every template", sub("$aws/provisioning-templates/+/provision/json/accepted"), "implicit-deny"],
    ["a # subscription to every certificate answer", sub("$aws/certificates/create/json/#"), "implicit-deny"],
    ["telemetry", telemetry("plant-a", "line-1", "a1-press01"), "implicit-deny"],
    ["a device's topic subscription", sub("telemetry/plant-a/line-1/a1-press01"), "implicit-deny"],
  ])("%s", (_, request, expected) => {
    expect(evaluate([claim], batch, registry, request)).toBe(expected);
  });
});

describe("the evaluator's own semantics", () => {
  const connection: Connection = { certificateId: "cert-1", clientId: "a1-press01" };
  it("an explicit Deny wins over an Allow", () => {
    const deny: IotPolicyDocument = { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "iot:Publish", Resource: `${ARN}:topic/$aws/rules/${RULE}/telemetry/plant-a/*` }] };
    expect(evaluate([devicePolicy, deny], connection, registry, telemetry("plant-a", "line-1", "a1-press01"))).toBe("explicit-deny");
    expect(evaluate([devicePolicy, deny], connection, registry, { action: "iot:Connect", resource: `${ARN}:client/a1-press01` })).toBe("allow");
  });
  it("* spans levels and ? one character; + and # are literal", () => {
    expect(wildcardMatch("topic/a/*", "topic/a/b/c")).toBe(true);
    expect(wildcardMatch("topic/?/c", "topic/b/c")).toBe(true);
    expect(wildcardMatch("topic/?/c", "topic/bb/c")).toBe(false);
    expect(wildcardMatch("topic/+/c", "topic/b/c")).toBe(false);
    expect(wildcardMatch("topic/+/c", "topic/+/c")).toBe(true);
    expect(wildcardMatch("topic/#", "topic/b")).toBe(false);
    expect(wildcardMatch("$aws/rules/x", "$aws/rules/x")).toBe(true);
  });
  it("refuses to judge a condition operator it does not model", () => {
    const odd: IotPolicyDocument = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iot:Connect", Resource: "*", Condition: { DateGreaterThan: { "aws:CurrentTime": "2026-01-01T00:00:00Z" } } }] };
    expect(() => evaluate([odd], connection, registry, { action: "iot:Connect", resource: `${ARN}:client/a1-press01` })).toThrow("DateGreaterThan is not modelled");
  });
});
