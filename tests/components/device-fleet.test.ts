/**
 * DeviceFleet under Pulumi mocks: the provisioning template's JSON, the thing groups per site and line, the
 * allow-list table, the hook wiring (function, invoke permission scoped to the template), the provisioning and
 * hook roles' least-privilege policies, and the claim policy. Mocks first, then `require` the component.
 */
import { installMocks, settle, oneOf, ofType, statementsOf, resolve, MOCK_ACCOUNT, MOCK_REGION } from "../pulumi/harness";
import { RESOURCE_RULES } from "../../policy/rules";
const recorded = installMocks();
const { DeviceFleet } = require("../../components/device-fleet") as typeof import("../../components/device-fleet");

const A = MOCK_ACCOUNT;
const R = MOCK_REGION;
const IOT = `arn:aws:iot:${R}:${A}`;
const KEY = `arn:aws:kms:${R}:${A}:key/ops-key`;
const lines = [{ site: "plant-a", line: "line-1" }, { site: "plant-a", line: "line-2" }, { site: "plant-b", line: "line-1" }];
const base = { lines, devicePolicyName: "ingest-device-policy", thingTypeName: "ingest-thing-type", fleetThingGroupName: "ingest-devices", keyArn: KEY };

describe("DeviceFleet", () => {
  let fleet: InstanceType<typeof DeviceFleet>;
  beforeAll(async () => {
    fleet = new DeviceFleet("fleet", { ...base, prefix: "iotpipe-prod" });
    await settle(recorded);
  }, 60_000);
  const mine = (type: string) => ofType(recorded, type).filter((r) => r.parent === "fleet");

  it("makes one thing group per site and per line, named as contract/device-identity.ts says", async () => {
    expect(mine("aws:iot/thingGroup:ThingGroup").map((g) => g.inputs.name).sort()).toEqual([
      "iotpipe-prod-line-plant-a:line-1", "iotpipe-prod-line-plant-a:line-2", "iotpipe-prod-line-plant-b:line-1",
      "iotpipe-prod-site-plant-a", "iotpipe-prod-site-plant-b",
    ]);
    expect(fleet.lineGroupNames).toEqual({
      "plant-a/line-1": "iotpipe-prod-line-plant-a:line-1", "plant-a/line-2": "iotpipe-prod-line-plant-a:line-2", "plant-b/line-1": "iotpipe-prod-line-plant-b:line-1",
    });
    expect(fleet.siteGroupNames).toEqual({ "plant-a": "iotpipe-prod-site-plant-a", "plant-b": "iotpipe-prod-site-plant-b" });
    expect(await resolve(fleet.templateName)).toBe("iotpipe-prod-fleet");
  });

  it("provisioning template: the thing with its four attributes, its groups, the device policy, its certificate activated, the hook", () => {
    const template = oneOf(recorded, "aws:iot/provisioningTemplate:ProvisioningTemplate", "fleet-template");
    const fn = oneOf(recorded, "aws:lambda/function:Function", "fleet-hook");
    expect(template.inputs).toMatchObject({
      name: "iotpipe-prod-fleet", type: "FLEET_PROVISIONING", enabled: true,
      provisioningRoleArn: oneOf(recorded, "aws:iam/role:Role", "fleet-provisioning-role").state.arn,
      preProvisioningHook: { targetArn: fn.state.arn, payloadVersion: "2020-04-01" },
    });
    const body = JSON.parse(template.inputs.templateBody);
    expect(Object.keys(body.Parameters).sort()).toEqual(["AWS::IoT::Certificate::Id", "Line", "Model", "SerialNumber", "Site", "ThingName"]);
    expect(body.Resources.thing).toEqual({
      Type: "AWS::IoT::Thing",
      OverrideSettings: { AttributePayload: "REPLACE", ThingTypeName: "REPLACE", ThingGroups: "REPLACE" },
      Properties: {
        ThingName: { Ref: "ThingName" },
        ThingTypeName: "ingest-thing-type",
        AttributePayload: { site: { Ref: "Site" }, line: { Ref: "Line" }, model: { Ref: "Model" }, serial: { Ref: "SerialNumber" } },
        ThingGroups: [
          "ingest-devices",
          { "Fn::Join": ["", ["iotpipe-prod-site-", { Ref: "Site" }]] },
          { "Fn::Join": ["", ["iotpipe-prod-line-", { Ref: "Site" }, ":", { Ref: "Line" }]] },
        ],
      },
    });
    expect(body.Resources.certificate).toEqual({ Type: "AWS::IoT::Certificate", Properties: { CertificateId: { Ref: "AWS::IoT::Certificate::Id" }, Status: "ACTIVE" } });
    expect(body.Resources.policy).toEqual({ Type: "AWS::IoT::Policy", Properties: { PolicyName: "ingest-device-policy" } });
    // The joined names are exactly the groups the component made, for every configured line.
    for (const l of lines) {
      const join = (parts: any[]) => parts.map((p) => (typeof p === "string" ? p : p.Ref === "Site" ? l.site : l.line)).join("");
      expect(mine("aws:iot/thingGroup:ThingGroup").map((g) => g.inputs.name)).toEqual(expect.arrayContaining([join(body.Resources.thing.Properties.ThingGroups[1]["Fn::Join"][1]), join(body.Resources.thing.Properties.ThingGroups[2]["Fn::Join"][1])]));
    }
  });

  it("provisioning role: trusted by IoT of this account, granted the registration calls on this stack's groups, type and policy only", () => {
    const role = oneOf(recorded, "aws:iam/role:Role", "fleet-provisioning-role");
    expect(statementsOf(role.inputs.assumeRolePolicy)).toEqual([
      { Effect: "Allow", Principal: { Service: "iot.amazonaws.com" }, Action: ["sts:AssumeRole"], Resource: [], Condition: { StringEquals: { "aws:SourceAccount": A } } },
    ]);
    expect(ofType(recorded, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toEqual([]);
    const statements = statementsOf(oneOf(recorded, "aws:iam/rolePolicy:RolePolicy", "fleet-provisioning-policy").inputs.policy);
    const grants = statements.flatMap((s) => s.Action.flatMap((a) => s.Resource.map((r) => `${a} ${r}`)));
    expect(grants.every((g) => !g.endsWith(" *") && !g.startsWith("* ") && !g.startsWith("iot:* "))).toBe(true);
    expect(statements.flatMap((s) => s.Resource).sort()).toEqual([
      `${IOT}:thing/*`, `${IOT}:thing/*`, `${IOT}:thinggroup/ingest-devices`, `${IOT}:thinggroup/iotpipe-prod-site-*`, `${IOT}:thinggroup/iotpipe-prod-line-*`,
      `${IOT}:thingtype/ingest-thing-type`, `${IOT}:cert/*`, `${IOT}:policy/ingest-device-policy`,
    ].sort());
    // The subset of AWSIoTThingsRegistration the template uses: no policy creation, no CSR signing, no billing groups.
    const actions = new Set(statements.flatMap((s) => s.Action));
    for (const needed of ["iot:CreateThing", "iot:AddThingToThingGroup", "iot:AttachThingPrincipal", "iot:AttachPolicy", "iot:UpdateCertificate", "iot:DescribeThingType"]) expect(actions).toContain(needed);
    for (const excluded of ["iot:CreatePolicy", "iot:CreateCertificateFromCsr", "iot:RegisterCertificate", "iot:DeleteThing", "iot:AddThingToBillingGroup"]) expect(actions).not.toContain(excluded);
    expect(statements.find((s) => s.Sid === "ActivateCertificateWithDevicePolicy")!.Resource).toEqual([`${IOT}:cert/*`, `${IOT}:policy/ingest-device-policy`]);
  });

  it("hook: bundled handler reading the allow-list, invocable only by this template of this account", async () => {
    const fn = oneOf(recorded, "aws:lambda/function:Function", "fleet-hook");
    const table = oneOf(recorded, "aws:dynamodb/table:Table", "fleet-allow-list");
    expect(fn.inputs).toMatchObject({ runtime: "nodejs24.x", architectures: ["arm64"], handler: "index.handler", timeout: 5 });
    expect(fn.inputs.environment.variables).toMatchObject({ ALLOW_LIST_TABLE: table.state.name, FLEET_LINES: "plant-a/line-1,plant-a/line-2,plant-b/line-1" });
    const index = await (await resolve(fleet.hookFunction.code) as any).assets["index.js"].text;
    expect(index).toContain("ALLOW_LIST_TABLE");
    expect(index).toContain("allowProvisioning");
    const permission = oneOf(recorded, "aws:lambda/permission:Permission", "fleet-hook-invoke");
    expect(permission.inputs).toEqual({
      action: "lambda:InvokeFunction", function: fn.state.name, principal: "iot.amazonaws.com",
      sourceArn: `${IOT}:provisioningtemplate/iotpipe-prod-fleet`, sourceAccount: A,
    });
    const hookRole = oneOf(recorded, "aws:iam/role:Role", "fleet-hook-role");
    expect(fn.inputs.role).toBe(hookRole.state.arn);
    const logGroup = oneOf(recorded, "aws:cloudwatch/logGroup:LogGroup", "fleet-hook-logs");
    expect(statementsOf(oneOf(recorded, "aws:iam/rolePolicy:RolePolicy", "fleet-hook-policy").inputs.policy)).toEqual([
      { Sid: "ReadAllowList", Effect: "Allow", Action: ["dynamodb:GetItem"], Resource: [table.state.arn] },
      { Sid: "AllowListKeyViaDynamoDb", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [KEY], Condition: { StringEquals: { "kms:ViaService": `dynamodb.${R}.amazonaws.com` } } },
      { Sid: "OwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${logGroup.state.arn}:*`] },
      {
        Sid: "EnvironmentKeyViaLambda",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: [KEY],
        Condition: { StringEquals: { "kms:ViaService": `lambda.${R}.amazonaws.com` }, ArnLike: { "kms:EncryptionContext:aws:lambda:FunctionArn": `arn:aws:lambda:${R}:${A}:function:*` } },
      },
    ]);
    expect(logGroup.inputs.kmsKeyId).toBe(KEY);
    expect(fn.inputs.kmsKeyArn).toBe(KEY);
    // IoT calls the hook synchronously: no dead-letter queue.
    expect(recorded.filter((r) => r.type === "aws:sqs/queue:Queue" && r.parent === "fleet")).toEqual([]);
  });

  it("allow-list: keyed by serial, encrypted with the customer key, point-in-time recovery, deletion protection", () => {
    const table = oneOf(recorded, "aws:dynamodb/table:Table", "fleet-allow-list");
    expect(table.inputs).toMatchObject({
      billingMode: "PAY_PER_REQUEST", hashKey: "serial", attributes: [{ name: "serial", type: "S" }],
      serverSideEncryption: { enabled: true, kmsKeyArn: KEY }, pointInTimeRecovery: { enabled: true }, deletionProtectionEnabled: true,
    });
  });

  it("claim policy: the provisioning topics of this template only, and the security policy accepts it as a claim policy", () => {
    const claim = oneOf(recorded, "aws:iot/policy:Policy", "fleet-claim-policy");
    const statements = statementsOf(claim.inputs.policy);
    expect(statements.find((s) => s.Sid === "CallProvisioningApis")!.Resource).toEqual([
      `${IOT}:topic/$aws/certificates/create/json`, `${IOT}:topic/$aws/certificates/create-from-csr/json`, `${IOT}:topic/$aws/provisioning-templates/iotpipe-prod-fleet/provision/json`,
    ]);
    expect(statements.filter((s) => s.Action.includes("iot:Subscribe")).flatMap((s) => s.Resource).every((r) => /\/(accepted|rejected)$/.test(r))).toBe(true);
    const rules = RESOURCE_RULES.flatMap((rule) => rule.check({ type: claim.type, name: claim.name, inputs: claim.inputs } as any, { environment: "prod" }).map((p) => `${rule.name}: ${p}`));
    expect(rules).toEqual([]);
    // The same document with one telemetry topic added is no longer a claim policy: the confinement rule objects.
    const widened = JSON.parse(claim.inputs.policy);
    widened.Statement[1].Resource.push(`${IOT}:topic/telemetry/plant-a/line-1/x`);
    const confined = RESOURCE_RULES.find((r) => r.name === "iot-device-policy-confined")!;
    expect(confined.check({ type: claim.type, name: claim.name, inputs: { policy: JSON.stringify(widened) } } as any, { environment: "prod" }).length).toBeGreaterThan(0);
  });

  it("rejects bad arguments with the component named", () => {
    expect(() => new DeviceFleet("bad1", { ...base, lines: [lines[0], lines[0]] })).toThrow("DeviceFleet 'bad1': line plant-a/line-1 is listed twice");
    expect(() => new DeviceFleet("bad2", { ...base, templateName: "x".repeat(37) })).toThrow("must be 1-36 letters");
    expect(() => new DeviceFleet("bad3", { ...base, prefix: "p".repeat(120) , templateName: "ok" })).toThrow("longer than 128 characters");
    expect(() => new DeviceFleet("bad4", { ...base, runtime: "nodejs20.x" as any })).toThrow("nodejs20.x can no longer be created");
  });
});
