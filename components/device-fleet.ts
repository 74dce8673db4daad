/**
 * DeviceFleet: how a plant's devices get onto the stack, by AWS IoT fleet provisioning by claim.
 *
 * A device leaves the factory with a shared claim certificate whose IoT policy (`claimPolicy`) allows nothing but
 * the fleet provisioning MQTT API. With it the device asks IoT for its own certificate (or has its CSR signed) and
 * calls RegisterThing with its serial number. IoT invokes the pre-provisioning hook (handlers/provisioning-hook),
 * which admits only serial numbers the plant registered in the allow-list table and fills in the device id,
 * site, line and model registered for that serial. The template then creates the thing (name = device id,
 * attributes site/line/model/serial), puts it in the stack's device group and in its site and line groups,
 * attaches the device policy (DeviceIngest: connect only as the own thing, publish only to the own
 * `telemetry/<site>/<line>/<thing>` topic) and activates the new certificate.
 *
 * Thing groups (contract/device-identity.ts): `<prefix>-site-<site>` and `<prefix>-line-<site>:<line>` for every
 * configured line; the prefix is `<project>-<stack>`. The groups must exist before a device names them, which is
 * why lines are stack configuration (`iotpipe:deviceLines`) and the hook refuses a serial registered elsewhere.
 *
 * The claim certificate itself is not made here: Pulumi state would hold its private key. The operator creates it
 * and attaches `claimPolicy` to it (README, "Device fleet").
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { bundleHandler } from "../handlers/bundle";
import { PARAMETERS } from "../handlers/provisioning-hook/admission";
import { fleetLineKey, groupNameProblem, lineGroupName, siteGroupName, type FleetLine, type ThingAttribute } from "../contract/device-identity";
import { ArgsCheck, awsContext, POLICY_VERSION, serviceTrustPolicy, type LambdaNodeRuntime } from "./naming";
import { encryptedFunction, kmsVia } from "./core";

export interface DeviceFleetArgs {
  /** Prefix of the thing group names, e.g. `iotpipe-prod`; default `<project>-<stack>`. */
  prefix?: string;
  /** The lines devices are provisioned into: one thing group per site and one per line. */
  lines: FleetLine[];
  /** The device policy every provisioned certificate gets (DeviceIngest's `policyName`). */
  devicePolicyName: pulumi.Input<string>;
  /** The thing type of provisioned things (DeviceIngest's `thingTypeName`). */
  thingTypeName: pulumi.Input<string>;
  /** A group every provisioned thing also joins (DeviceIngest's `thingGroupName`), if any. */
  fleetThingGroupName?: pulumi.Input<string>;
  /** CMK of the allow-list table, the hook's logs and its environment variables (its policy must allow CloudWatch Logs). */
  keyArn: pulumi.Input<string>;
  /** Provisioning template name (1-36 of `[0-9A-Za-z_-]`); devices publish to topics that contain it. Default `<prefix>-fleet`. */
  templateName?: string;
  /** Refuse to delete the allow-list table (DynamoDB deletion protection). Default true. */
  deletionProtection?: boolean;
  logRetentionDays?: number;
  runtime?: LambdaNodeRuntime;
  /** Hook code; default: `handlers/provisioning-hook` bundled now. */
  code?: pulumi.asset.Archive;
  tags?: Record<string, string>;
}

export const DEVICE_FLEET_DEFAULTS = {
  logRetentionDays: 90,
  /** The allow-list is the plant's record of its devices: deleting it takes a deliberate change first. */
  deletionProtection: true,
  runtime: "nodejs24.x" as const,
  /** IoT waits at most 5 s for the hook; a slower answer is a refusal, so the function may not run longer. */
  timeoutSeconds: 5,
  memoryMiB: 256,
  /** The only payload version IoT defines for pre-provisioning hooks. */
  hookPayloadVersion: "2020-04-01",
};

/** The provisioning template: parameters from the device (overridden by the hook), resources IoT creates. */
export function provisioningTemplateBody(p: { prefix: string; devicePolicyName: string; thingTypeName: string; fleetThingGroupName?: string }): object {
  const ref = (name: string) => ({ Ref: name });
  const join = (...parts: unknown[]) => ({ "Fn::Join": ["", parts] });
  return {
    Parameters: {
      [PARAMETERS.thingName]: { Type: "String" },
      [PARAMETERS.serial]: { Type: "String" },
      [PARAMETERS.site]: { Type: "String" },
      [PARAMETERS.line]: { Type: "String" },
      [PARAMETERS.model]: { Type: "String" },
      "AWS::IoT::Certificate::Id": { Type: "String" },
    },
    Resources: {
      thing: {
        Type: "AWS::IoT::Thing",
        // A device provisioned again (new certificate, same serial) gets what the allow-list says now.
        OverrideSettings: { AttributePayload: "REPLACE", ThingTypeName: "REPLACE", ThingGroups: "REPLACE" },
        Properties: {
          ThingName: ref(PARAMETERS.thingName),
          ThingTypeName: p.thingTypeName,
          AttributePayload: {
            site: ref(PARAMETERS.site),
            line: ref(PARAMETERS.line),
            model: ref(PARAMETERS.model),
            serial: ref(PARAMETERS.serial),
          } satisfies Record<ThingAttribute, unknown>,
          ThingGroups: [
            ...(p.fleetThingGroupName ? [p.fleetThingGroupName] : []),
            join(`${p.prefix}-site-`, ref(PARAMETERS.site)),
            join(`${p.prefix}-line-`, ref(PARAMETERS.site), ":", ref(PARAMETERS.line)),
          ],
        },
      },
      certificate: {
        Type: "AWS::IoT::Certificate",
        Properties: { CertificateId: ref("AWS::IoT::Certificate::Id"), Status: "ACTIVE" },
      },
      policy: { Type: "AWS::IoT::Policy", Properties: { PolicyName: p.devicePolicyName } },
    },
  };
}

/**
 * The claim certificate's policy: the fleet provisioning MQTT API and nothing else. Keys and certificate
 * (`$aws/certificates/create`), a CSR signed (`create-from-csr`, for devices that keep their key in a secure
 * element), RegisterThing with this template; JSON payloads. It cannot publish telemetry or read any other topic.
 * The claim certificate has no thing, so the client id is not pinned: it is shared by every device of a batch.
 */
export function claimPolicyDocument(arnPrefix: string, templateName: string): object {
  const apis = ["$aws/certificates/create/json", "$aws/certificates/create-from-csr/json", `$aws/provisioning-templates/${templateName}/provision/json`];
  const replies = apis.flatMap((api) => [`${api}/accepted`, `${api}/rejected`]);
  return {
    Version: POLICY_VERSION,
    Statement: [
      { Sid: "ConnectToProvision", Effect: "Allow", Action: "iot:Connect", Resource: `${arnPrefix}:client/*` },
      { Sid: "CallProvisioningApis", Effect: "Allow", Action: "iot:Publish", Resource: apis.map((t) => `${arnPrefix}:topic/${t}`) },
      { Sid: "SubscribeToReplies", Effect: "Allow", Action: "iot:Subscribe", Resource: replies.map((t) => `${arnPrefix}:topicfilter/${t}`) },
      { Sid: "ReceiveReplies", Effect: "Allow", Action: "iot:Receive", Resource: replies.map((t) => `${arnPrefix}:topic/${t}`) },
    ],
  };
}

/**
 * What IoT may do with the provisioning role: the calls RegisterThing makes for this template (the subset of the
 * managed AWSIoTThingsRegistration policy it uses), on this account's things and certificates, this stack's
 * thing groups, the thing type and the device policy only.
 */
export function provisioningRolePolicy(p: { arnPrefix: string; prefix: string; devicePolicyName: string; thingTypeName: string; fleetThingGroupName?: string }): object {
  const groups = [`${p.arnPrefix}:thinggroup/${p.prefix}-site-*`, `${p.arnPrefix}:thinggroup/${p.prefix}-line-*`];
  if (p.fleetThingGroupName) groups.unshift(`${p.arnPrefix}:thinggroup/${p.fleetThingGroupName}`);
  return {
    Version: POLICY_VERSION,
    Statement: [
      {
        Sid: "CreateAndUpdateThings",
        Effect: "Allow",
        Action: ["iot:CreateThing", "iot:DescribeThing", "iot:UpdateThing", "iot:AttachThingPrincipal", "iot:ListThingPrincipals", "iot:ListThingGroupsForThing"],
        Resource: [`${p.arnPrefix}:thing/*`],
      },
      {
        Sid: "JoinStackThingGroups",
        Effect: "Allow",
        Action: ["iot:AddThingToThingGroup", "iot:RemoveThingFromThingGroup", "iot:UpdateThingGroupsForThing", "iot:DescribeThingGroup"],
        Resource: [`${p.arnPrefix}:thing/*`, ...groups],
      },
      { Sid: "UseThingType", Effect: "Allow", Action: ["iot:DescribeThingType"], Resource: [`${p.arnPrefix}:thingtype/${p.thingTypeName}`] },
      {
        Sid: "ActivateCertificateWithDevicePolicy",
        Effect: "Allow",
        Action: ["iot:DescribeCertificate", "iot:UpdateCertificate", "iot:AttachPolicy", "iot:GetPolicy", "iot:ListAttachedPolicies"],
        Resource: [`${p.arnPrefix}:cert/*`, `${p.arnPrefix}:policy/${p.devicePolicyName}`],
      },
    ],
  };
}

/** What the hook itself does: read one item at a time from the allow-list, through DynamoDB, with its key (core adds its logs). */
export function hookStatements(p: { region: string; tableArn: string; keyArn: string }): Record<string, unknown>[] {
  return [
    { Sid: "ReadAllowList", Effect: "Allow", Action: ["dynamodb:GetItem"], Resource: [p.tableArn] },
    {
      Sid: "AllowListKeyViaDynamoDb",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [p.keyArn],
      Condition: { StringEquals: kmsVia("dynamodb", p.region) },
    },
  ];
}

/** The fleet's settings: `args` over DEVICE_FLEET_DEFAULTS, every problem reported in one error. */
export function resolveDeviceFleetArgs(name: string, args: DeviceFleetArgs) {
  const d = DEVICE_FLEET_DEFAULTS;
  const check = new ArgsCheck(`DeviceFleet '${name}'`);
  const prefix = args.prefix ?? `${pulumi.getProject()}-${pulumi.getStack()}`;
  const templateName = args.templateName ?? `${prefix}-fleet`;
  check.expect(
    /^[0-9A-Za-z_-]{1,36}$/.test(templateName),
    `templateName '${templateName}' must be 1-36 letters, digits, _ or - (AWS IoT template names); pass templateName or a shorter prefix`,
  );
  const keys = args.lines.map(fleetLineKey);
  const duplicate = keys.find((k, i) => keys.indexOf(k) !== i);
  if (duplicate) check.add(`line ${duplicate} is listed twice`);
  const tooLong = groupNameProblem(prefix, args.lines);
  if (tooLong) check.add(tooLong);
  const cfg = {
    prefix,
    templateName,
    /** `<site>/<line>` of every line, in the order given. */
    keys,
    runtime: check.lambdaRuntime(args.runtime ?? d.runtime),
    logRetentionDays: args.logRetentionDays ?? d.logRetentionDays,
    deletionProtection: args.deletionProtection ?? d.deletionProtection,
    timeoutSeconds: d.timeoutSeconds,
    memoryMiB: d.memoryMiB,
    hookPayloadVersion: d.hookPayloadVersion,
  };
  check.done();
  return cfg;
}

export class DeviceFleet extends pulumi.ComponentResource {
  readonly siteGroups: Record<string, aws.iot.ThingGroup> = {};
  readonly lineGroups: Record<string, aws.iot.ThingGroup> = {};
  readonly allowList: aws.dynamodb.Table;
  readonly hookFunction: aws.lambda.Function;
  readonly hookRole: aws.iam.Role;
  readonly hookLogGroup: aws.cloudwatch.LogGroup;
  readonly provisioningRole: aws.iam.Role;
  readonly template: aws.iot.ProvisioningTemplate;
  readonly claimPolicy: aws.iot.Policy;

  readonly prefix: string;
  readonly templateName: pulumi.Output<string>;
  readonly claimPolicyName: pulumi.Output<string>;
  readonly allowListTableName: pulumi.Output<string>;
  readonly hookFunctionName: pulumi.Output<string>;
  /** Site id → thing group name. */
  readonly siteGroupNames: Record<string, string>;
  /** `<site>/<line>` → thing group name. */
  readonly lineGroupNames: Record<string, string>;

  constructor(name: string, args: DeviceFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iotpipe:fleet:DeviceFleet", name, {}, opts);
    const cfg = resolveDeviceFleetArgs(name, args);
    const { prefix, templateName, keys, runtime } = cfg;
    const parent = { parent: this };
    const ctx = awsContext(this);
    const arnPrefix = pulumi.interpolate`arn:${ctx.partition}:iot:${ctx.region}:${ctx.accountId}`;

    this.prefix = prefix;
    this.siteGroupNames = {};
    this.lineGroupNames = {};
    for (const site of [...new Set(args.lines.map((l) => l.site))]) {
      const groupName = siteGroupName(prefix, site);
      this.siteGroupNames[site] = groupName;
      this.siteGroups[site] = new aws.iot.ThingGroup(`${name}-site-${site}`, {
        name: groupName,
        properties: { description: `iotpipe devices of site ${site}`, attributePayload: { attributes: { site } } },
        tags: args.tags,
      }, parent);
    }
    for (const l of args.lines) {
      const groupName = lineGroupName(prefix, l.site, l.line);
      this.lineGroupNames[fleetLineKey(l)] = groupName;
      this.lineGroups[fleetLineKey(l)] = new aws.iot.ThingGroup(`${name}-line-${l.site}-${l.line}`, {
        name: groupName,
        properties: { description: `iotpipe devices of line ${l.line} at site ${l.site}`, attributePayload: { attributes: { site: l.site, line: l.line } } },
        tags: args.tags,
      }, parent);
    }

    // The plant's allow-list: one item per serial number (serial, device_id, site, line, model).
    this.allowList = new aws.dynamodb.Table(`${name}-allow-list`, {
      billingMode: "PAY_PER_REQUEST",
      hashKey: "serial",
      attributes: [{ name: "serial", type: "S" }],
      serverSideEncryption: { enabled: true, kmsKeyArn: args.keyArn },
      pointInTimeRecovery: { enabled: true },
      deletionProtectionEnabled: cfg.deletionProtection,
      tags: args.tags,
    }, parent);

    // IoT calls the hook synchronously and treats a failure as a refusal: there is nothing to dead-letter.
    const hook = encryptedFunction(
      `${name}-hook`,
      {
        functionResourceName: `${name}-hook`,
        description: "Admits a device to fleet provisioning only under a serial number the plant registered",
        roleDescription: "Fleet pre-provisioning hook: read the serial allow-list",
        keyArn: args.keyArn,
        code: args.code ?? new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(bundleHandler("provisioning-hook").code) }),
        runtime,
        timeoutSeconds: cfg.timeoutSeconds,
        memoryMiB: cfg.memoryMiB,
        logRetentionDays: cfg.logRetentionDays,
        serviceName: "provisioning-hook",
        environment: { ALLOW_LIST_TABLE: this.allowList.name, FLEET_LINES: keys.join(",") },
        statements: pulumi.all([ctx.region, this.allowList.arn, args.keyArn]).apply(([region, tableArn, keyArn]) => hookStatements({ region, tableArn, keyArn })),
        tags: args.tags,
      },
      parent,
    );
    this.hookFunction = hook.function;
    this.hookRole = hook.role;
    this.hookLogGroup = hook.logGroup;

    const templateArn = pulumi.interpolate`${arnPrefix}:provisioningtemplate/${templateName}`;
    // Confused-deputy guard: only this account's template of this name may invoke the hook.
    const invokePermission = new aws.lambda.Permission(`${name}-hook-invoke`, {
      action: "lambda:InvokeFunction",
      function: this.hookFunction.name,
      principal: "iot.amazonaws.com",
      sourceArn: templateArn,
      sourceAccount: ctx.accountId,
    }, parent);

    this.provisioningRole = new aws.iam.Role(`${name}-provisioning-role`, {
      description: `IoT fleet provisioning template ${templateName}: create things, join stack thing groups, activate certificates`,
      assumeRolePolicy: serviceTrustPolicy("iot.amazonaws.com", { StringEquals: { "aws:SourceAccount": ctx.accountId } }),
      tags: args.tags,
    }, parent);
    const registration = { prefix, fleetThingGroupName: args.fleetThingGroupName };
    const provisioningPolicy = new aws.iam.RolePolicy(`${name}-provisioning-policy`, {
      role: this.provisioningRole.id,
      policy: pulumi.all([arnPrefix, args.devicePolicyName, args.thingTypeName, args.fleetThingGroupName])
        .apply(([arn, devicePolicyName, thingTypeName, fleetThingGroupName]) =>
          JSON.stringify(provisioningRolePolicy({ ...registration, arnPrefix: arn, devicePolicyName, thingTypeName, fleetThingGroupName }))),
    }, parent);

    this.template = new aws.iot.ProvisioningTemplate(`${name}-template`, {
      name: templateName,
      description: "iotpipe devices by claim: serial allow-listed by the pre-provisioning hook, thing with site/line/model/serial, device policy, site and line groups",
      type: "FLEET_PROVISIONING",
      enabled: true,
      provisioningRoleArn: this.provisioningRole.arn,
      templateBody: pulumi.all([args.devicePolicyName, args.thingTypeName, args.fleetThingGroupName])
        .apply(([devicePolicyName, thingTypeName, fleetThingGroupName]) =>
          JSON.stringify(provisioningTemplateBody({ prefix, devicePolicyName, thingTypeName, fleetThingGroupName }))),
      preProvisioningHook: { targetArn: this.hookFunction.arn, payloadVersion: cfg.hookPayloadVersion },
      tags: args.tags,
    }, { parent: this, dependsOn: [invokePermission, provisioningPolicy, ...Object.values(this.siteGroups), ...Object.values(this.lineGroups)] });

    this.claimPolicy = new aws.iot.Policy(`${name}-claim-policy`, {
      policy: arnPrefix.apply((arn) => JSON.stringify(claimPolicyDocument(arn, templateName))),
      tags: args.tags,
    }, parent);

    this.templateName = this.template.name;
    this.claimPolicyName = this.claimPolicy.name;
    this.allowListTableName = this.allowList.name;
    this.hookFunctionName = this.hookFunction.name;
    this.registerOutputs({
      templateName: this.templateName,
      claimPolicyName: this.claimPolicyName,
      allowListTableName: this.allowListTableName,
      hookFunctionName: this.hookFunctionName,
      siteGroupNames: this.siteGroupNames,
      lineGroupNames: this.lineGroupNames,
    });
  }
}
