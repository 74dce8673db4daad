/**
 * EncryptionKey under Pulumi mocks. Pattern used by every component test: `installMocks()` runs first and the
 * component module is loaded afterwards with `require`, so the mocks are in place before @pulumi/aws creates
 * anything (ES imports would be hoisted above the call). Types come from a type-only import, which emits nothing.
 */
import { installMocks, settle, oneOf, statementsOf, resolve, MOCK_ACCOUNT, MOCK_REGION } from "../pulumi/harness";
import type * as KeyModule from "../../components/encryption-key";

const recorded = installMocks();
const { EncryptionKey } = require("../../components/encryption-key") as typeof KeyModule;

const ROOT = `arn:aws:iam::${MOCK_ACCOUNT}:root`;

describe("EncryptionKey", () => {
  it("creates a rotating key with the account-root delegation statement only, and a per-stack alias", async () => {
    const key = new EncryptionKey("minimal");
    expect(await resolve(key.arn)).toBe(`arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT}:key/minimal-key-key-id`);
    await settle(recorded);
    const kms = oneOf(recorded, "aws:kms/key:Key", "minimal-key");
    expect(kms.parent).toBe("minimal");
    expect(kms.inputs.enableKeyRotation).toBe(true);
    expect(kms.inputs.deletionWindowInDays).toBe(30);
    const statements = statementsOf(kms.inputs.policy);
    expect(statements).toEqual([
      { Sid: "AccountAdministersKeyThroughIam", Effect: "Allow", Principal: { AWS: ROOT }, Action: ["kms:*"], Resource: ["*"] },
    ]);
    const alias = oneOf(recorded, "aws:kms/alias:Alias", "minimal-alias");
    expect(alias.inputs.name).toBe("alias/iotpipe/test/minimal");
    expect(alias.inputs.targetKeyId).toBe("minimal-key-key-id");
  });

  it("grants CloudWatch Logs (encryption-context scoped), alarms (source scoped) and EventBridge", async () => {
    new EncryptionKey("shared", {
      deletionWindowInDays: 7,
      aliasName: "alias/custom",
      serviceUses: [
        { service: "logs", logGroupNamePattern: "/aws/kinesis-analytics/*" },
        { service: "cloudwatch-alarms", alarmNamePattern: "iotpipe-*" },
        { service: "eventbridge" },
      ],
    });
    await settle(recorded);
    const kms = oneOf(recorded, "aws:kms/key:Key", "shared-key");
    expect(kms.inputs.deletionWindowInDays).toBe(7);
    expect(oneOf(recorded, "aws:kms/alias:Alias", "shared-alias").inputs.name).toBe("alias/custom");
    const [root, logs, alarms, events] = statementsOf(kms.inputs.policy);
    expect(root.Principal).toEqual({ AWS: ROOT });
    expect(logs).toEqual({
      Sid: "CloudWatchLogsEncryptsLogGroups",
      Effect: "Allow",
      Principal: { Service: `logs.${MOCK_REGION}.amazonaws.com` },
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      Resource: ["*"],
      Condition: {
        ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${MOCK_REGION}:${MOCK_ACCOUNT}:log-group:/aws/kinesis-analytics/*` },
      },
    });
    expect(alarms).toEqual({
      Sid: "CloudWatchAlarmsPublishToEncryptedTopics",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: ["*"],
      Condition: {
        StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT },
        ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:${MOCK_REGION}:${MOCK_ACCOUNT}:alarm:iotpipe-*` },
      },
    });
    // EventBridge does not send aws:SourceAccount/SourceArn on this call: a condition on them would drop alerts.
    expect(events).toEqual({
      Sid: "EventBridgePublishesToEncryptedTopics",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: ["*"],
    });
  });

  it("two instances do not collide", async () => {
    new EncryptionKey("a1");
    new EncryptionKey("a2");
    await settle(recorded);
    expect(oneOf(recorded, "aws:kms/alias:Alias", "a1-alias").inputs.name).not.toBe(oneOf(recorded, "aws:kms/alias:Alias", "a2-alias").inputs.name);
  });

  it("rejects bad arguments with the component and field named", () => {
    expect(() => new EncryptionKey("bad1", { deletionWindowInDays: 3 })).toThrow("EncryptionKey 'bad1': deletionWindowInDays must be an integer from 7 to 30 (got 3)");
    expect(() => new EncryptionKey("bad2", { aliasName: "mykey" })).toThrow(/EncryptionKey 'bad2': aliasName must look like 'alias\//);
    expect(() => new EncryptionKey("bad3", { aliasName: "alias/aws/s3" })).toThrow(/not start with 'alias\/aws\/'/);
  });
});
