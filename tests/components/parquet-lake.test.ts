/**
 * ParquetLake under Pulumi mocks.
 *
 * Pattern for every component test: install the mocks first, then `require` the component. An `import` would
 * be hoisted above `installMocks()` by ES module semantics, and @pulumi/aws must not load before the mocks.
 */
import { installMocks, settle, ofType, oneOf, statementsOf, MOCK_ACCOUNT, MOCK_REGION, PolicyStatement } from "../pulumi/harness";
import { readFileSync } from "fs";
import { join } from "path";
import { ingestSql } from "../../components/device-ingest";
const recorded = installMocks();
const lake = require("../../components/parquet-lake") as typeof import("../../components/parquet-lake");
const { LAKE_TABLES, READINGS, QUARANTINE, AGGREGATES, firehosePrefix, ingestErrorsPrefix } = require("../../lake/tables") as typeof import("../../lake/tables");

const BUCKET = "lake-bucket";
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const LAKE_KEY = `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT}:key/lake-key`;
const STREAM_KEY = `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT}:key/stream-key`;
const streamArn = (table: string) => `arn:aws:kinesis:${MOCK_REGION}:${MOCK_ACCOUNT}:stream/iotpipe-${table}`;

const baseArgs = () => ({ bucketName: BUCKET, bucketArn: BUCKET_ARN, lakeKeyArn: LAKE_KEY, streamKeyArn: STREAM_KEY });

describe("pure helpers", () => {
  it("extracts dt from the partition source column (epoch ms → UTC date) with jq 1.6", () => {
    expect(lake.partitionQueryFor(READINGS)).toBe('{dt: (.event_ts / 1000 | floor | strftime("%Y-%m-%d"))}');
    expect(lake.partitionQueryFor(AGGREGATES)).toBe('{dt: (.window_start / 1000 | floor | strftime("%Y-%m-%d"))}');
    expect(lake.partitionQueryFor(QUARANTINE)).toBe('{dt: (.received_ts / 1000 | floor | strftime("%Y-%m-%d"))}');
  });

  it("keeps error output per table, typed by Firehose, dated by arrival", () => {
    expect(lake.errorOutputPrefixFor(READINGS)).toBe("errors/readings/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/");
  });

  it("projects dt daily from the start date to NOW, reading where Firehose writes", () => {
    expect(lake.projectionParameters(BUCKET, READINGS, "2020-01-01")).toEqual({
      "projection.enabled": "true",
      "projection.dt.type": "date",
      "projection.dt.format": "yyyy-MM-dd",
      "projection.dt.range": "2020-01-01,NOW",
      "projection.dt.interval": "1",
      "projection.dt.interval.unit": "DAYS",
      "storage.location.template": "s3://lake-bucket/readings/dt=${dt}/",
    });
  });

  it("derives the catalog ARN from the database ARN and rejects other ARNs", () => {
    expect(lake.catalogArnFor(`arn:aws:glue:${MOCK_REGION}:${MOCK_ACCOUNT}:database/db`)).toBe(`arn:aws:glue:${MOCK_REGION}:${MOCK_ACCOUNT}:catalog`);
    expect(() => lake.catalogArnFor(BUCKET_ARN)).toThrow(/not a Glue database ARN/);
  });

  it("names the ingest-errors prefix the IoT error action must write", () => {
    expect(ingestErrorsPrefix("2026-11-23")).toBe("ingest_errors/dt=2026-11-23/");
  });
});

describe("ParquetLake with every lake table fed by a stream", () => {
  const sources = Object.fromEntries(LAKE_TABLES.map((t) => [t.name, { streamArn: streamArn(t.name) }]));
  let component: InstanceType<typeof lake.ParquetLake>;
  beforeAll(async () => {
    component = new lake.ParquetLake("full", { ...baseArgs(), sources, databaseName: "iotpipe_test" });
    await settle(recorded);
  });
  const mine = (type: string) => ofType(recorded, type).filter((r) => r.name.startsWith("full-"));

  it("creates the database and one Glue table per lake table plus the registry snapshots and the two error tables, all children of the component", () => {
    expect(oneOf(recorded, "aws:glue/catalogDatabase:CatalogDatabase", "full-database").inputs.name).toBe("iotpipe_test");
    const tables = mine("aws:glue/catalogTable:CatalogTable");
    expect(tables.map((t) => t.inputs.name).sort()).toEqual([...LAKE_TABLES.map((t) => t.name), "device_registry", "delivery_errors", "ingest_errors"].sort());
    for (const t of tables) {
      expect(t.parent).toBe("full");
      expect(t.inputs.databaseName).toBe("iotpipe_test");
    }
    expect(Object.keys(component.tableNames).sort()).toEqual([...LAKE_TABLES.map((t) => t.name), "device_registry", "delivery_errors", "ingest_errors"].sort());
  });

  it.each(LAKE_TABLES.map((t) => [t.name, t] as const))("%s: Glue columns are exactly the layout's, Parquet, projected where Firehose writes", (_n, table) => {
    const glue = oneOf(recorded, "aws:glue/catalogTable:CatalogTable", `full-${table.name}`).inputs;
    expect(glue.tableType).toBe("EXTERNAL_TABLE");
    expect(glue.storageDescriptor.columns).toEqual(table.columns.map((c) => ({ name: c.name, type: c.type, comment: c.comment })));
    expect(glue.partitionKeys).toEqual([expect.objectContaining({ name: "dt", type: "string" })]);
    expect(glue.storageDescriptor.serDeInfo.serializationLibrary).toBe("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe");
    expect(glue.storageDescriptor.inputFormat).toBe("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat");
    expect(glue.parameters.classification).toBe("parquet");
    expect(glue.parameters["projection.dt.range"]).toBe("2020-01-01,NOW");

    const dt = "2026-11-23";
    const firehose = oneOf(recorded, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", `full-${table.name}`).inputs;
    const written = `s3://${BUCKET}/${firehose.extendedS3Configuration.prefix.replace("!{partitionKeyFromQuery:dt}", dt)}`;
    const read = glue.parameters["storage.location.template"].replace("${dt}", dt);
    expect(read).toBe(written);
    expect(written.startsWith(glue.storageDescriptor.location)).toBe(true);
    expect(firehose.extendedS3Configuration.prefix).toBe(firehosePrefix(table));
  });

  it.each(LAKE_TABLES.map((t) => [t.name, t] as const))("%s: Firehose reads its stream and converts to Parquet with its Glue table", (_n, table) => {
    const f = oneOf(recorded, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", `full-${table.name}`);
    const s3 = f.inputs.extendedS3Configuration;
    const role = oneOf(recorded, "aws:iam/role:Role", `full-${table.name}-firehose-role`);
    expect(f.parent).toBe("full");
    expect(f.inputs.destination).toBe("extended_s3");
    expect(f.inputs.kinesisSourceConfiguration).toEqual({ kinesisStreamArn: streamArn(table.name), roleArn: role.state.arn });
    expect(s3.roleArn).toBe(role.state.arn);
    expect(s3.bucketArn).toBe(BUCKET_ARN);
    expect(s3.bufferingSize).toBeGreaterThanOrEqual(64);
    expect(s3.compressionFormat).toBe("UNCOMPRESSED");
    expect(s3.kmsKeyArn).toBe(LAKE_KEY);
    expect(s3.s3BackupMode).toBe("Disabled");
    expect(s3.errorOutputPrefix).toContain("!{firehose:error-output-type}");
    expect(s3.dynamicPartitioningConfiguration.enabled).toBe(true);
    expect(s3.processingConfiguration.processors).toEqual([
      {
        type: "MetadataExtraction",
        parameters: [
          { parameterName: "JsonParsingEngine", parameterValue: "JQ-1.6" },
          { parameterName: "MetadataExtractionQuery", parameterValue: lake.partitionQueryFor(table) },
        ],
      },
    ]);
    const conv = s3.dataFormatConversionConfiguration;
    expect(conv.enabled).toBe(true);
    expect(conv.inputFormatConfiguration.deserializer.openXJsonSerDe).toBeDefined();
    expect(conv.outputFormatConfiguration.serializer.parquetSerDe).toBeDefined();
    expect(conv.schemaConfiguration).toEqual({
      databaseName: "iotpipe_test",
      tableName: table.name,
      roleArn: role.state.arn,
      region: MOCK_REGION,
      catalogId: MOCK_ACCOUNT,
    });
    expect(s3.cloudwatchLoggingOptions).toEqual({ enabled: true, logGroupName: expect.any(String), logStreamName: `S3Delivery-${table.name}` });
  });

  it("gives each Firehose its own role: exactly its stream, its table, its prefixes, keys only via Kinesis/S3", () => {
    const policy = oneOf(recorded, "aws:iam/rolePolicy:RolePolicy", "full-readings-firehose-policy");
    const role = oneOf(recorded, "aws:iam/role:Role", "full-readings-firehose-role");
    expect(policy.inputs.role).toBe(`${role.name}-id`);
    const logGroup = oneOf(recorded, "aws:cloudwatch/logGroup:LogGroup", "full-firehose-logs");
    const db = `arn:aws:glue:${MOCK_REGION}:${MOCK_ACCOUNT}:database/iotpipe_test`;
    const objects = [`${BUCKET_ARN}/readings/*`, `${BUCKET_ARN}/errors/readings/*`];
    const bySid: Record<string, PolicyStatement> = Object.fromEntries(statementsOf(policy.inputs.policy).map((s) => [s.Sid, s]));
    expect(Object.keys(bySid).sort()).toEqual(["DeliveryLog", "LakeBucket", "LakeKeyViaS3", "LakeObjects", "ReadTableSchema", "SourceStream", "StreamKeyViaKinesis"]);
    expect(bySid.ReadTableSchema.Action).toEqual(["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"]);
    expect(bySid.ReadTableSchema.Resource).toEqual([`arn:aws:glue:${MOCK_REGION}:${MOCK_ACCOUNT}:catalog`, db, `arn:aws:glue:${MOCK_REGION}:${MOCK_ACCOUNT}:table/iotpipe_test/readings`]);
    expect(bySid.LakeBucket.Action.sort()).toEqual(["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"]);
    expect(bySid.LakeBucket.Resource).toEqual([BUCKET_ARN]);
    expect(bySid.LakeObjects.Action.sort()).toEqual(["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]);
    expect(bySid.LakeObjects.Resource).toEqual(objects);
    expect(bySid.SourceStream.Action.sort()).toEqual(["kinesis:DescribeStream", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"]);
    expect(bySid.SourceStream.Resource).toEqual([streamArn("readings")]);
    expect(bySid.StreamKeyViaKinesis).toMatchObject({
      Action: ["kms:Decrypt"],
      Resource: [STREAM_KEY],
      Condition: {
        StringEquals: { "kms:ViaService": `kinesis.${MOCK_REGION}.amazonaws.com` },
        StringLike: { "kms:EncryptionContext:aws:kinesis:arn": streamArn("readings") },
      },
    });
    expect(bySid.LakeKeyViaS3).toMatchObject({
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: [LAKE_KEY],
      Condition: {
        StringEquals: { "kms:ViaService": `s3.${MOCK_REGION}.amazonaws.com` },
        StringLike: { "kms:EncryptionContext:aws:s3:arn": [BUCKET_ARN, ...objects] },
      },
    });
    expect(bySid.DeliveryLog.Action).toEqual(["logs:PutLogEvents"]);
    expect(bySid.DeliveryLog.Resource).toEqual([`${logGroup.state.arn}:log-stream:S3Delivery-readings`]);
    for (const s of Object.values(bySid)) {
      expect(s.Effect).toBe("Allow");
      for (const a of s.Action) expect(a).not.toContain("*");
      for (const r of s.Resource) expect(r).not.toBe("*");
    }
    const trust = JSON.parse(role.inputs.assumeRolePolicy);
    expect(trust.Statement).toEqual([
      { Effect: "Allow", Principal: { Service: "firehose.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "sts:ExternalId": MOCK_ACCOUNT } } },
    ]);
    expect(ofType(recorded, "aws:iam/role:Role").filter((r) => r.name.startsWith("full-"))).toHaveLength(LAKE_TABLES.length);
  });

  it("issue 5: the quarantine destination is a Glue table with the reason, fed by the quarantine stream partitioned by receipt date", () => {
    const glue = oneOf(recorded, "aws:glue/catalogTable:CatalogTable", "full-quarantine").inputs;
    expect(glue.storageDescriptor.columns.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(["reason", "detail", "raw_payload", "received_ts"]));
    const f = oneOf(recorded, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "full-quarantine").inputs;
    expect(f.kinesisSourceConfiguration.kinesisStreamArn).toBe(streamArn("quarantine"));
    expect(f.extendedS3Configuration.prefix).toBe("quarantine/dt=!{partitionKeyFromQuery:dt}/");
    expect(f.extendedS3Configuration.processingConfiguration.processors[0].parameters[1].parameterValue).toContain(".received_ts");
  });

  it("makes rejected IoT deliveries queryable: ingest_errors is a JSON table over the error-action message", () => {
    const glue = oneOf(recorded, "aws:glue/catalogTable:CatalogTable", "full-ingest_errors").inputs;
    expect(glue.storageDescriptor.serDeInfo).toEqual({ serializationLibrary: "org.apache.hive.hcatalog.data.JsonSerDe", parameters: {} });
    expect(glue.storageDescriptor.columns.map((c: { name: string }) => c.name)).toEqual([
      "rulename", "topic", "cloudwatchtraceid", "clientid", "base64originalpayload", "failures",
    ]);
    expect(glue.parameters["storage.location.template"]).toBe("s3://lake-bucket/ingest_errors/dt=${dt}/");
    expect(glue.storageDescriptor.location).toBe("s3://lake-bucket/ingest_errors/");
  });
});

describe("Firehose error output is queryable", () => {
  it("delivery_errors projects table, error type and date exactly where each Firehose writes its errors", async () => {
    new lake.ParquetLake("errs", { ...baseArgs(), sources: { readings: { streamArn: streamArn("readings") } } });
    await settle(recorded);
    const glue = oneOf(recorded, "aws:glue/catalogTable:CatalogTable", "errs-delivery_errors").inputs;
    expect(glue.partitionKeys.map((k: { name: string }) => k.name)).toEqual(["source_table", "error_type", "dt"]);
    expect(glue.parameters["projection.source_table.values"]).toBe([...LAKE_TABLES.map((t) => t.name), "raw_messages"].join(","));
    expect(glue.parameters["projection.error_type.type"]).toBe("injected");
    // Injected: a query without a static error_type filter fails, so the table tells analysts how to query it.
    expect(glue.description).toContain("Every query must filter error_type with static values, e.g. WHERE error_type = 'format-conversion-failed'");
    expect(glue.storageDescriptor.serDeInfo).toEqual({ serializationLibrary: "org.apache.hive.hcatalog.data.JsonSerDe", parameters: {} });
    const prefix = oneOf(recorded, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "errs-readings").inputs.extendedS3Configuration.errorOutputPrefix;
    const written = `s3://${BUCKET}/` + prefix.replace("!{firehose:error-output-type}", "format-conversion-failed").replace("!{timestamp:yyyy-MM-dd}", "2026-11-23");
    const read = glue.parameters["storage.location.template"]
      .replace("${source_table}", "readings")
      .replace("${error_type}", "format-conversion-failed")
      .replace("${dt}", "2026-11-23");
    expect(read).toBe(written);
    expect(glue.storageDescriptor.columns.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(["rawdata", "errorcode", "lasterrorcode", "arrivaltimestamp"]));
  });
});

describe("raw stream archive", () => {
  it("archives the raw stream as gzip JSON lines by ingest date, queryable as raw_messages, without Glue access", async () => {
    const c = new lake.ParquetLake("rawlake", { ...baseArgs(), rawSource: { streamArn: streamArn("raw") } });
    await settle(recorded);
    const glue = oneOf(recorded, "aws:glue/catalogTable:CatalogTable", "rawlake-raw_messages").inputs;
    expect(glue.storageDescriptor.serDeInfo).toEqual({ serializationLibrary: "org.apache.hive.hcatalog.data.JsonSerDe", parameters: {} });
    // The envelope the IoT rule writes (its SELECT aliases) is what the archive catalogs and what Flink reads.
    const ruleFields = [...ingestSql().matchAll(/ AS (\w+)/g)].map((m) => m[1]);
    expect(glue.storageDescriptor.columns.map((col: { name: string }) => col.name)).toEqual(["device_id", "site", "line", "ingest_ts", "payload_base64"]);
    expect([...ruleFields].sort()).toEqual(["device_id", "site", "line", "ingest_ts", "payload_base64"].sort());
    const flinkSource = readFileSync(join(__dirname, "../../sql/flink/01-sources.sql"), "utf8");
    const physical = [...flinkSource.matchAll(/^  (\w+) (STRING|BIGINT),?$/gm)].map((m) => m[1]);
    expect([...physical].sort()).toEqual([...ruleFields].sort());
    const f = oneOf(recorded, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "rawlake-raw_messages").inputs;
    const s3 = f.extendedS3Configuration;
    expect(f.kinesisSourceConfiguration.kinesisStreamArn).toBe(streamArn("raw"));
    expect(s3.compressionFormat).toBe("GZIP");
    expect(s3.dataFormatConversionConfiguration).toBeUndefined();
    expect(s3.prefix).toBe("raw_messages/dt=!{partitionKeyFromQuery:dt}/");
    expect(s3.processingConfiguration.processors.map((p: { type: string }) => p.type)).toEqual(["MetadataExtraction", "AppendDelimiterToRecord"]);
    expect(s3.processingConfiguration.processors[0].parameters[1].parameterValue).toBe('{dt: (.ingest_ts / 1000 | floor | strftime("%Y-%m-%d"))}');
    const dt = "2026-11-23";
    expect(glue.parameters["storage.location.template"].replace("${dt}", dt)).toBe(`s3://${BUCKET}/${s3.prefix.replace("!{partitionKeyFromQuery:dt}", dt)}`);
    const sids = statementsOf(oneOf(recorded, "aws:iam/rolePolicy:RolePolicy", "rawlake-raw_messages-firehose-policy").inputs.policy).map((st) => st.Sid);
    expect(sids.sort()).toEqual(["DeliveryLog", "LakeBucket", "LakeKeyViaS3", "LakeObjects", "SourceStream", "StreamKeyViaKinesis"]);
    expect(Object.keys(c.firehoseNames)).toEqual(["raw_messages"]);
  });
});

describe("ParquetLake options", () => {
  it("the device registry snapshots: JSON Lines under device_registry/, projected by report day, read by the inventory", async () => {
    const table = oneOf(recorded, "aws:glue/catalogTable:CatalogTable", "full-device_registry").inputs;
    expect(table.storageDescriptor.serDeInfo.serializationLibrary).toMatch(/JsonSerDe/);
    expect(table.storageDescriptor.columns.map((c: { name: string; type: string }) => `${c.name}:${c.type}`)).toEqual([
      "device_id:string", "site:string", "line:string", "model:string", "serial:string", "registered_at:timestamp",
    ]);
    expect(table.partitionKeys.map((k: { name: string }) => k.name)).toEqual(["dt"]);
    expect(table.parameters).toMatchObject({ "projection.enabled": "true", "projection.dt.type": "date", "storage.location.template": `s3://${BUCKET}/device_registry/dt=\${dt}/` });
  });

  it("minimal use: tables and database only, no Firehose, no stream key statement needed", async () => {
    new lake.ParquetLake("mini", { bucketName: BUCKET, bucketArn: BUCKET_ARN, lakeKeyArn: LAKE_KEY });
    await settle(recorded);
    expect(oneOf(recorded, "aws:glue/catalogDatabase:CatalogDatabase", "mini-database").inputs.name).toBe("iotpipe_test_mini"); // project_stack_ scoped
    expect(ofType(recorded, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", /^mini-/)).toHaveLength(0);
    expect(ofType(recorded, "aws:glue/catalogTable:CatalogTable", /^mini-/)).toHaveLength(LAKE_TABLES.length + 3);
    expect(oneOf(recorded, "aws:cloudwatch/logGroup:LogGroup", "mini-firehose-logs").inputs.kmsKeyId).toBe(LAKE_KEY);
  });

  it("without a stream key the role gets no kms:Decrypt for Kinesis", async () => {
    new lake.ParquetLake("nokey", { bucketName: BUCKET, bucketArn: BUCKET_ARN, lakeKeyArn: LAKE_KEY, sources: { alerts: { streamArn: streamArn("alerts") } } });
    await settle(recorded);
    const sids = statementsOf(oneOf(recorded, "aws:iam/rolePolicy:RolePolicy", "nokey-alerts-firehose-policy").inputs.policy).map((s) => s.Sid);
    expect(sids).not.toContain("StreamKeyViaKinesis");
  });

  it("reuses an existing database: no database resource, tables and ARNs point at it", async () => {
    new lake.ParquetLake("reuse", { ...baseArgs(), existingDatabaseName: "shared_lake", sources: { readings: { streamArn: streamArn("readings") } } });
    await settle(recorded);
    expect(ofType(recorded, "aws:glue/catalogDatabase:CatalogDatabase", "reuse-database")).toHaveLength(0);
    expect(oneOf(recorded, "aws:glue/catalogTable:CatalogTable", "reuse-readings").inputs.databaseName).toBe("shared_lake");
    const glue = statementsOf(oneOf(recorded, "aws:iam/rolePolicy:RolePolicy", "reuse-readings-firehose-policy").inputs.policy).find((s) => s.Sid === "ReadTableSchema")!;
    expect(glue.Resource[1]).toBe(`arn:aws:glue:${MOCK_REGION}:${MOCK_ACCOUNT}:database/shared_lake`);
  });

  it("honours the start date and buffering overrides", async () => {
    new lake.ParquetLake("tuned", { ...baseArgs(), lakeStartDate: "2024-06-01", bufferingSizeMiB: 64, bufferingIntervalSeconds: 900, sources: { readings: { streamArn: streamArn("readings") } } });
    await settle(recorded);
    expect(oneOf(recorded, "aws:glue/catalogTable:CatalogTable", "tuned-readings").inputs.parameters["projection.dt.range"]).toBe("2024-06-01,NOW");
    const s3 = oneOf(recorded, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "tuned-readings").inputs.extendedS3Configuration;
    expect([s3.bufferingSize, s3.bufferingInterval]).toEqual([64, 900]);
  });

  it.each([
    [{ bufferingSizeMiB: 32 }, /bufferingSizeMiB 32 must be an integer from 64/],
    [{ bufferingSizeMiB: 129 }, /bufferingSizeMiB 129/],
    [{ bufferingIntervalSeconds: 30 }, /bufferingIntervalSeconds 30 must be an integer from 60 to 900/],
    [{ databaseName: "IoT-Lake" }, /Glue database name 'IoT-Lake' must be lowercase/],
    [{ databaseName: "a", existingDatabaseName: "b" }, /either databaseName .* or existingDatabaseName .*, not both/],
    [{ lakeStartDate: "2020-13-01" }, /lakeStartDate '2020-13-01' must be a past date as yyyy-MM-dd/],
    [{ lakeStartDate: "2999-01-01" }, /lakeStartDate '2999-01-01'/],
    [{ sources: { telemetry: { streamArn: "x" } } }, /unknown lake table 'telemetry'; known: readings, aggregates/],
  ])("rejects bad args %#: %p", (bad, message) => {
    expect(() => new lake.ParquetLake(`bad`, { ...baseArgs(), ...bad })).toThrow(message);
  });
});
