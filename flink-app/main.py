"""PyFlink runner of the iotpipe Flink SQL job (Managed Service for Apache Flink, runtime FLINK-1_20, Python 3.11).

It reads the application properties, substitutes ``${key}`` placeholders in the bundled SQL files (generated
from analytics/definition.ts, committed under sql/flink/), applies the SET statements to the table
configuration, runs the DDL and views, and submits every INSERT as ONE statement set, so the whole pipeline is
one Flink job. It calls ``execute()`` and never ``wait()``: on the service the call must return.

Before the SQL runs it registers ``judge_telemetry``, the telemetry contract's validator
(telemetry_contract.py), as a Python function the SQL calls on every raw message. The service ships the
modules to the Python workers through the ``pyFiles`` run option the Flink component sets.

PyFlink is imported only inside ``register_functions()`` and ``main()``: the logic around them is plain Python
the tests drive with a stand-in table environment (no Flink installation needed).
"""

import json
import os
import re
import sys
from pathlib import Path

#: Where Managed Flink puts the application's runtime properties.
DEFAULT_PROPERTIES_PATH = "/etc/flink/application_properties.json"
#: The property group holding the stream ARNs and the region (set by the Pulumi Flink component).
PROPERTY_GROUP = "iotpipe"

_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
_SET = re.compile(r"^SET\s+'((?:[^']|'')+)'\s*=\s*'((?:[^']|'')*)'$", re.IGNORECASE | re.DOTALL)
_INSERT = re.compile(r"^INSERT\s+INTO\b", re.IGNORECASE)


def load_properties(path=DEFAULT_PROPERTIES_PATH, group=PROPERTY_GROUP):
    """Returns the PropertyMap of ``group`` from the application properties file (a list of groups)."""
    try:
        with open(path, encoding="utf-8") as f:
            groups = json.load(f)
    except FileNotFoundError:
        raise RuntimeError(f"application properties file {path} not found; set the '{group}' property group on the application") from None
    for entry in groups:
        if entry.get("PropertyGroupId") == group:
            return dict(entry.get("PropertyMap") or {})
    found = ", ".join(str(e.get("PropertyGroupId")) for e in groups) or "none"
    raise RuntimeError(f"property group '{group}' not in {path} (groups found: {found})")


def substitute(sql, properties, source="SQL"):
    """Replaces every ``${key}`` with its property value; fails naming the first key without one."""

    def value(match):
        key = match.group(1)
        if key not in properties:
            known = ", ".join(sorted(properties)) or "none"
            raise KeyError(f"{source}: no application property '{key}' for placeholder ${{{key}}} (properties: {known})")
        return properties[key]

    return _PLACEHOLDER.sub(value, sql)


def split_statements(sql):
    """Splits SQL text at top-level semicolons.

    Semicolons inside '...' strings (with '' escapes), "..." or `...` identifiers, -- line comments and
    /* */ block comments do not split. Pieces holding only comments and blanks are dropped.
    """
    statements, current, i, n = [], [], 0, len(sql)
    while i < n:
        ch, nxt = sql[i], sql[i + 1] if i + 1 < n else ""
        if ch == "-" and nxt == "-":
            end = sql.find("\n", i)
            end = n if end < 0 else end
            current.append(sql[i:end])
            i = end
        elif ch == "/" and nxt == "*":
            end = sql.find("*/", i + 2)
            if end < 0:
                raise ValueError(f"unterminated /* comment at offset {i}")
            current.append(sql[i:end + 2])
            i = end + 2
        elif ch in ("'", '"', "`"):
            j = i + 1
            while True:
                if j >= n:
                    raise ValueError(f"unterminated {ch} quote at offset {i}")
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            current.append(sql[i:j + 1])
            i = j + 1
        elif ch == ";":
            statements.append("".join(current))
            current = []
            i += 1
        else:
            current.append(ch)
            i += 1
    statements.append("".join(current))
    return [s.strip() for s in statements if _strip_comments(s).strip()]


def _strip_comments(sql):
    return re.sub(r"/\*.*?\*/", "", re.sub(r"--[^\n]*", "", sql), flags=re.DOTALL)


def _leading_code(statement):
    """The statement without its leading comments (to recognise SET and INSERT)."""
    return _strip_comments(statement).strip()


def find_sql_dir(base=None):
    """Directory of the bundled .sql files: $IOTPIPE_SQL_DIR, else next to main.py, else sql/flink/ or sql/ below it."""
    if os.environ.get("IOTPIPE_SQL_DIR"):
        return Path(os.environ["IOTPIPE_SQL_DIR"])
    base = Path(base or Path(__file__).resolve().parent)
    for candidate in (base, base / "sql" / "flink", base / "sql"):
        if candidate.is_dir() and any(candidate.glob("*.sql")):
            return candidate
    raise RuntimeError(f"no .sql files next to {base} nor in its sql/flink or sql directory")


#: SQL name of the contract's validator (analytics/flink.ts FLINK_JUDGE_FUNCTION).
JUDGE_FUNCTION = "judge_telemetry"

#: The judge's result, field by field (the SQL reads ``verdict.<field>``); readings are (metric, value, unit).
JUDGE_RESULT_FIELDS = (
    ("reason", "STRING"),
    ("detail", "STRING"),
    ("raw_payload", "STRING"),
    ("msg_id", "STRING"),
    ("seq", "BIGINT"),
    ("ts", "BIGINT"),
    ("readings", "ARRAY<ROW<metric STRING, value DOUBLE, unit STRING>>"),
)


def judge_row(payload, device_id, site, line, ingest_ts, max_future_skew_ms, max_past_skew_ms, make_row=lambda *values: values):
    """The contract's verdict on one raw message as a positional row in JUDGE_RESULT_FIELDS order.

    ``make_row`` builds each row (PyFlink's ``Row`` on the service); positional, because a keyword Row's field
    order is not the declared one in every PyFlink release.
    """
    from telemetry_contract import judge_envelope

    verdict = judge_envelope(payload, device_id, site, line, ingest_ts, max_future_skew_ms, max_past_skew_ms)
    readings = verdict["readings"]
    values = [verdict[name] for name, _ in JUDGE_RESULT_FIELDS[:-1]]
    values.append(None if readings is None else [make_row(*reading) for reading in readings])
    return make_row(*values)


def register_functions(table_env):
    """Registers the contract's validator as the SQL function JUDGE_FUNCTION."""
    from pyflink.common import Row
    from pyflink.table import DataTypes
    from pyflink.table.udf import udf

    reading = DataTypes.ROW([
        DataTypes.FIELD("metric", DataTypes.STRING()),
        DataTypes.FIELD("value", DataTypes.DOUBLE()),
        DataTypes.FIELD("unit", DataTypes.STRING()),
    ])
    scalar = {"STRING": DataTypes.STRING(), "BIGINT": DataTypes.BIGINT()}
    result = DataTypes.ROW([
        DataTypes.FIELD(name, DataTypes.ARRAY(reading) if name == "readings" else scalar[sql_type])
        for name, sql_type in JUDGE_RESULT_FIELDS
    ])

    def judge(payload, device_id, site, line, ingest_ts, max_future_skew_ms, max_past_skew_ms):
        return judge_row(payload, device_id, site, line, ingest_ts, max_future_skew_ms, max_past_skew_ms, make_row=Row)

    table_env.create_temporary_system_function(JUDGE_FUNCTION, udf(judge, result_type=result))


#: Optional property: comma-separated SQL file names in execution order (the Flink component sets it).
SQL_FILES_PROPERTY = "sql.files"


def load_statements(sql_dir, properties):
    """Every statement of the SQL files, placeholders substituted.

    Files run in the order of the ``sql.files`` property when it is set (each must exist), else every .sql
    file of the directory in name order.
    """
    listed = [name.strip() for name in properties.get(SQL_FILES_PROPERTY, "").split(",") if name.strip()]
    if listed:
        files = [Path(sql_dir) / name for name in listed]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise RuntimeError(f"{SQL_FILES_PROPERTY} lists files that are not in the bundle: {', '.join(missing)}")
    else:
        files = sorted(Path(sql_dir).glob("*.sql"))
    if not files:
        raise RuntimeError(f"no .sql files in {sql_dir}")
    statements = []
    for path in files:
        text = substitute(path.read_text(encoding="utf-8"), properties, source=path.name)
        statements.extend((path.name, s) for s in split_statements(text))
    return statements


def run_job(table_env, statements):
    """Applies SETs, runs DDL/views, submits all INSERTs as one statement set; returns the execute() result."""
    statement_set = table_env.create_statement_set()
    inserts = 0
    for name, statement in statements:
        code = _leading_code(statement)
        setting = _SET.match(code)
        try:
            if setting:
                key, value = (part.replace("''", "'") for part in setting.groups())
                table_env.get_config().set(key, value)
            elif _INSERT.match(code):
                statement_set.add_insert_sql(statement)
                inserts += 1
            else:
                table_env.execute_sql(statement)
        except Exception as error:
            raise RuntimeError(f"{name}: statement failed: {error}\n{code[:400]}") from error
    if inserts == 0:
        raise RuntimeError("the SQL files contain no INSERT: nothing would run")
    return statement_set.execute()


def main(argv=None):
    """Runs the job; returns the statement set's TableResult (the service ignores it, a local run waits on it)."""
    argv = sys.argv[1:] if argv is None else argv
    properties_path = argv[0] if argv else os.environ.get("IOTPIPE_PROPERTIES", DEFAULT_PROPERTIES_PATH)
    properties = load_properties(properties_path)
    statements = load_statements(find_sql_dir(), properties)

    from pyflink.table import EnvironmentSettings, TableEnvironment  # imported here so tests need no Flink

    table_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    register_functions(table_env)
    return run_job(table_env, statements)


if __name__ == "__main__":
    main()
