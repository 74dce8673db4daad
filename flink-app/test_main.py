"""Tests of the PyFlink runner with a stand-in table environment (stdlib only: python3 -m unittest)."""

import base64
import json
import os
import re
import sys
import tempfile
import types
import unittest
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
import main  # noqa: E402

REPO_SQL = Path(__file__).resolve().parent.parent / "sql" / "flink"
PROPERTIES = {
    "raw.stream.arn": "arn:aws:kinesis:eu-west-1:123456789012:stream/raw",
    "raw.reader.type": "POLLING",
    "raw.init.position": "TRIM_HORIZON",
    "raw.efo.consumer.name": "iotpipe-dev-analytics",
    "readings.stream.arn": "arn:aws:kinesis:eu-west-1:123456789012:stream/readings",
    "aggregates.stream.arn": "arn:aws:kinesis:eu-west-1:123456789012:stream/aggregates",
    "anomalies.stream.arn": "arn:aws:kinesis:eu-west-1:123456789012:stream/anomalies",
    "alerts.stream.arn": "arn:aws:kinesis:eu-west-1:123456789012:stream/alerts",
    "quarantine.stream.arn": "arn:aws:kinesis:eu-west-1:123456789012:stream/quarantine",
    "aws.region": "eu-west-1",
}


class FakeConfig:
    def __init__(self):
        self.values = {}

    def set(self, key, value):
        self.values[key] = value
        return self


class FakeStatementSet:
    def __init__(self):
        self.inserts = []
        self.executed = 0

    def add_insert_sql(self, sql):
        self.inserts.append(sql)
        return self

    def execute(self):
        self.executed += 1
        return self

    def wait(self):
        raise AssertionError("the runner must not wait() on the job")


class FakeTableEnv:
    """Stand-in for pyflink.table.TableEnvironment recording what the runner does."""

    def __init__(self, fail_on=None):
        self.executed = []
        self.config = FakeConfig()
        self.statement_sets = []
        self.fail_on = fail_on

    def execute_sql(self, sql):
        if self.fail_on and self.fail_on in sql:
            raise ValueError("planner says no")
        self.executed.append(sql)

    def create_statement_set(self):
        statement_set = FakeStatementSet()
        self.statement_sets.append(statement_set)
        return statement_set

    def get_config(self):
        return self.config


class SplitStatementsTest(unittest.TestCase):
    def test_splits_at_top_level_semicolons_only(self):
        sql = """-- header; with a semicolon
SET 'a' = 'b';
CREATE TABLE t (x STRING) WITH ('k' = 'a;b', 'q' = 'it''s; fine');
/* block; comment */ SELECT `we;ird` FROM t WHERE y = "x;y";
INSERT INTO s SELECT 1; -- trailing; comment
-- only a comment; here
"""
        statements = main.split_statements(sql)
        self.assertEqual(len(statements), 4)
        self.assertTrue(statements[0].endswith("SET 'a' = 'b'"))
        self.assertIn("'it''s; fine'", statements[1])
        self.assertIn("`we;ird`", statements[2])
        self.assertIn('"x;y"', statements[2])
        self.assertEqual(statements[3], "INSERT INTO s SELECT 1")

    def test_unterminated_quote_fails(self):
        with self.assertRaises(ValueError):
            main.split_statements("SELECT 'oops;")

    def test_unterminated_block_comment_fails(self):
        with self.assertRaises(ValueError):
            main.split_statements("SELECT 1 /* never closed")


class SubstituteTest(unittest.TestCase):
    def test_replaces_every_placeholder(self):
        out = main.substitute("'${raw.stream.arn}' '${aws.region}' '${aws.region}'", PROPERTIES)
        self.assertEqual(out, f"'{PROPERTIES['raw.stream.arn']}' 'eu-west-1' 'eu-west-1'")

    def test_unknown_placeholder_names_the_key(self):
        with self.assertRaises(KeyError) as ctx:
            main.substitute("x ${alerts.stream.arn} ${nope}", {"alerts.stream.arn": "a"}, source="07-alerts.sql")
        self.assertIn("nope", str(ctx.exception))
        self.assertIn("07-alerts.sql", str(ctx.exception))


class LoadPropertiesTest(unittest.TestCase):
    def write(self, content):
        handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(content, handle)
        handle.close()
        self.addCleanup(os.unlink, handle.name)
        return handle.name

    def test_reads_the_iotpipe_group(self):
        path = self.write([
            {"PropertyGroupId": "kinesis.analytics.flink.run.options", "PropertyMap": {"python": "main.py"}},
            {"PropertyGroupId": "iotpipe", "PropertyMap": PROPERTIES},
        ])
        self.assertEqual(main.load_properties(path), PROPERTIES)

    def test_missing_group_fails_clearly(self):
        path = self.write([{"PropertyGroupId": "other", "PropertyMap": {}}])
        with self.assertRaises(RuntimeError) as ctx:
            main.load_properties(path)
        self.assertIn("iotpipe", str(ctx.exception))
        self.assertIn("other", str(ctx.exception))

    def test_missing_file_fails_clearly(self):
        with self.assertRaises(RuntimeError):
            main.load_properties("/nonexistent/application_properties.json")


class RunJobTest(unittest.TestCase):
    def test_committed_sql_runs_as_one_statement_set(self):
        statements = main.load_statements(REPO_SQL, PROPERTIES)
        env = FakeTableEnv()
        main.run_job(env, statements)

        self.assertEqual(len(env.statement_sets), 1, "exactly one statement set")
        statement_set = env.statement_sets[0]
        self.assertEqual(statement_set.executed, 1, "execute() called once")
        inserts = [s for _, s in statements if main._leading_code(s).upper().startswith("INSERT")]
        self.assertEqual(statement_set.inserts, inserts)
        for table in ("readings_sink", "aggregates_sink", "anomalies_sink", "alerts_sink", "quarantine_sink"):
            self.assertTrue(any(f"INSERT INTO {table}" in s for s in statement_set.inserts), table)
        self.assertEqual(env.config.values["table.local-time-zone"], "UTC")
        self.assertIn("table.exec.source.idle-timeout", env.config.values)
        self.assertFalse(any(main._leading_code(s).upper().startswith(("SET", "INSERT")) for s in env.executed))
        self.assertTrue(any("CREATE TABLE raw_envelopes" in s for s in env.executed))
        for sql in env.executed + statement_set.inserts:
            self.assertNotIn("${", sql)
        self.assertTrue(any(PROPERTIES["raw.stream.arn"] in s for s in env.executed))

    def test_files_run_in_name_order(self):
        names = [name for name, _ in main.load_statements(REPO_SQL, PROPERTIES)]
        self.assertEqual(names, sorted(names))
        self.assertEqual(names[0], "00-config.sql")

    def test_sql_files_property_sets_the_order_and_must_match_the_bundle(self):
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "a.sql").write_text("INSERT INTO s SELECT 1;")
            (Path(d) / "b.sql").write_text("CREATE TABLE t (x INT) WITH ('connector' = 'datagen');")
            names = [n for n, _ in main.load_statements(d, {"sql.files": "b.sql, a.sql"})]
            self.assertEqual(names, ["b.sql", "a.sql"])
            with self.assertRaises(RuntimeError) as ctx:
                main.load_statements(d, {"sql.files": "b.sql,c.sql"})
            self.assertIn("c.sql", str(ctx.exception))

    def test_missing_property_fails_before_anything_runs(self):
        partial = {k: v for k, v in PROPERTIES.items() if k != "alerts.stream.arn"}
        with self.assertRaises(KeyError) as ctx:
            main.load_statements(REPO_SQL, partial)
        self.assertIn("alerts.stream.arn", str(ctx.exception))

    def test_failing_statement_names_its_file(self):
        env = FakeTableEnv(fail_on="CREATE TABLE raw_envelopes")
        with self.assertRaises(RuntimeError) as ctx:
            main.run_job(env, main.load_statements(REPO_SQL, PROPERTIES))
        self.assertIn("01-sources.sql", str(ctx.exception))

    def test_sql_without_insert_is_an_error(self):
        with self.assertRaises(RuntimeError):
            main.run_job(FakeTableEnv(), [("x.sql", "CREATE TABLE t (a INT) WITH ('connector' = 'datagen')")])

    def test_set_values_are_unquoted(self):
        env = FakeTableEnv()
        main.run_job(env, [("a.sql", "-- why\nSET 'pipeline.name' = 'iot''pipe'"), ("b.sql", "INSERT INTO s SELECT 1")])
        self.assertEqual(env.config.values, {"pipeline.name": "iot'pipe"})


def stand_in_pyflink():
    """Modules standing in for pyflink.common / pyflink.table / pyflink.table.udf: they record what is built."""

    class Row(tuple):
        def __new__(cls, *values):
            return super().__new__(cls, values)

    class DataTypes:
        STRING = staticmethod(lambda: "STRING")
        BIGINT = staticmethod(lambda: "BIGINT")
        DOUBLE = staticmethod(lambda: "DOUBLE")
        ARRAY = staticmethod(lambda element: f"ARRAY<{element}>")
        FIELD = staticmethod(lambda name, data_type: f"{name} {data_type}")
        ROW = staticmethod(lambda fields: f"ROW<{', '.join(fields)}>")

    def udf(function, result_type):
        return {"function": function, "result_type": result_type}

    common = types.ModuleType("pyflink.common")
    common.Row = Row
    table = types.ModuleType("pyflink.table")
    table.DataTypes = DataTypes
    table_udf = types.ModuleType("pyflink.table.udf")
    table_udf.udf = udf
    return {"pyflink": types.ModuleType("pyflink"), "pyflink.common": common, "pyflink.table": table, "pyflink.table.udf": table_udf}, Row


class RegisteringEnv(FakeTableEnv):
    def __init__(self):
        super().__init__()
        self.functions = {}

    def create_temporary_system_function(self, name, function):
        self.functions[name] = function


def b64(text):
    return base64.b64encode(text.encode("utf-8") if isinstance(text, str) else text).decode("ascii")


class JudgeFunctionTest(unittest.TestCase):
    def register(self):
        modules, row = stand_in_pyflink()
        env = RegisteringEnv()
        with mock.patch.dict(sys.modules, modules):
            main.register_functions(env)
        return env.functions[main.JUDGE_FUNCTION], row

    def test_registers_the_contract_validator_with_the_declared_row_type(self):
        registered, _ = self.register()
        self.assertEqual(
            registered["result_type"],
            "ROW<reason STRING, detail STRING, raw_payload STRING, msg_id STRING, seq BIGINT, ts BIGINT, "
            "readings ARRAY<ROW<metric STRING, value DOUBLE, unit STRING>>>",
        )

    def test_accepted_message_becomes_positional_rows(self):
        registered, row = self.register()
        ingest = 1_795_392_000_000
        payload = json.dumps({"msg_id": "m-1", "ts": ingest - 1000, "readings": [{"metric": "temperature", "value": 71, "unit": "degC"}]})
        verdict = registered["function"](b64(payload), "press-01", "plant-a", "line-1", ingest, 300_000, 604_800_000)
        self.assertIsInstance(verdict, row)
        self.assertEqual(verdict, (None, None, payload, "m-1", None, ingest - 1000, [("temperature", 71.0, "degC")]))
        self.assertIsInstance(verdict[-1][0], row)

    def test_rejected_message_keeps_its_bytes_and_reason(self):
        registered, _ = self.register()
        verdict = registered["function"](b64(b"\xff\x00"), "press-01", "plant-a", "line-1", 1, 300_000, 604_800_000)
        self.assertEqual(verdict[:3], ("unparseable", "payload is not valid UTF-8 (raw_payload is base64)", b64(b"\xff\x00")))
        self.assertIsNone(verdict[-1])
        numeric_string = json.dumps({"ts": 1, "readings": [{"metric": "current", "value": "12"}]})
        self.assertEqual(registered["function"](b64(numeric_string), "press-01", "plant-a", "line-1", 1, 300_000, 604_800_000)[0], "schema")

    def test_sql_reads_only_fields_the_judge_returns_and_calls_it_by_its_name(self):
        validate = (REPO_SQL / "03-validate.sql").read_text(encoding="utf-8")
        names = {name for name, _ in main.JUDGE_RESULT_FIELDS}
        used = set(re.findall(r"\bverdict\.(\w+)", validate))
        self.assertTrue(used)
        self.assertLessEqual(used, names)
        self.assertIn(f"{main.JUDGE_FUNCTION}(payload_base64, device_id, site, line, ingest_ts,", validate)

    def test_main_registers_the_judge_before_any_statement(self):
        order = []

        class Env(RegisteringEnv):
            def create_temporary_system_function(self, name, function):
                order.append(f"function {name}")

            def execute_sql(self, sql):
                order.append("sql")

        env = Env()
        modules, _ = stand_in_pyflink()
        table = modules["pyflink.table"]
        table.EnvironmentSettings = types.SimpleNamespace(in_streaming_mode=lambda: None)
        table.TableEnvironment = types.SimpleNamespace(create=lambda settings: env)
        with tempfile.TemporaryDirectory() as d:
            properties = Path(d) / "props.json"
            properties.write_text(json.dumps([{"PropertyGroupId": "iotpipe", "PropertyMap": PROPERTIES}]))
            with mock.patch.dict(sys.modules, modules), mock.patch.dict(os.environ, {"IOTPIPE_SQL_DIR": str(REPO_SQL)}):
                main.main([str(properties)])
        self.assertEqual(order[0], f"function {main.JUDGE_FUNCTION}")
        self.assertIn("sql", order)


class FindSqlDirTest(unittest.TestCase):
    def test_finds_sql_next_to_or_below_main(self):
        with tempfile.TemporaryDirectory() as base:
            nested = Path(base) / "sql" / "flink"
            nested.mkdir(parents=True)
            (nested / "01-a.sql").write_text("SELECT 1;")
            self.assertEqual(main.find_sql_dir(base), nested)
            (Path(base) / "00-b.sql").write_text("SELECT 1;")
            self.assertEqual(main.find_sql_dir(base), Path(base))


if __name__ == "__main__":
    unittest.main()
