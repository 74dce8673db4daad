"""The telemetry contract as the Flink job applies it: one device message, as the IoT rule delivered it, judged
accepted or quarantined with a reason from contract/ingest-policy.ts.

This is the cloud twin of ``classify`` in contract/validation.ts for an MQTT message in live mode (the path every
message takes through IoT Core). The rule forwards the published bytes untouched (base64 in the envelope), so
this code sees exactly what the device sent: unparseable bytes are kept, and the checks are the contract's own,
not a JSON deserializer's (Flink's JSON format would read "12" as a number and drop unknown keys). The limits
and patterns come from contract_constants.py, generated from the TypeScript contract; a property test holds this
module and ``classify`` to the same verdict on random and hostile messages (tests/contract/flink-contract.test.ts).

The checks run in classify's order and the first failure names the reason:
  bad_topic (an address id not allowed), too_large, unparseable (not UTF-8, NUL, not strict JSON, lone
  surrogate escape), schema (not an object, repeated key), non_finite (a reading value beyond the limit),
  schema (the device message schema), timestamp_out_of_range (skew against the ingest clock).

Standard library only: it runs inside the PyFlink Python worker and in the unit tests alike.
"""

import base64
import binascii
import json
import math
import re

import contract_constants as C

_IDENTIFIER = re.compile(C.IDENTIFIER_PATTERN)
_METRIC = re.compile(C.METRIC_PATTERN)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_MESSAGE_KEYS = frozenset(("msg_id", "seq", "ts", "readings"))
_READING_KEYS = frozenset(("metric", "value", "unit"))
#: JavaScript's Number.MAX_SAFE_INTEGER: the contract's integers are safe integers (zod's int()).
_MAX_SAFE_INTEGER = 2**53 - 1


class Rejection(Exception):
    """Stops at the first failing check; carries the reason and a human-readable detail."""

    def __init__(self, reason, detail):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def judge_envelope(payload_base64, device_id, site, line, ingest_ts, max_future_skew_ms, max_past_skew_ms):
    """Judges one raw-stream record (the IoT rule's envelope). Never raises on bad input.

    Returns a dict: ``reason``/``detail`` (None when accepted), ``raw_payload`` (the published bytes as UTF-8
    text, or base64 when they are not UTF-8; always set, so a quarantined message keeps its original bytes),
    and for an accepted message ``msg_id``, ``seq``, ``ts`` and ``readings`` as (metric, value, unit) tuples.
    """
    verdict = {"reason": None, "detail": None, "raw_payload": payload_base64, "msg_id": None, "seq": None, "ts": None, "readings": None}
    try:
        payload = _decode_base64(payload_base64)
        verdict["raw_payload"] = _as_text_or_base64(payload)
        message = judge_message(payload, device_id, site, line, ingest_ts, max_future_skew_ms, max_past_skew_ms)
    except Rejection as rejection:
        verdict["reason"], verdict["detail"] = rejection.reason, rejection.detail
        return verdict
    verdict.update(message)
    return verdict


def judge_message(payload, device_id, site, line, ingest_ts, max_future_skew_ms, max_past_skew_ms):
    """The accepted message's fields, or raises Rejection: classify's MQTT path, live mode."""
    for key, value in (("site", site), ("line", line), ("device_id", device_id)):
        if not is_identifier(value):
            raise Rejection("bad_topic", f"{key} '{_clip(value)}' is not an allowed id (letters, digits, . _ : -; max {C.MAX_ID_LENGTH})")
    if not isinstance(ingest_ts, int) or isinstance(ingest_ts, bool):
        raise Rejection("schema", "ingest_ts missing (not written by the IoT rule)")
    text = _decode_text(payload)
    message = _parse_strict_object(text)
    fields = _validate_message(message)
    ts = fields["ts"]
    if ts > ingest_ts + max_future_skew_ms:
        raise Rejection("timestamp_out_of_range", f"ts {ts} is {ts - ingest_ts} ms ahead of ingest time (max {max_future_skew_ms})")
    if ts < ingest_ts - max_past_skew_ms:
        raise Rejection("timestamp_out_of_range", f"ts {ts} is {ingest_ts - ts} ms behind ingest time (max {max_past_skew_ms})")
    return fields


def is_identifier(value):
    """contract/telemetry.ts ``identifier``: 1..MAX_ID_LENGTH of letters, digits and . _ : - (ASCII, so len is exact)."""
    return isinstance(value, str) and 0 < len(value) <= C.MAX_ID_LENGTH and _IDENTIFIER.fullmatch(value) is not None


def _decode_base64(payload_base64):
    if not isinstance(payload_base64, str):
        raise Rejection("schema", "payload missing (not written by the IoT rule)")
    try:
        return base64.b64decode(payload_base64, validate=True)
    except (binascii.Error, ValueError):
        raise Rejection("schema", "payload is not base64 (not written by the IoT rule)") from None


def _as_text_or_base64(payload):
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(payload).decode("ascii")


def _decode_text(payload):
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        if len(payload) > C.MAX_PAYLOAD_BYTES:
            raise Rejection("too_large", f"payload is {len(payload)} bytes; limit {C.MAX_PAYLOAD_BYTES}") from None
        raise Rejection("unparseable", "payload is not valid UTF-8 (raw_payload is base64)") from None
    if len(payload) > C.MAX_PAYLOAD_BYTES:
        raise Rejection("too_large", f"payload is {len(payload)} bytes; limit {C.MAX_PAYLOAD_BYTES}")
    if "\0" in text:
        raise Rejection("unparseable", "payload contains a NUL character")
    return text


class _Object(dict):
    """A JSON object that remembers the first key it saw twice (the dict keeps the last value, as JSON.parse)."""

    repeated = None


def _object_pairs(pairs):
    obj = _Object()
    for key, value in pairs:
        if key in obj and obj.repeated is None:
            obj.repeated = key
        obj[key] = value
    return obj


def _no_constants(token):
    # Python's json reads NaN, Infinity and -Infinity; RFC 8259 (and JSON.parse) does not.
    raise ValueError(f"{token} is not JSON")


def _parse_int(digits):
    # As JSON.parse: a long integer becomes an inexact double (Infinity past ~309 digits), never an error
    # (Python refuses int() of more than 4300 digits). Up to 18 digits the int is exact either way.
    return int(digits) if len(digits) <= 18 else float(digits)


def _parse_strict_object(text):
    try:
        value = _loads(text)
    except RecursionError:
        # Python's json stops at ~1000 levels; JSON.parse reads any depth, and classify's later checks still
        # decide the reason. Check the syntax without recursion, then judge the text with every container below
        # the reading objects replaced by null (an accepted message never nests deeper; null fails the schema
        # wherever it lands, after the non_finite check, as a deep value does in classify).
        try:
            flat, lone_surrogate = _flatten_deep(text)
        except ValueError as error:
            raise Rejection("unparseable", f"payload is not valid JSON: {error}") from None
        if lone_surrogate:
            raise Rejection("unparseable", "payload has a lone UTF-16 surrogate escape") from None
        value = _loads(flat)
    except ValueError as error:
        raise Rejection("unparseable", f"payload is not valid JSON: {error}") from None
    if not _well_formed(value):
        raise Rejection("unparseable", "payload has a lone UTF-16 surrogate escape")
    if not isinstance(value, dict):
        raise Rejection("schema", "payload is JSON but not an object")
    repeated = value.repeated
    readings = value.get("readings")
    if repeated is None and isinstance(readings, list):
        repeated = next((r.repeated for r in readings if isinstance(r, _Object) and r.repeated is not None), None)
    if repeated is not None:
        raise Rejection("schema", f"payload repeats the key '{repeated}'")
    return value


def _loads(text):
    return json.loads(text, object_pairs_hook=_object_pairs, parse_constant=_no_constants, parse_int=_parse_int)


_TOKEN = re.compile(
    r'(?P<ws>[ \t\n\r]+)'
    r'|(?P<string>"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*")'
    r'|(?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)'
    r'|(?P<literal>true|false|null)'
    r'|(?P<punct>[{}\[\]:,])'
)

#: Containers deeper than this (top object 1, readings 2, a reading 3) cannot be part of a valid message.
_KEPT_DEPTH = 3


def _flatten_deep(text):
    """Checks JSON syntax iteratively (RFC 8259, as JSON.parse) and returns (text with every container deeper than
    _KEPT_DEPTH replaced by null, whether any string holds a lone surrogate escape). Raises ValueError if not JSON."""
    out, stack = [], []
    expect, skip_from, lone_surrogate, pos = "value", None, False, 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ValueError(f"unexpected character at offset {pos}")
        pos, kind, token = match.end(), match.lastgroup, match.group()
        if kind == "ws":
            continue
        emit = skip_from is None
        if expect in ("value", "value_or_end") and token in "{[" and kind == "punct":
            stack.append(token)
            if skip_from is None and len(stack) > _KEPT_DEPTH:
                skip_from = len(stack)
                out.append("null")
            elif emit:
                out.append(token)
            expect = "key_or_end" if token == "{" else "value_or_end"
            continue
        closes = (token == "]" and expect in ("value_or_end", "comma_or_end") and stack and stack[-1] == "[") or (
            token == "}" and expect in ("key_or_end", "comma_or_end") and stack and stack[-1] == "{"
        )
        if closes:
            if skip_from == len(stack):
                skip_from = None
            elif emit:
                out.append(token)
            stack.pop()
        elif expect in ("value", "value_or_end") and kind in ("string", "number", "literal"):
            if kind == "string" and _LONE_SURROGATE.search(json.loads(token)):
                lone_surrogate = True
            if emit:
                out.append(token)
        elif expect in ("key", "key_or_end") and kind == "string":
            if _LONE_SURROGATE.search(json.loads(token)):
                lone_surrogate = True
            if emit:
                out.append(token)
            expect = "colon"
            continue
        elif expect == "colon" and token == ":":
            if emit:
                out.append(token)
            expect = "value"
            continue
        elif expect == "comma_or_end" and token == ",":
            if emit:
                out.append(token)
            expect = "value" if stack[-1] == "[" else "key"
            continue
        else:
            raise ValueError(f"unexpected '{token[:20]}' at offset {match.start()}")
        expect = "comma_or_end" if stack else "end"
    if expect != "end":
        raise ValueError("unexpected end of text")
    return "".join(out), lone_surrogate


def _well_formed(root):
    pending = [root]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if _LONE_SURROGATE.search(value):
                return False
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, dict):
            for key, child in value.items():
                if _LONE_SURROGATE.search(key):
                    return False
                pending.append(child)
    return True


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _accepted_magnitude(value):
    if isinstance(value, int):
        return abs(value) <= C.MAX_ABS_VALUE
    return math.isfinite(value) and abs(value) <= C.MAX_ABS_VALUE


def _safe_integer(value):
    """The value as an int when it is a safe integer (5.0 and 1E2 are, as in JavaScript), else None."""
    if not _is_number(value):
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        value = int(value)
    return value if abs(value) <= _MAX_SAFE_INTEGER else None


def _schema(detail):
    raise Rejection("schema", detail)


def _validate_message(message):
    readings = message.get("readings")
    if isinstance(readings, list):
        for index, reading in enumerate(readings):
            value = reading.get("value") if isinstance(reading, dict) else None
            if _is_number(value) and not _accepted_magnitude(value):
                raise Rejection("non_finite", f"readings[{index}].value is {value}, beyond ±{C.MAX_ABS_VALUE:g}")
    unknown = sorted(set(message) - _MESSAGE_KEYS)
    if unknown:
        _schema(f"message: unrecognized key(s) {', '.join(unknown)}")
    fields = {"msg_id": None, "seq": None}
    if "msg_id" in message:
        if not is_identifier(message["msg_id"]):
            _schema("msg_id: not an allowed id")
        fields["msg_id"] = message["msg_id"]
    if "seq" in message:
        seq = _safe_integer(message["seq"])
        if seq is None or seq < 0:
            _schema("seq: must be a non-negative integer")
        fields["seq"] = seq
    ts = _safe_integer(message.get("ts"))
    if ts is None:
        _schema("ts: must be an integer (epoch milliseconds)")
    fields["ts"] = ts
    if not isinstance(readings, list) or not 1 <= len(readings) <= C.MAX_READINGS_PER_MESSAGE:
        _schema(f"readings: must be an array of 1 to {C.MAX_READINGS_PER_MESSAGE} readings")
    fields["readings"] = [_validate_reading(index, reading) for index, reading in enumerate(readings)]
    return fields


def _validate_reading(index, reading):
    if not isinstance(reading, dict):
        _schema(f"readings.{index}: must be an object")
    unknown = sorted(set(reading) - _READING_KEYS)
    if unknown:
        _schema(f"readings.{index}: unrecognized key(s) {', '.join(unknown)}")
    metric = reading.get("metric")
    if not isinstance(metric, str) or not 0 < len(metric) <= C.MAX_METRIC_NAME_LENGTH or _METRIC.fullmatch(metric) is None:
        _schema(f"readings.{index}.metric: must be a snake_case name of at most {C.MAX_METRIC_NAME_LENGTH} characters")
    value = reading.get("value")
    if not _is_number(value):
        _schema(f"readings.{index}.value: must be a number")
    unit = None
    if "unit" in reading:
        unit = reading["unit"]
        # zod's max() counts code points, as Python's len does (lone surrogates were rejected while parsing).
        if not isinstance(unit, str) or len(unit) > C.MAX_UNIT_LENGTH:
            _schema(f"readings.{index}.unit: must be a string of at most {C.MAX_UNIT_LENGTH} characters")
    return (metric, float(value), unit)


def _clip(value):
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
