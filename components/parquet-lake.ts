/**
 * ParquetLake: the queryable lake. A Glue database with one table per lake table (columns and comments from
 * `lake/tables.ts`, partition projection on `dt`), plus one Firehose per source stream that converts the JSON
 * records to Parquet with that table's schema and writes them under the same `dt=` prefixes the projection reads.
 *
 * The quarantine table is an ordinary lake table: the Flink quarantine stream's Firehose fills it, so rejected
 * input is kept with its reason and can be queried like everything else. The IoT rule's error action lands in
 * `ingest_errors/` and each Firehose's failed records in `errors/<table>/`: both get JSON tables here, so every
 * rejected record is queryable where it landed. Given the raw stream, it also archives the raw messages as gzip
 * JSON lines (`raw_messages`), the source for replays and backfills.
 *
 * Minimal use:
 *   new ParquetLake("lake", { bucketName, bucketArn, lakeKeyArn, streamKeyArn, sources: { readings: { streamArn } } })
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ArgsCheck, awsContext, POLICY_VERSION, serviceTrustPolicy } from "./naming";
import { encryptedLogGroup, kmsVia } from "./core";
import {
  DELIVERY_ERRORS, DEVICE_REGISTRY, INGEST_ERRORS, INGEST_ERRORS_FAILURES, LAKE_TABLES, LakeTable, RAW_MESSAGES, firehosePrefix, lakeTable,
  projectionLocationTemplate,
} from "../lake/tables";

/** Firehose refuses record format conversion with a buffer below 64 MiB. */
export const MIN_PARQUET_BUFFER_MIB = 64;
/** Firehose's largest S3 buffer: fewer, larger Parquet files are cheaper to scan. */
export const MAX_BUFFER_MIB = 128;
/** Buffering interval bounds for dynamic partitioning (seconds). */
export const MIN_BUFFER_INTERVAL_SECONDS = 60;
export const MAX_BUFFER_INTERVAL_SECONDS = 900;

/** The Glue database name rule: lowercase letters, digits and underscores (Hive compatibility). */
const GLUE_NAME = /^[a-z0-9_]{1,255}$/;

/** How a Glue table's files are stored: Hive formats, SerDe and the `classification` Athena shows. */
interface StorageFormat {
  classification: string;
  serializationLibrary: string;
  serDeParameters: Record<string, string>;
  inputFormat: string;
  outputFormat: string;
}

const PARQUET: StorageFormat = {
  classification: "parquet",
  serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
  serDeParameters: { "serialization.format": "1" },
  inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
  outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
};

/**
 * JSON lines written by the IoT rule, Firehose's error output and the raw archive, read with the Hive JSON SerDe:
 * Athena documents that the OpenX SerDe (with `ignore.malformed.json`) can return extra, missing or null rows,
 * while this one fails the query on a malformed line instead of silently reading it as nulls. It matches JSON
 * keys to the (lowercase) Glue columns without regard to case, so `ruleName` still fills `rulename`.
 */
const HIVE_JSON: StorageFormat = {
  classification: "json",
  serializationLibrary: "org.apache.hive.hcatalog.data.JsonSerDe",
  serDeParameters: {},
  inputFormat: "org.apache.hadoop.mapred.TextInputFormat",
  outputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
};

/**
 * Projection for `delivery_errors`: the source table is one of the lake tables, the error type is whatever
 * Firehose names the failure (queries give it, e.g. `error_type = 'format-conversion-failed'`), dt is daily.
 */
export function deliveryErrorsParameters(bucketName: string, startDate: string): Record<string, string> {
  return {
    "projection.enabled": "true",
    "projection.source_table.type": "enum",
    "projection.source_table.values": [...LAKE_TABLES, RAW_MESSAGES].map((t) => t.name).join(","),
    "projection.error_type.type": "injected",
    "projection.dt.type": "date",
    "projection.dt.format": "yyyy-MM-dd",
    "projection.dt.range": `${startDate},NOW`,
    "projection.dt.interval": "1",
    "projection.dt.interval.unit": "DAYS",
    "storage.location.template": `s3://${bucketName}/${DELIVERY_ERRORS.prefix}/\${source_table}/\${error_type}/dt=\${dt}/`,
  };
}

/** A source stream for one lake table. */
export interface LakeSource {
  /** ARN of the Kinesis stream whose JSON records become this table's rows. */
  streamArn: pulumi.Input<string>;
}

export interface ParquetLakeArgs {
  /** Name of the lake bucket (a HardenedBucket); Glue locations and projection templates point into it. */
  bucketName: pulumi.Input<string>;
  /** ARN of the lake bucket; the Firehose roles may write only their own prefixes in it. */
  bucketArn: pulumi.Input<string>;
  /** CMK the lake bucket encrypts with: Firehose writes SSE-KMS objects with it. */
  lakeKeyArn: pulumi.Input<string>;
  /** CMK of the source streams (Firehose decrypts with it). Omit only if the streams are not CMK-encrypted. */
  streamKeyArn?: pulumi.Input<string>;
  /** Source stream per lake table name (`readings`, `quarantine`, ...); one Firehose is made per entry. */
  sources?: Record<string, LakeSource>;
  /** The raw telemetry stream, archived as gzip JSON lines under `raw_messages/` (replay and backfill source). */
  rawSource?: LakeSource;
  /** Glue database to create (lowercase, digits, `_`). Default: derived from the component name. */
  databaseName?: string;
  /** Use this existing Glue database instead of creating one (not together with `databaseName`). */
  existingDatabaseName?: string;
  /** First day partition projection covers, `yyyy-MM-dd`. Backfills of old data are normal, so it is early. */
  lakeStartDate?: string;
  /** Firehose buffer size in MiB (64-128; Parquet conversion needs at least 64). */
  bufferingSizeMiB?: number;
  /** Firehose buffer interval in seconds (60-900): the longest a record waits before its file is written. */
  bufferingIntervalSeconds?: number;
  /** Retention of the Firehose delivery-error log group, days. */
  logRetentionDays?: number;
  /** CMK for the Firehose log group; its key policy must allow CloudWatch Logs. Default: `lakeKeyArn`. */
  logKmsKeyArn?: pulumi.Input<string>;
  /** Create the error tables: `ingest_errors` (IoT rule error action) and `delivery_errors` (Firehose errors). */
  errorTables?: boolean;
}

/** Defaults, in one place. */
export const PARQUET_LAKE_DEFAULTS = {
  /** Early enough for any realistic backfill; projection over empty days costs nothing. */
  lakeStartDate: "2020-01-01",
  bufferingSizeMiB: MAX_BUFFER_MIB,
  /** 5 minutes: well inside the 15-minute freshness alarm, and few small files per partition. */
  bufferingIntervalSeconds: 300,
  logRetentionDays: 30,
  errorTables: true,
};

/** Glue columns of a lake table, exactly as `lake/tables.ts` defines them. */
export function glueColumnsFor(table: LakeTable): { name: string; type: string; comment: string }[] {
  return table.columns.map((c) => ({ name: c.name, type: c.type, comment: c.comment }));
}

/** Table parameters for Athena partition projection on `dt` (daily dates from `startDate` to today). */
export function projectionParameters(bucketName: string, table: LakeTable, startDate: string): Record<string, string> {
  const key = table.partitionKey;
  return {
    "projection.enabled": "true",
    [`projection.${key}.type`]: "date",
    [`projection.${key}.format`]: "yyyy-MM-dd",
    [`projection.${key}.range`]: `${startDate},NOW`,
    [`projection.${key}.interval`]: "1",
    [`projection.${key}.interval.unit`]: "DAYS",
    "storage.location.template": projectionLocationTemplate(bucketName, table),
  };
}

/**
 * The Firehose inline-parsing (jq 1.6) query that extracts the partition value: the UTC date of the table's
 * partition source column, which travels as epoch milliseconds. A record without it fails extraction and goes
 * to the error prefix instead of a wrong partition.
 */
export function partitionQueryFor(table: LakeTable): string {
  return `{${table.partitionKey}: (.${table.partitionSource} / 1000 | floor | strftime("%Y-%m-%d"))}`;
}

/** Where Firehose puts records it could not partition, convert or deliver (required with dynamic prefixes). */
export function errorOutputPrefixFor(table: LakeTable): string {
  return `${DELIVERY_ERRORS.prefix}/${table.name}/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`;
}

/** `arn:aws:glue:eu-west-1:123:database/x` → `arn:aws:glue:eu-west-1:123:catalog`. */
export function catalogArnFor(databaseArn: string): string {
  const parts = databaseArn.split(":");
  if (parts.length < 6 || parts[2] !== "glue") throw new Error(`not a Glue database ARN: '${databaseArn}'`);
  return [...parts.slice(0, 5), "catalog"].join(":");
}

/** Region field of an ARN (`arn:partition:service:region:account:resource`). */
export function regionOf(arn: string): string {
  const region = arn.split(":")[3];
  if (!region) throw new Error(`ARN '${arn}' has no region`);
  return region;
}

/** Account field of an ARN. */
export function accountOf(arn: string): string {
  const account = arn.split(":")[4];
  if (!account) throw new Error(`ARN '${arn}' has no account`);
  return account;
}

export interface FirehosePolicyInputs {
  table: LakeTable;
  /** The Glue table Firehose reads its Parquet schema from (absent for JSON deliveries). */
  glue?: { catalogArn: string; databaseArn: string; tableArn: string };
  bucketArn: string;
  lakeKeyArn: string;
  streamArn: string;
  streamKeyArn?: string;
  logStreamArn: string;
}

/**
 * The Firehose role's policy: read its one source stream, read its one Glue table's schema, write only its own
 * table prefix and error prefix, use the keys only through Kinesis/S3 for those resources, log to its stream.
 */
export function firehoseRolePolicy(p: FirehosePolicyInputs): { Version: string; Statement: Record<string, unknown>[] } {
  const objects = [`${p.bucketArn}/${p.table.name}/*`, `${p.bucketArn}/${DELIVERY_ERRORS.prefix}/${p.table.name}/*`];
  const statements: Record<string, unknown>[] = [
    {
      Sid: "LakeBucket",
      Effect: "Allow",
      Action: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
      Resource: [p.bucketArn],
    },
    {
      Sid: "LakeObjects",
      Effect: "Allow",
      Action: ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
      Resource: objects,
    },
    {
      Sid: "SourceStream",
      Effect: "Allow",
      Action: ["kinesis:DescribeStream", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"],
      Resource: [p.streamArn],
    },
    {
      // Decrypt too: completing a multipart upload of an SSE-KMS object reads the data key back.
      Sid: "LakeKeyViaS3",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: [p.lakeKeyArn],
      Condition: {
        StringEquals: kmsVia("s3", regionOf(p.lakeKeyArn)),
        // The bucket ARN is the context when the bucket uses an S3 Bucket Key, the object ARN otherwise.
        StringLike: { "kms:EncryptionContext:aws:s3:arn": [p.bucketArn, ...objects] },
      },
    },
    {
      Sid: "DeliveryLog",
      Effect: "Allow",
      Action: ["logs:PutLogEvents"],
      Resource: [p.logStreamArn],
    },
  ];
  if (p.glue) {
    statements.unshift({
      Sid: "ReadTableSchema",
      Effect: "Allow",
      Action: ["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
      Resource: [p.glue.catalogArn, p.glue.databaseArn, p.glue.tableArn],
    });
  }
  if (p.streamKeyArn) {
    statements.splice(statements.length - 2, 0, {
      Sid: "StreamKeyViaKinesis",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [p.streamKeyArn],
      Condition: {
        StringEquals: kmsVia("kinesis", regionOf(p.streamArn)),
        StringLike: { "kms:EncryptionContext:aws:kinesis:arn": p.streamArn },
      },
    });
  }
  return { Version: POLICY_VERSION, Statement: statements };
}

/** Glue database name derived from a component name: `iotpipe-dev-lake` → `iotpipe_dev_lake`. */
export function glueDatabaseNameFrom(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_]/g, "_");
}

/** The lake's settings: `args` over PARQUET_LAKE_DEFAULTS, every problem reported in one error. */
export function resolveParquetLakeArgs(name: string, args: ParquetLakeArgs) {
  const d = PARQUET_LAKE_DEFAULTS;
  const check = new ArgsCheck(`ParquetLake '${name}'`);
  check.expect(args.databaseName === undefined || args.existingDatabaseName === undefined, "set either databaseName (create) or existingDatabaseName (reuse), not both");
  // Scoped by project and stack: Glue names are per account and region, and two stacks may share both.
  const databaseName = args.existingDatabaseName ?? args.databaseName ?? glueDatabaseNameFrom(`${pulumi.getProject()}_${pulumi.getStack()}_${name}`);
  check.expect(GLUE_NAME.test(databaseName), `Glue database name '${databaseName}' must be lowercase letters, digits and _ only`);
  const lakeStartDate = args.lakeStartDate ?? d.lakeStartDate;
  const start = /^\d{4}-\d{2}-\d{2}$/.test(lakeStartDate) ? new Date(`${lakeStartDate}T00:00:00Z`) : undefined;
  check.expect(
    start !== undefined && !isNaN(start.getTime()) && start.toISOString().slice(0, 10) === lakeStartDate && start.getTime() <= Date.now(),
    `lakeStartDate '${lakeStartDate}' must be a past date as yyyy-MM-dd (e.g. 2020-01-01)`,
  );
  const bufferingSizeMiB = args.bufferingSizeMiB ?? d.bufferingSizeMiB;
  check.expect(
    Number.isInteger(bufferingSizeMiB) && bufferingSizeMiB >= MIN_PARQUET_BUFFER_MIB && bufferingSizeMiB <= MAX_BUFFER_MIB,
    `bufferingSizeMiB ${bufferingSizeMiB} must be an integer from ${MIN_PARQUET_BUFFER_MIB} (Firehose's minimum for Parquet conversion) to ${MAX_BUFFER_MIB}`,
  );
  const bufferingIntervalSeconds = args.bufferingIntervalSeconds ?? d.bufferingIntervalSeconds;
  check.expect(
    Number.isInteger(bufferingIntervalSeconds) && bufferingIntervalSeconds >= MIN_BUFFER_INTERVAL_SECONDS && bufferingIntervalSeconds <= MAX_BUFFER_INTERVAL_SECONDS,
    `bufferingIntervalSeconds ${bufferingIntervalSeconds} must be an integer from ${MIN_BUFFER_INTERVAL_SECONDS} to ${MAX_BUFFER_INTERVAL_SECONDS}`,
  );
  const sources = Object.entries(args.sources ?? {}).flatMap(([table, source]) => {
    const known = check.attempt(() => lakeTable(table));
    return known ? [{ table: known, source }] : [];
  });
  check.done();
  return {
    databaseName,
    lakeStartDate,
    bufferingSizeMiB,
    bufferingIntervalSeconds,
    sources,
    logRetentionDays: args.logRetentionDays ?? d.logRetentionDays,
    errorTables: args.errorTables ?? d.errorTables,
  };
}

export class ParquetLake extends pulumi.ComponentResource {
  /** The Glue database holding the lake tables. */
  readonly databaseName: pulumi.Output<string>;
  /** The database resource, when this component created it. */
  readonly database?: aws.glue.CatalogDatabase;
  /** Glue table per lake table name (every table in LAKE_TABLES, plus `ingest_errors` and `delivery_errors`). */
  readonly tables: Record<string, aws.glue.CatalogTable> = {};
  /** Glue table names, keyed like `tables`. */
  readonly tableNames: Record<string, string> = {};
  /** Firehose per source table. */
  readonly deliveryStreams: Record<string, aws.kinesis.FirehoseDeliveryStream> = {};
  /** Firehose delivery stream names per source table (for Monitoring). */
  readonly firehoseNames: Record<string, pulumi.Output<string>> = {};
  /** Firehose role per source table. */
  readonly roles: Record<string, aws.iam.Role> = {};
  /** Log group of the Firehose delivery errors. */
  readonly logGroup: aws.cloudwatch.LogGroup;

  constructor(name: string, args: ParquetLakeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iotpipe:lake:ParquetLake", name, {}, opts);
    const cfg = resolveParquetLakeArgs(name, args);
    const parent = { parent: this };

    let databaseArn: pulumi.Output<string>;
    if (args.existingDatabaseName !== undefined) {
      // There is no Glue database data source: build its ARN from where the program runs.
      const { partition, region, accountId } = awsContext(this);
      databaseArn = pulumi.interpolate`arn:${partition}:glue:${region}:${accountId}:database/${cfg.databaseName}`;
      this.databaseName = pulumi.output(cfg.databaseName);
    } else {
      this.database = new aws.glue.CatalogDatabase(
        `${name}-database`,
        { name: cfg.databaseName, description: "iotpipe telemetry lake (Parquet, partition projection on dt)" },
        parent,
      );
      databaseArn = this.database.arn;
      this.databaseName = this.database.name;
    }

    /** One external table over `s3://<bucket>/<prefix>`, partitioned by projection (no crawler, no partition API). */
    const addTable = (spec: {
      table: { name: string; description: string };
      prefix: string;
      format: StorageFormat;
      projection: (bucket: string) => Record<string, string>;
      partitionKeys: aws.types.input.glue.CatalogTablePartitionKey[];
      columns: aws.types.input.glue.CatalogTableStorageDescriptorColumn[];
    }) => {
      const { table, format } = spec;
      this.tables[table.name] = new aws.glue.CatalogTable(
        `${name}-${table.name}`,
        {
          name: table.name,
          databaseName: this.databaseName,
          description: table.description,
          tableType: "EXTERNAL_TABLE",
          parameters: pulumi
            .output(args.bucketName)
            .apply((bucket) => ({ ...spec.projection(bucket), classification: format.classification, EXTERNAL: "TRUE" })),
          partitionKeys: spec.partitionKeys,
          storageDescriptor: {
            location: pulumi.interpolate`s3://${args.bucketName}/${spec.prefix}`,
            inputFormat: format.inputFormat,
            outputFormat: format.outputFormat,
            serDeInfo: { serializationLibrary: format.serializationLibrary, parameters: format.serDeParameters },
            columns: spec.columns,
          },
        },
        parent,
      );
      this.tableNames[table.name] = table.name;
    };
    const byDate = (comment: string) => [{ name: "dt", type: "string", comment }];

    // Every lake table gets a Glue table, fed or not: the local engine and backfills write the same layout.
    for (const table of LAKE_TABLES) {
      addTable({
        table, prefix: `${table.name}/`, format: PARQUET, columns: glueColumnsFor(table),
        projection: (bucket) => projectionParameters(bucket, table, cfg.lakeStartDate),
        partitionKeys: [{ name: table.partitionKey, type: "string", comment: "Partition: UTC date yyyy-MM-dd" }],
      });
    }

    // The report job's registry snapshots (JSON Lines it writes itself, one per report day): the device inventory
    // reads this table, so it exists whether or not a snapshot was written yet (an empty table lists no one).
    addTable({
      table: DEVICE_REGISTRY, prefix: `${DEVICE_REGISTRY.name}/`, format: HIVE_JSON, columns: glueColumnsFor(DEVICE_REGISTRY),
      projection: (bucket) => projectionParameters(bucket, DEVICE_REGISTRY, cfg.lakeStartDate),
      partitionKeys: byDate("Partition: the report day the snapshot was taken for"),
    });

    if (cfg.errorTables) {
      addTable({
        table: INGEST_ERRORS, prefix: `${INGEST_ERRORS.name}/`, format: HIVE_JSON, columns: [...glueColumnsFor(INGEST_ERRORS), INGEST_ERRORS_FAILURES],
        projection: (bucket) => projectionParameters(bucket, INGEST_ERRORS, cfg.lakeStartDate),
        partitionKeys: byDate("Partition: UTC date the rule received the message"),
      });
      addTable({
        table: DELIVERY_ERRORS, prefix: `${DELIVERY_ERRORS.prefix}/`, format: HIVE_JSON, columns: DELIVERY_ERRORS.columns,
        projection: (bucket) => deliveryErrorsParameters(bucket, cfg.lakeStartDate),
        partitionKeys: [
          { name: "source_table", type: "string", comment: "Lake table whose Firehose failed the record" },
          { name: "error_type", type: "string", comment: "Firehose error output type, e.g. format-conversion-failed" },
          ...byDate("Partition: UTC date the error was written"),
        ],
      });
    }

    if (args.rawSource) {
      addTable({
        table: RAW_MESSAGES, prefix: `${RAW_MESSAGES.name}/`, format: HIVE_JSON, columns: glueColumnsFor(RAW_MESSAGES),
        projection: (bucket) => projectionParameters(bucket, RAW_MESSAGES, cfg.lakeStartDate),
        partitionKeys: byDate("Partition: UTC date the rules engine received the message"),
      });
    }

    this.logGroup = encryptedLogGroup(`${name}-firehose-logs`, { keyArn: args.logKmsKeyArn ?? args.lakeKeyArn, retentionDays: cfg.logRetentionDays }, parent);

    const delivery: DeliveryContext = {
      name,
      args,
      databaseArn,
      bufferingSizeMiB: cfg.bufferingSizeMiB,
      bufferingIntervalSeconds: cfg.bufferingIntervalSeconds,
    };
    for (const { table, source } of cfg.sources) {
      const glueTable = this.tables[table.name];
      this.addDelivery(delivery, table, source, {
        glue: { table: glueTable, databaseName: this.databaseName },
        // Parquet compresses its pages (Snappy); a Firehose-level codec would make the files unreadable.
        compressionFormat: "UNCOMPRESSED",
        extraProcessors: [],
      });
    }

    if (args.rawSource) {
      // The raw messages as the rule wrote them: gzip JSON lines by ingest date, read by the raw_messages table.
      this.addDelivery(delivery, RAW_MESSAGES, args.rawSource, {
        compressionFormat: "GZIP",
        extraProcessors: [{ type: "AppendDelimiterToRecord" }],
      });
    }

    this.registerOutputs({
      databaseName: this.databaseName,
      tableNames: this.tableNames,
      firehoseNames: this.firehoseNames,
      logGroupName: this.logGroup.name,
    });
  }

  /** One Firehose from a source stream into a table's prefix, with its own role and log stream. */
  private addDelivery(ctx: DeliveryContext, table: LakeTable, source: LakeSource, format: DeliveryFormat): void {
    const { name, args } = ctx;
    const parent = { parent: this };
    const logStream = new aws.cloudwatch.LogStream(
      `${name}-${table.name}-delivery-log`,
      { logGroupName: this.logGroup.name, name: `S3Delivery-${table.name}` },
      parent,
    );
    const account = pulumi.output(args.lakeKeyArn).apply(accountOf);
    const role = new aws.iam.Role(
      `${name}-${table.name}-firehose-role`,
      {
        description: `Firehose ${table.name}: source stream to lake prefix ${table.name}/`,
        assumeRolePolicy: serviceTrustPolicy("firehose.amazonaws.com", { StringEquals: { "sts:ExternalId": account } }),
      },
      parent,
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-${table.name}-firehose-policy`,
      {
        role: role.id,
        policy: pulumi
          .all([ctx.databaseArn, format.glue?.table.arn, args.bucketArn, args.lakeKeyArn, source.streamArn, args.streamKeyArn, this.logGroup.arn, logStream.name])
          .apply(([dbArn, tableArn, bucketArn, lakeKeyArn, streamArn, streamKeyArn, logGroupArn, logStreamName]) =>
            JSON.stringify(
              firehoseRolePolicy({
                table,
                glue: tableArn ? { catalogArn: catalogArnFor(dbArn), databaseArn: dbArn, tableArn } : undefined,
                bucketArn,
                lakeKeyArn,
                streamArn,
                streamKeyArn,
                logStreamArn: `${logGroupArn}:log-stream:${logStreamName}`,
              }),
            ),
          ),
      },
      parent,
    );
    const glue = format.glue;
    // Firehose checks the role when the stream is created: the policy must exist first.
    const firehose = new aws.kinesis.FirehoseDeliveryStream(
      `${name}-${table.name}`,
      {
        destination: "extended_s3",
        kinesisSourceConfiguration: { kinesisStreamArn: source.streamArn, roleArn: role.arn },
        extendedS3Configuration: {
          roleArn: role.arn,
          bucketArn: args.bucketArn,
          prefix: firehosePrefix(table),
          errorOutputPrefix: errorOutputPrefixFor(table),
          bufferingSize: ctx.bufferingSizeMiB,
          bufferingInterval: ctx.bufferingIntervalSeconds,
          compressionFormat: format.compressionFormat,
          kmsKeyArn: args.lakeKeyArn,
          s3BackupMode: "Disabled",
          cloudwatchLoggingOptions: { enabled: true, logGroupName: this.logGroup.name, logStreamName: logStream.name },
          dynamicPartitioningConfiguration: { enabled: true, retryDuration: 300 },
          // Flink's sink and the IoT rule write one JSON object per record (no KPL aggregation): no RecordDeAggregation.
          processingConfiguration: {
            enabled: true,
            processors: [
              {
                type: "MetadataExtraction",
                parameters: [
                  { parameterName: "JsonParsingEngine", parameterValue: "JQ-1.6" },
                  { parameterName: "MetadataExtractionQuery", parameterValue: partitionQueryFor(table) },
                ],
              },
              ...format.extraProcessors,
            ],
          },
          dataFormatConversionConfiguration: glue
            ? {
                enabled: true,
                inputFormatConfiguration: { deserializer: { openXJsonSerDe: {} } },
                outputFormatConfiguration: { serializer: { parquetSerDe: { compression: "SNAPPY" } } },
                schemaConfiguration: {
                  databaseName: glue.databaseName,
                  tableName: glue.table.name,
                  roleArn: role.arn,
                  region: ctx.databaseArn.apply(regionOf),
                  catalogId: ctx.databaseArn.apply(accountOf),
                },
              }
            : undefined,
        },
      },
      { parent: this, dependsOn: [policy] },
    );
    this.roles[table.name] = role;
    this.deliveryStreams[table.name] = firehose;
    this.firehoseNames[table.name] = firehose.name;
  }
}

/** What every delivery of one lake shares. */
interface DeliveryContext {
  name: string;
  args: ParquetLakeArgs;
  databaseArn: pulumi.Output<string>;
  bufferingSizeMiB: number;
  bufferingIntervalSeconds: number;
}

/** How a delivery writes: Parquet with a Glue table's schema, or compressed JSON lines. */
interface DeliveryFormat {
  /** The Glue table whose schema Firehose converts to (Parquet only). */
  glue?: { table: aws.glue.CatalogTable; databaseName: pulumi.Output<string> };
  compressionFormat: "UNCOMPRESSED" | "GZIP";
  extraProcessors: { type: string }[];
}
