/**
 * DeviceIngest under Pulumi mocks. `installMocks()` runs before the component module is loaded with `require`
 * (ES imports would be hoisted above it); the type-only import emits nothing.
 */
import { installMocks, settle, oneOf, ofType, statementsOf, resolve, MOCK_ACCOUNT, MOCK_REGION } from "../pulumi/harness";
import type * as IngestModule from "../../components/device-ingest";
import { deviceTopic, parseDeviceTopic } from "../../contract/telemetry";

const recorded = installMocks();
const { DeviceIngest, INGEST_ERRORS_PREFIX, INGEST_ERRORS_KEY_TEMPLATE, ingestSql } = require("../../components/device-ingest") as typeof IngestModule;

const A = MOCK_ACCOUNT;
const R = MOCK_REGION;
const STREAM_ARN = `arn:aws:kinesis:${R}:${A}:stream/raw-telemetry`;
const STREAM_KEY = `arn:aws:kms:${R}:${A}:key/stream-key`;
const BUCKET_KEY = `arn:aws:kms:${R}:${A}:key/lake-key`;
const base = {
  rawStream: { name: "raw-telemetry", arn: STREAM_ARN },
  rawStreamKeyArn: STREAM_KEY,
  errorBucket: { name: "acme-lake", arn: "arn:aws:s3:::acme-lake" },
  errorBucketKeyArn: BUCKET_KEY,
};

describe("DeviceIngest", () => {
  it("confines devices, routes telemetry to the raw stream by device, keeps failures in S3", async () => {
    const ingest = new DeviceIngest("plant-ingest", base);
    expect(await resolve(ingest.ruleName)).toBe("plant_ingest_test");
    expect(await resolve(ingest.basicIngestTopicPattern)).toBe("$aws/rules/plant_ingest_test/telemetry/<site>/<line>/<device>");
    await settle(recorded);

    expect(oneOf(recorded, "aws:iot/thingType:ThingType", "plant-ingest-thing-type").inputs.properties).toEqual({
      description: "iotpipe telemetry device", searchableAttributes: ["site", "line"],
    });
    const group = oneOf(recorded, "aws:iot/thingGroup:ThingGroup", "plant-ingest-devices");
    expect(group.parent).toBe("plant-ingest");

    const policy = statementsOf(oneOf(recorded, "aws:iot/policy:Policy", "plant-ingest-device-policy").inputs.policy);
    expect(policy).toEqual([
      {
        Sid: "ConnectAsOwnThing",
        Effect: "Allow",
        Action: ["iot:Connect"],
        Resource: [`arn:aws:iot:${R}:${A}:client/\${iot:Connection.Thing.ThingName}`],
        Condition: { Bool: { "iot:Connection.Thing.IsAttached": "true" } },
      },
      {
        Sid: "PublishOwnTelemetry",
        Effect: "Allow",
        Action: ["iot:Publish"],
        Resource: [
          `arn:aws:iot:${R}:${A}:topic/$aws/rules/plant_ingest_test/telemetry/\${iot:Connection.Thing.Attributes[site]}/\${iot:Connection.Thing.Attributes[line]}/\${iot:Connection.Thing.ThingName}`,
        ],
        Condition: { Bool: { "iot:Connection.Thing.IsAttached": "true" } },
      },
    ]);
    // The topic the policy allows is the one the contract builds for a device.
    const allowed = policy[1].Resource[0].replace(/^arn:aws:iot:[^:]+:\d+:topic\//, "")
      .replace("${iot:Connection.Thing.Attributes[site]}", "plant-a").replace("${iot:Connection.Thing.Attributes[line]}", "line-1")
      .replace("${iot:Connection.Thing.ThingName}", "dev-7");
    expect(allowed).toBe(deviceTopic("plant-a", "line-1", "dev-7", "plant_ingest_test"));
    expect(parseDeviceTopic(allowed)).toEqual({ site: "plant-a", line: "line-1", deviceId: "dev-7" });

    const attachment = oneOf(recorded, "aws:iot/policyAttachment:PolicyAttachment", "plant-ingest-device-policy-attachment");
    expect(attachment.inputs).toEqual({ policy: "plant-ingest-device-policy", target: group.state.arn });

    const role = oneOf(recorded, "aws:iam/role:Role", "plant-ingest-rule-role");
    expect(statementsOf(role.inputs.assumeRolePolicy)).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "iot.amazonaws.com" },
        Action: ["sts:AssumeRole"],
        Resource: [],
        Condition: { StringEquals: { "aws:SourceAccount": A }, ArnLike: { "aws:SourceArn": `arn:aws:iot:${R}:${A}:rule/plant_ingest_test` } },
      },
    ]);
    const rolePolicy = oneOf(recorded, "aws:iam/rolePolicy:RolePolicy", "plant-ingest-rule-policy");
    expect(rolePolicy.inputs.role).toBe("plant-ingest-rule-role-id");
    expect(statementsOf(rolePolicy.inputs.policy)).toEqual([
      { Sid: "WriteRawStream", Effect: "Allow", Action: ["kinesis:PutRecord"], Resource: [STREAM_ARN] },
      { Sid: "EncryptRawStreamRecords", Effect: "Allow", Action: ["kms:GenerateDataKey"], Resource: [STREAM_KEY] },
      { Sid: "KeepFailedDeliveries", Effect: "Allow", Action: ["s3:PutObject"], Resource: ["arn:aws:s3:::acme-lake/ingest_errors/*"] },
      { Sid: "EncryptFailedDeliveries", Effect: "Allow", Action: ["kms:GenerateDataKey"], Resource: [BUCKET_KEY] },
    ]);

    const rule = oneOf(recorded, "aws:iot/topicRule:TopicRule", "plant-ingest-rule");
    expect(rule.inputs).toMatchObject({ name: "plant_ingest_test", enabled: true, sqlVersion: "2016-03-23" });
    // The payload goes through as bytes (no field of it is read, so no payload can fail the rule); the address
    // comes from the topic, never from the payload.
    expect(rule.inputs.sql).toBe(
      "SELECT encode(*, 'base64') AS payload_base64, topic(4) AS device_id, topic(2) AS site, topic(3) AS line, timestamp() AS ingest_ts FROM 'telemetry/+/+/+'",
    );
    const roleArn = `arn:aws:iam::${A}:role/plant-ingest-rule-role`;
    expect(rule.inputs.kineses).toEqual([{ streamName: "raw-telemetry", roleArn, partitionKey: "${topic(4)}" }]);
    expect(rule.inputs.errorAction).toEqual({
      s3: { bucketName: "acme-lake", roleArn, key: 'ingest_errors/dt=${parse_time("yyyy-MM-dd", timestamp(), "UTC")}/${newuuid()}.json' },
    });
    expect(INGEST_ERRORS_KEY_TEMPLATE.startsWith(`${INGEST_ERRORS_PREFIX}/dt=`)).toBe(true);
    expect(ingestSql()).toBe(rule.inputs.sql);

    expect(await resolve(ingest.policyName)).toBe("plant-ingest-device-policy");
    expect(await resolve(ingest.thingTypeName)).toBe("plant-ingest-thing-type");
    expect(await resolve(ingest.thingGroupName)).toBe("plant-ingest-devices");
  });

  it("one key for stream and bucket is granted once", async () => {
    new DeviceIngest("onekey", { ...base, errorBucketKeyArn: STREAM_KEY, ruleName: "shared_key_rule" });
    await settle(recorded);
    const statements = statementsOf(oneOf(recorded, "aws:iam/rolePolicy:RolePolicy", "onekey-rule-policy").inputs.policy);
    expect(statements.map((s) => s.Sid)).toEqual(["WriteRawStream", "EncryptRawStreamRecords", "KeepFailedDeliveries"]);
    expect(oneOf(recorded, "aws:iot/topicRule:TopicRule", "onekey-rule").inputs.name).toBe("shared_key_rule");
  });

  it("existing thing group: nothing created for it, policy attached by ARN; attachment can be switched off", async () => {
    const ingest = new DeviceIngest("legacy", { ...base, existingThingGroupName: "fleet" });
    expect(await resolve(ingest.thingGroupName)).toBe("fleet");
    new DeviceIngest("noattach", { ...base, attachPolicyToThingGroup: false });
    await settle(recorded);
    expect(ofType(recorded, "aws:iot/thingGroup:ThingGroup", /^legacy/)).toHaveLength(0);
    expect(oneOf(recorded, "aws:iot/policyAttachment:PolicyAttachment", "legacy-device-policy-attachment").inputs.target)
      .toBe(`arn:aws:iot:${R}:${A}:thinggroup/fleet`);
    expect(ofType(recorded, "aws:iot/policyAttachment:PolicyAttachment", /^noattach/)).toHaveLength(0);
  });

  it("two instances do not collide (resources, rule names, policy topics)", async () => {
    new DeviceIngest("site-a", base);
    new DeviceIngest("site-b", base);
    await settle(recorded);
    const mine = recorded.filter((r) => r.parent === "site-a" || r.parent === "site-b").map((r) => `${r.type}/${r.name}`);
    expect(new Set(mine).size).toBe(mine.length);
    const ruleA = oneOf(recorded, "aws:iot/topicRule:TopicRule", "site-a-rule").inputs.name;
    const ruleB = oneOf(recorded, "aws:iot/topicRule:TopicRule", "site-b-rule").inputs.name;
    expect([ruleA, ruleB]).toEqual(["site_a_test", "site_b_test"]);
  });

  it("rejects bad rule names with a clear error", () => {
    expect(() => new DeviceIngest("bad1", { ...base, ruleName: "has-dash" }))
      .toThrow("DeviceIngest 'bad1': ruleName must be 1-128 letters, digits or underscores (AWS IoT rule names; got 'has-dash')");
    expect(() => new DeviceIngest("bad2", { ...base, ruleName: "" })).toThrow("ruleName must be 1-128");
  });
});
