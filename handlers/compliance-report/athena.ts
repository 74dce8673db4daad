/**
 * Runs one compliance query on Athena and returns its rows, or fails loudly: the query id, the execution id and
 * Athena's own reason on FAILED or CANCELLED; on timeout the query is stopped (so it stops scanning) and the
 * error says so. Parameters travel as ExecutionParameters, never inside the SQL text.
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { QueryResult } from "../../reports/model";
import { QuerySpec } from "../../reports/queries";

export interface AthenaRunSettings {
  workGroup: string;
  database: string;
  timeoutMs: number;
  pollInitialMs: number;
  pollMaxMs: number;
  /** Aborted when the report has already failed elsewhere: the query is stopped instead of left scanning. */
  signal?: AbortSignal;
}

/** Time, injectable so tests can run a timeout without waiting for it. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class AthenaQueryError extends Error {
  constructor(
    message: string,
    readonly queryId: string,
    readonly executionId: string | undefined,
  ) {
    super(message);
    this.name = "AthenaQueryError";
  }
}

export interface AthenaQueryOutcome {
  result: QueryResult;
  dataScannedBytes: number;
  engineMs: number;
}

/** Page size of GetQueryResults (the API's maximum). */
const PAGE_SIZE = 1000;

export async function runAthenaQuery(
  athena: AthenaClient,
  spec: QuerySpec,
  sql: string,
  executionParameters: string[],
  settings: AthenaRunSettings,
  clock: Clock = realClock,
): Promise<AthenaQueryOutcome> {
  const started = await athena.send(
    new StartQueryExecutionCommand({
      QueryString: sql,
      ExecutionParameters: executionParameters,
      WorkGroup: settings.workGroup,
      QueryExecutionContext: { Catalog: "AwsDataCatalog", Database: settings.database },
    }),
  );
  const executionId = started.QueryExecutionId;
  if (!executionId) throw new AthenaQueryError(`Athena returned no execution id for query '${spec.id}'`, spec.id, undefined);

  const deadline = clock.now() + settings.timeoutMs;
  let wait = settings.pollInitialMs;
  for (;;) {
    const { QueryExecution: execution } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: executionId }));
    const state = execution?.Status?.State;
    if (state === "SUCCEEDED") {
      const result = await fetchResults(athena, spec, executionId);
      return {
        result,
        dataScannedBytes: execution?.Statistics?.DataScannedInBytes ?? 0,
        engineMs: execution?.Statistics?.EngineExecutionTimeInMillis ?? 0,
      };
    }
    if (state === "FAILED" || state === "CANCELLED") {
      const reason = execution?.Status?.StateChangeReason ?? execution?.Status?.AthenaError?.ErrorMessage ?? "no reason given";
      throw new AthenaQueryError(`Athena query '${spec.id}' (execution ${executionId}) ${state}: ${reason}`, spec.id, executionId);
    }
    if (settings.signal?.aborted) {
      await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: executionId }));
      throw new AthenaQueryError(`Athena query '${spec.id}' (execution ${executionId}) stopped: another query of the report failed`, spec.id, executionId);
    }
    if (clock.now() + wait > deadline) {
      await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: executionId }));
      throw new AthenaQueryError(
        `Athena query '${spec.id}' (execution ${executionId}) still ${state ?? "unknown"} after ${settings.timeoutMs / 1000} s: ` +
          `stopped. Check the workgroup's queue and the data volume, or raise QUERY_TIMEOUT_SECONDS.`,
        spec.id,
        executionId,
      );
    }
    await clock.sleep(wait);
    wait = Math.min(wait * 2, settings.pollMaxMs);
  }
}

/** Pages through GetQueryResults; the first row of the first page is the header (column names), not data. */
async function fetchResults(athena: AthenaClient, spec: QuerySpec, executionId: string): Promise<QueryResult> {
  const rows: Array<Array<string | null>> = [];
  let columns: QueryResult["columns"] | undefined;
  let nextToken: string | undefined;
  let firstPage = true;
  do {
    const page = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: executionId, MaxResults: PAGE_SIZE, NextToken: nextToken }));
    const pageRows = page.ResultSet?.Rows ?? [];
    if (firstPage) {
      columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => ({ name: c.Name!, type: c.Type! }));
      const header = pageRows.shift()?.Data?.map((d) => d.VarCharValue);
      if (!header || header.join(",") !== columns.map((c) => c.name).join(",")) {
        throw new AthenaQueryError(
          `Athena query '${spec.id}' (execution ${executionId}): first result row is not the header ` +
            `(${JSON.stringify(header)} vs columns ${columns.map((c) => c.name).join(",")})`,
          spec.id,
          executionId,
        );
      }
      firstPage = false;
    }
    for (const row of pageRows) rows.push((row.Data ?? []).map((d) => d.VarCharValue ?? null));
    nextToken = page.NextToken;
  } while (nextToken);
  return { queryId: spec.id, executionId, columns: columns ?? [], rows };
}
