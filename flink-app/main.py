"""PyFlink runner of the iotpipe Flink SQL job (Managed Service for Apache Flink, runtime FLINK-1_20, Python 3.11).

It reads the application properties, substitutes ``${key}`` placeholders in the bundled SQL files (generated
from analytics/definition.ts, committed under sql/flink/), applies the SET statements to the table
configuration, runs the DDL and views, and submits every INSERT as ONE statement set, so the whole pipeline is
one Flink job. It calls ``execute()`` and never ``wait()``: on the service the call must return.

PyFlink is imported only inside ``main()``: the logic above it is plain Python the tests drive with a stand-in
table environment (no Flink installation needed).
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
    argv = sys.argv[1:] if argv is None else argv
    properties_path = argv[0] if argv else os.environ.get("IOTPIPE_PROPERTIES", DEFAULT_PROPERTIES_PATH)
    properties = load_properties(properties_path)
    statements = load_statements(find_sql_dir(), properties)

    from pyflink.table import EnvironmentSettings, TableEnvironment  # imported here so tests need no Flink

    table_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    run_job(table_env, statements)


if __name__ == "__main__":
    main()
