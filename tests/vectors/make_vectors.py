#!/usr/bin/env python3
"""Writes the shared test vectors in this directory (format: ../README.md).

Every stream is BUILT here from its parts -- struct.pack for the 4-byte prefix, the header
text, the body bytes -- and the expected events are written down from what was built: each
span is the position where a part was appended, never something found by parsing. Expected
errors are written by hand for each case, from the same construction positions.

Run it from anywhere with `python3 make_vectors.py`; it is deterministic, rewrites every
NNN_*.json file it generates, removes generated files that no case produces any more, and
leaves 001_echo_frame.json (written by hand) alone.
"""

import hashlib
import json
import pathlib
import re
import struct

HERE = pathlib.Path(__file__).resolve().parent
KEEP = {"001_echo_frame.json"}

DEFAULT_SIZE_FIELDS = ["size", "filesize", "data_size", "len"]
DEFAULT_MAX_HEADER_LEN = 64 * 1024
DEFAULT_MAX_BODY_LEN = 1 << 40


# --- building streams -------------------------------------------------------------------


def compact(header):
    """A header as serde_json (Seam) writes it: no spaces, UTF-8 text as it is."""
    return json.dumps(header, separators=(",", ":"), ensure_ascii=False)


def tutorial(header):
    """A header as the Python tutorials write it: json.dumps() with its defaults
    (", " and ": " separators, non-ASCII text as \\uXXXX escapes)."""
    return json.dumps(header)


class Stream:
    """A byte stream under construction, with the events a decoder must report for it."""

    def __init__(self, byte_order="little", size_fields=DEFAULT_SIZE_FIELDS):
        self.byte_order = byte_order
        self.size_fields = size_fields
        self.data = bytearray()
        self.groups = []  # hex of each appended part, shown space-separated
        self.events = []

    @property
    def pos(self):
        return len(self.data)

    def raw(self, data):
        """Appends bytes without any expected event."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        if data:
            self.data += data
            self.groups.append(data.hex())
        return self

    def prefix(self, header_len, order=None):
        """Appends a 4-byte length prefix (no event: for prefixes the decoder refuses)."""
        order = order or self.byte_order
        fmt = "<I" if order == "little" else ">I"
        return self.raw(struct.pack(fmt, header_len))

    def length(self, header_len):
        """Appends a prefix the decoder accepts, with its `length` event."""
        start = self.pos
        self.prefix(header_len)
        self.events.append(
            {"kind": "length", "start": start, "end": self.pos, "header_len": header_len}
        )
        return self

    def header(self, text, header, body_len):
        """Appends header text the decoder accepts, with its `header` event."""
        data = text.encode("utf-8") if isinstance(text, str) else text
        start = self.pos
        self.raw(data)
        self.events.append(
            {"kind": "header", "start": start, "end": self.pos, "header": header,
             "body_len": body_len}
        )
        return self

    def body(self, data):
        """Appends body bytes, with their (merged) `body` event."""
        start = self.pos
        self.raw(data)
        self.events.append({"kind": "body", "start": start, "end": self.pos, "len": len(data)})
        return self

    def frame(self, header, body=b"", text=None):
        """Appends a whole valid frame: prefix, header text, body.

        `header` is the object the decoder must report; `text` the header as sent (by
        default its compact JSON). The body length reported is len(body), the length built
        here; the header is checked to declare that same length, to catch typos in a case.
        """
        if text is None:
            text = compact(header)
        header_bytes = text.encode("utf-8")
        body = body.encode("utf-8") if isinstance(body, str) else body
        declared = [header[f] for f in self.size_fields if f in header]
        assert all(d == len(body) for d in declared), (header, len(body))
        assert declared or not body, header
        start = self.pos
        self.length(len(header_bytes))
        self.header(header_bytes, header, len(body))
        if body:
            self.body(body)
        self.events.append(
            {"kind": "end", "start": start, "end": self.pos, "body_len": len(body)}
        )
        return self

    def hex(self):
        return " ".join(self.groups)


def serde_position(text, index):
    """Line and column as serde_json reports them for an error at byte `index` of `text`:
    it counts the position just after that byte, lines from 1, columns in bytes from 0
    (so column 0 means "just after a newline")."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    after = min(index + 1, len(data))
    line_start = data.rfind(b"\n", 0, after) + 1
    return 1 + data.count(b"\n", 0, line_start), after - line_start


# --- expected errors --------------------------------------------------------------------


def header_length_zero(offset):
    return {"kind": "header_length_zero", "offset": offset}


def header_length_over_limit(offset, length, limit=DEFAULT_MAX_HEADER_LEN):
    return {"kind": "header_length_over_limit", "offset": offset, "len": length, "limit": limit}


def header_not_utf8(offset):
    return {"kind": "header_not_utf8", "offset": offset}


def header_not_json(header_start, text, index, reason):
    """`index`: the byte of the header text where serde_json gives up (for an early end of
    the text, its last byte); `reason`: serde_json's message without its position."""
    line, column = serde_position(text, index)
    return {
        "kind": "header_not_json",
        "offset": header_start + index,
        "message": f"{reason} at line {line} column {column}",
    }


def header_not_object(offset, found):
    return {"kind": "header_not_object", "offset": offset, "found": found}


def body_length(offset, reason):
    return {"kind": "body_length", "offset": offset, "reason": reason}


def invalid(field, value_text):
    return {"reason": "invalid", "field": field, "value": value_text}


def conflict(first, second):
    return {"reason": "conflict", "first": first, "second": second}


def over_limit(field, length, limit=DEFAULT_MAX_BODY_LEN):
    return {"reason": "over_limit", "field": field, "len": length, "limit": limit}


def truncated(offset, frame_offset, part, missing):
    return {
        "kind": "truncated",
        "offset": offset,
        "frame_offset": frame_offset,
        "part": part,
        "missing": missing,
    }


def datagram_trailing_bytes(offset, extra):
    return {"kind": "datagram_trailing_bytes", "offset": offset, "extra": extra}


# --- the cases ---------------------------------------------------------------------------

CASES = []


def case(name):
    def register(fn):
        CASES.append((name, fn))
        return fn

    return register


def vector(description, stream, error=None, framing=None, mode=None, events=None):
    out = {"description": description}
    if framing:
        out["framing"] = framing
    if mode:
        out["mode"] = mode
    out["stream"] = stream.hex()
    out["events"] = stream.events if events is None else events
    out["error"] = error
    return out


# Bodies used below.
HELLO_TXT = b"hello world\n"
HELLO_MD5 = hashlib.md5(HELLO_TXT).hexdigest()
LS_OUTPUT = b"Makefile\nREADME.md\nsrc\n"
BINARY = bytes(range(256))[::-1][:40]


# Header shapes of the tutorials.


@case("tutorial_action_put_filesize")
def _():
    s = Stream()
    s.frame({"action": "put", "filename": "a.txt", "filesize": len(HELLO_TXT)}, HELLO_TXT,
            text=tutorial({"action": "put", "filename": "a.txt", "filesize": len(HELLO_TXT)}))
    return vector("Tutorial upload: struct.pack('i') prefix, json.dumps header "
                  "{\"action\":\"put\",\"filename\",\"filesize\"} (Python's default spacing), "
                  "then the file's bytes.", s)


@case("tutorial_cmd_put_filesize")
def _():
    s = Stream()
    header = {"cmd": "put", "filename": "data.bin", "filesize": len(BINARY)}
    s.frame(header, BINARY, text=tutorial(header))
    return vector("FTP-style homework upload: header {\"cmd\":\"put\",\"filename\",\"filesize\"} "
                  "and a binary body.", s)


@case("tutorial_command_output_len")
def _():
    s = Stream()
    header = {"filename": "ls", "len": len(LS_OUTPUT)}
    s.frame(header, LS_OUTPUT, text=tutorial(header))
    return vector("Remote command runner reply: header {\"filename\",\"len\"} and the "
                  "command's output as body.", s)


@case("tutorial_data_size")
def _():
    s = Stream()
    out = b"PING 127.0.0.1: 56 data bytes\n"
    s.frame({"data_size": len(out)}, out, text=tutorial({"data_size": len(out)}))
    return vector("JSON-header fix of the UDP/TCP tutorial: header {\"data_size\"} only.", s)


@case("tutorial_movie_size_filename")
def _():
    s = Stream()
    movie = bytes((i * 7) % 256 for i in range(64))
    header = {"size": len(movie), "filename": "movie.mp4"}
    s.frame(header, movie, text=tutorial(header))
    return vector("English tutorial's movie upload: header {\"size\",\"filename\"}.", s)


@case("seam_upload_session")
def _():
    s = Stream()
    s.frame({"op": "hello", "client": "seam 0.1.0"})
    s.frame({"op": "put", "name": "a.txt", "size": len(HELLO_TXT), "offset": 0, "force": False},
            HELLO_TXT)
    s.frame({"op": "put_end", "md5": HELLO_MD5})
    return vector("Seam's own messages (compact JSON, \"op\" and \"size\"): hello, put with a "
                  "body, put_end with the MD5; the stream ends cleanly on a frame boundary.", s)


@case("tutorial_upload_conversation_ends_cleanly")
def _():
    s = Stream()
    for name, body in [("a.txt", HELLO_TXT), ("b.txt", b"second file"), ("c.txt", b"")]:
        header = {"action": "put", "filename": name, "filesize": len(body)}
        s.frame(header, body, text=tutorial(header))
    return vector("Three tutorial uploads back to back (the last one an empty file), ending "
                  "cleanly after the last frame: no error.", s)


# Body length rules.


@case("size_zero_means_no_body")
def _():
    s = Stream()
    s.frame({"op": "echo", "size": 0})
    s.frame({"op": "echo", "size": 2}, b"hi")
    return vector("\"size\": 0 means no body: the end event follows the header at once, and "
                  "the next frame starts right after.", s)


@case("absent_size_means_no_body")
def _():
    s = Stream()
    s.frame({"op": "list"})
    s.frame({"op": "welcome", "server": "seam"})
    return vector("Headers without any size field carry no body.", s)


@case("size_fields_agree")
def _():
    s = Stream()
    s.frame({"size": 3, "filesize": 3, "filename": "x"}, b"abc")
    s.frame({"len": 2, "data_size": 2, "size": 2}, b"de")
    return vector("Several accepted size fields that agree are fine.", s)


@case("custom_size_field_length_only")
def _():
    framing = {"size_fields": ["length"]}
    s = Stream(size_fields=["length"])
    s.frame({"length": 4, "size": 99}, b"four")
    s.frame({"size": 7, "filesize": 7})
    return vector("With size_fields [\"length\"], only \"length\" gives the body length: a "
                  "\"size\" (or \"filesize\") field is ordinary data and ignored.", s,
                  framing=framing)


@case("no_size_fields_means_no_bodies")
def _():
    framing = {"size_fields": []}
    s = Stream(size_fields=[])
    s.frame({"size": 5, "len": 5})
    s.frame({"size": "ignored"})
    return vector("With an empty size_fields list no frame has a body, and size fields are "
                  "not even validated.", s, framing=framing)


@case("nested_size_field_is_ignored")
def _():
    s = Stream()
    s.frame({"op": "file", "meta": {"size": 99, "len": 99}})
    s.frame({"op": "x", "list": [{"size": 5}]})
    return vector("Only top-level fields give the body length; a \"size\" inside a nested "
                  "object or array is ordinary data.", s)


@case("body_at_custom_limit_then_over")
def _():
    framing = {"max_body_len": 8}
    s = Stream()
    s.frame({"size": 8}, b"12345678")
    second = s.pos
    text = compact({"size": 9})
    s.length(len(text)).raw(text).raw(b"123456789")
    return vector("With max_body_len 8, a body of exactly 8 bytes passes; a header declaring "
                  "9 is refused at its own offset, before any of its body.", s,
                  error=body_length(second + 4, over_limit("size", 9, 8)), framing=framing)


@case("body_over_default_limit")
def _():
    s = Stream()
    text = compact({"op": "put", "size": 2**64 - 1})
    s.length(len(text)).raw(text)
    return vector("A size of 2^64-1 is a valid integer but over the default 1 TiB body limit.",
                  s, error=body_length(4, over_limit("size", 2**64 - 1)))


# Byte orders.


@case("big_endian_echo_frame")
def _():
    s = Stream(byte_order="big")
    s.frame({"op": "echo", "size": 5}, b"hello")
    return vector("The frame of 001_echo_frame with a big-endian prefix, read big-endian.", s,
                  framing={"byte_order": "big"})


@case("big_endian_stream_read_as_little")
def _():
    s = Stream()
    text = compact({"op": "echo", "size": 5})
    s.prefix(len(text), order="big").raw(text).raw(b"hello")
    swapped = struct.unpack("<I", struct.pack(">I", len(text)))[0]
    return vector(f"A big-endian prefix ({struct.pack('>I', len(text)).hex(' ')}) read "
                  f"little-endian declares a {swapped}-byte header: over the limit, at once, "
                  "without buffering it.", s,
                  error=header_length_over_limit(0, swapped))


@case("little_endian_stream_read_as_big")
def _():
    s = Stream(byte_order="big")
    text = compact({"op": "echo", "size": 5})
    s.prefix(len(text), order="little").raw(text).raw(b"hello")
    swapped = struct.unpack(">I", struct.pack("<I", len(text)))[0]
    return vector("A little-endian prefix read with byte_order big: over the header limit.", s,
                  error=header_length_over_limit(0, swapped), framing={"byte_order": "big"})


# Text in headers.


@case("utf8_chinese_filename")
def _():
    s = Stream()
    s.frame({"op": "put", "name": "文件.txt", "size": 6}, "文件".encode("utf-8"))
    s.frame({"filename": "报告", "len": 0})
    return vector("Raw UTF-8 Chinese text in headers (3 bytes per character): the standard "
                  "cuts split the characters across chunks.", s)


@case("utf8_emoji_in_header")
def _():
    s = Stream()
    s.frame({"op": "chat", "text": "hi 😀 — ok"})
    s.frame({"op": "chat_line", "from": "ü", "text": "😀😀"})
    return vector("A 4-byte UTF-8 emoji and 2-byte characters in headers, split by the cuts.", s)


@case("unicode_escapes_from_python_json_dumps")
def _():
    s = Stream()
    header = {"action": "put", "filename": "文件.txt", "filesize": 3}
    s.frame(header, b"abc", text=tutorial(header))
    header = {"op": "chat", "text": "😀"}
    s.frame(header, text=tutorial(header))
    return vector("Python's json.dumps escapes non-ASCII text: \\u6587\\u4ef6 decodes to "
                  "\"文件\", and the surrogate pair \\ud83d\\ude00 to one emoji.", s)


@case("escaped_size_key_still_counts")
def _():
    s = Stream()
    s.frame({"size": 3}, b"xyz", text='{"\\u0073ize":3}')
    return vector("A key written with a unicode escape (\"\\u0073ize\") is the key \"size\" and "
                  "gives the body length.", s)


@case("nested_objects_and_arrays")
def _():
    s = Stream()
    header = {"op": "exec", "argv": ["ls", "-l", "/srv"],
              "env": {"LANG": "C", "paths": [["a", "b"], []]},
              "opts": {"deep": {"deeper": {"flag": True, "n": None}}}, "size": 4}
    s.frame(header, b"data")
    return vector("A header with nested objects and arrays (and true/null inside them).", s)


@case("repeated_size_key_is_refused")
def _():
    s = Stream()
    s.frame({"op": "list"})
    at = s.pos + 4
    text = '{"op":"put","size":3,"size":100}'
    s.length(len(text)).raw(text + "abc")
    # The error comes where the parser stood when it saw the repeat: just after the value.
    end = at + text.index('"size":100') + len('"size":100')
    return vector("A header naming \"size\" twice is refused: a reader taking the first value "
                  "and one taking the last would disagree on where the body ends (request "
                  "smuggling). The offset is the byte just after the repeated key's value.", s,
                  error={"kind": "header_repeated_key", "offset": end, "key": "size"})


@case("repeated_key_inside_a_nested_object_is_allowed")
def _():
    s = Stream()
    s.frame({"op": "note", "meta": {"a": 2}}, text='{"op":"note","meta":{"a":1,"a":2}}')
    return vector("Only the header's own keys must be distinct; inside a nested object serde_json's "
                  "rule holds (the last value wins).", s)


@case("whitespace_and_newlines_in_header")
def _():
    s = Stream()
    header = {"op": "put", "name": "a.txt", "size": 2}
    s.frame(header, b"ok", text=json.dumps(header, indent=2) + "\n")
    s.frame({"op": "list"}, text='\t{ "op" :\r\n"list" }  \r\n')
    return vector("Pretty-printed headers with newlines, tabs, CRLF and trailing whitespace "
                  "are valid JSON objects.", s)


# Many frames, large bodies, empty streams.


@case("many_frames_in_one_stream")
def _():
    s = Stream()
    for i in range(24):
        body = bytes([65 + i % 26]) * (i % 5)
        if i % 3 == 0:
            s.frame({"op": "echo", "seq": i, "size": len(body)}, body)
        elif i % 3 == 1:
            header = {"filename": f"f{i}.txt", "len": len(body)}
            s.frame(header, body, text=tutorial(header))
        else:
            s.frame({"op": "chat", "seq": i, "text": "x" * i})
    return vector("24 frames of three shapes in one stream, with bodies of 0 to 4 bytes.", s)


@case("large_body_pieces_merged")
def _():
    s = Stream()
    body = bytes(i % 251 for i in range(1000))
    s.frame({"op": "put", "name": "big.bin", "size": len(body)}, body)
    s.frame({"op": "put_end", "md5": "0" * 32})
    return vector("A 1000-byte body: however the stream is cut, its pieces merge into one "
                  "body event.", s)


@case("empty_stream")
def _():
    return vector("An empty stream: no events and no error (it ends on a frame boundary).",
                  Stream())


# Errors in the length prefix.


@case("header_length_zero")
def _():
    s = Stream()
    s.prefix(0).raw("{}")
    return vector("A prefix of 0: a header must hold a JSON object, so it is refused.", s,
                  error=header_length_zero(0))


@case("header_length_zero_after_frames")
def _():
    s = Stream()
    s.frame({"op": "echo", "size": 1}, b"!")
    s.frame({"op": "list"})
    at = s.pos
    s.prefix(0)
    return vector("A zero prefix after two good frames is reported at its own offset.", s,
                  error=header_length_zero(at))


@case("header_length_hostile_ffffffff")
def _():
    s = Stream()
    s.raw(struct.pack("<i", -1)).raw('{"size":1}')
    return vector("Prefix FF FF FF FF (struct.pack('i', -1), or a hostile peer): 4294967295 "
                  "bytes are refused at once, nothing is buffered.", s,
                  error=header_length_over_limit(0, 0xFFFFFFFF))


@case("header_length_one_over_default_limit")
def _():
    s = Stream()
    s.frame({"op": "list"})
    at = s.pos
    s.prefix(DEFAULT_MAX_HEADER_LEN + 1).raw("{")
    return vector("A prefix of 65537, one over the default 64 KiB limit.", s,
                  error=header_length_over_limit(at, DEFAULT_MAX_HEADER_LEN + 1))


@case("header_length_custom_limit")
def _():
    framing = {"max_header_len": 16}
    s = Stream()
    exactly = '{"op":"abcdefg"}'
    assert len(exactly) == 16
    s.frame({"op": "abcdefg"}, text=exactly)
    at = s.pos
    s.prefix(17).raw('{"op":"abcdefgh"}')
    return vector("With max_header_len 16, a 16-byte header passes and a 17-byte one is "
                  "refused.", s, error=header_length_over_limit(at, 17, 16), framing=framing)


@case("tutorial_unframed_md5_reply_sticks")
def _():
    s = Stream()
    header = {"action": "put", "filename": "a.txt", "filesize": len(HELLO_TXT)}
    s.frame(header, HELLO_TXT, text=tutorial(header))
    at = s.pos
    md5 = HELLO_MD5
    s.raw(md5)
    as_prefix = struct.unpack("<I", md5[:4].encode())[0]
    return vector("The tutorial sends its MD5 hex unframed after the file: its first 4 "
                  "characters (\"6f59\") are read as a length prefix, far over the limit.", s,
                  error=header_length_over_limit(at, as_prefix))


# Errors in the header text.


@case("header_not_utf8_invalid_byte_in_middle")
def _():
    s = Stream()
    s.frame({"op": "list"})
    head = b'{"name":"ab'
    text = head + b"\xff" + b'cd"}'
    s.length(len(text))
    header_start = s.pos
    s.raw(text)
    return vector("Byte FF in the middle of a header: refused at that byte's offset.", s,
                  error=header_not_utf8(header_start + len(head)))


@case("header_not_utf8_gbk_text")
def _():
    s = Stream()
    head = b'{"filename":"'
    text = head + "文件".encode("gbk") + b'.txt","filesize":0}'
    s.length(len(text))
    s.raw(text)
    return vector("A header encoded in GBK (a Chinese Windows code page) instead of UTF-8: "
                  "CE C4 is not a UTF-8 sequence, refused at the CE byte.", s,
                  error=header_not_utf8(4 + len(head)))


@case("header_not_utf8_sequence_cut_at_end")
def _():
    s = Stream()
    whole = '{"a":"文"}'.encode("utf-8")
    cut_at = whole.index("文".encode("utf-8")) + 2
    text = whole[:cut_at]
    s.length(len(text))
    s.raw(text)
    return vector("A header whose last UTF-8 character lost its last byte: refused at the "
                  "start of the incomplete sequence.", s,
                  error=header_not_utf8(4 + cut_at - 2))


@case("header_not_utf8_encoded_surrogate")
def _():
    s = Stream()
    head = b'{"a":"'
    text = head + b"\xed\xa0\x80" + b'"}'
    s.length(len(text))
    s.raw(text)
    return vector("A UTF-16 surrogate encoded as 3 bytes (ED A0 80, CESU-8) is not UTF-8.", s,
                  error=header_not_utf8(4 + len(head)))


@case("header_not_json_trailing_garbage")
def _():
    s = Stream()
    good = '{"op":"list"}'
    text = good + "xyz"
    s.length(len(text))
    s.raw(text)
    return vector("A JSON object followed by garbage inside the same header.", s,
                  error=header_not_json(4, text, len(good), "trailing characters"))


@case("header_not_json_two_objects")
def _():
    s = Stream()
    s.frame({"op": "list"})
    first = '{"op":"a"}'
    text = first + '{"op":"b"}'
    s.length(len(text))
    start = s.pos
    s.raw(text)
    return vector("Two objects in one header (a sender that counted only the first): trailing "
                  "characters at the second.", s,
                  error=header_not_json(start, text, len(first), "trailing characters"))


@case("header_not_json_truncated")
def _():
    s = Stream()
    text = '{"action": "put", "filename": '
    s.length(len(text))
    s.raw(text)
    return vector("A header cut short inside the object (prefix counted too few bytes): the "
                  "offset is the header's last byte.", s,
                  error=header_not_json(4, text, len(text) - 1,
                                        "EOF while parsing a value"))


@case("header_not_json_whitespace_only")
def _():
    s = Stream()
    text = "   "
    s.length(len(text))
    s.raw(text)
    return vector("A header of only spaces: no JSON value at all.", s,
                  error=header_not_json(4, text, len(text) - 1, "EOF while parsing a value"))


@case("header_not_json_python_repr")
def _():
    s = Stream()
    text = str({"size": 5})
    s.length(len(text))
    s.raw(text)
    return vector("str(dict) instead of json.dumps: \"{'size': 5}\" has single quotes.", s,
                  error=header_not_json(4, text, 1, "key must be a string"))


@case("header_not_json_trailing_comma")
def _():
    s = Stream()
    body_part = '{"op":"list",'
    text = body_part + "}"
    s.length(len(text))
    s.raw(text)
    return vector("A trailing comma before the closing brace.", s,
                  error=header_not_json(4, text, len(body_part), "trailing comma"))


@case("header_not_json_missing_colon_on_line_2")
def _():
    s = Stream()
    line1 = "{\n"
    key = '  "op" '
    text = line1 + key + '"put",\n  "size": 0\n}'
    s.length(len(text))
    s.raw(text)
    error = header_not_json(4, text, len(line1) + len(key), "expected `:`")
    return vector("A multi-line header missing a colon on line 2: the error offset converts "
                  "serde_json's line and column (" + error["message"].split(" at ")[1] +
                  ") to a byte offset.", s, error=error)


@case("header_not_json_crlf_error_on_line_3")
def _():
    s = Stream()
    s.frame({"op": "list"})
    lines = '{\r\n"op": "put",\r\n"size": 1,,'
    text = lines + '\r\n}'
    s.length(len(text))
    start = s.pos
    s.raw(text)
    return vector("CRLF line ends (the CR counts in the column) and a doubled comma on line 3.",
                  s, error=header_not_json(start, text, len(lines) - 1,
                                           "key must be a string"))


@case("header_not_json_raw_newline_in_string")
def _():
    s = Stream()
    head = '{"text":"line one'
    text = head + '\nline two"}'
    s.length(len(text))
    s.raw(text)
    return vector("An unescaped newline inside a string is a control character: the offset is "
                  "the newline itself (serde_json reports it as line 2, column 0).", s,
                  error=header_not_json(4, text, len(head),
                                        "control character (\\u0000-\\u001F) found while "
                                        "parsing a string"))


@case("header_not_json_ends_after_newline")
def _():
    s = Stream()
    text = '{"op":"list"\n'
    s.length(len(text))
    s.raw(text)
    return vector("A header that ends with a newline before its closing brace: EOF reported "
                  "at line 2, column 0, i.e. the last byte (the newline).", s,
                  error=header_not_json(4, text, len(text) - 1,
                                        "EOF while parsing an object"))


@case("header_not_json_byte_order_mark")
def _():
    s = Stream()
    text = "\ufeff" + '{"op":"list"}'
    s.length(len(text.encode("utf-8")))
    s.raw(text)
    return vector("A UTF-8 byte order mark (EF BB BF) before the object is not JSON.", s,
                  error=header_not_json(4, text, 0, "expected value"))


@case("header_not_json_lone_surrogate_escape")
def _():
    s = Stream()
    head = '{"name":"\\ud800'
    text = head + '"}'
    s.length(len(text))
    s.raw(text)
    return vector("An escaped high surrogate (\\ud800) without its low half.", s,
                  error=header_not_json(4, text, len(head), "unexpected end of hex escape"))


@case("header_not_json_nesting_too_deep")
def _():
    s = Stream()
    head = '{"a":'
    text = head + "[" * 200 + "]" * 200 + "}"
    s.length(len(text))
    s.raw(text)
    # serde_json allows 127 nested levels; the object is level 1, so the 127th "[" is
    # level 128 and refused.
    return vector("A header nested 201 levels deep is refused at the 128th level "
                  "(serde_json's recursion limit), not parsed recursively.", s,
                  error=header_not_json(4, text, len(head) + 126, "recursion limit exceeded"))


@case("header_not_object_array")
def _():
    s = Stream()
    s.frame({"op": "list"})
    at = s.pos + 4
    text = '["put","a.txt",5]'
    s.length(len(text)).raw(text)
    return vector("A JSON array is not a header; the offset is the header's first byte.", s,
                  error=header_not_object(at, "array"))


@case("header_not_object_string")
def _():
    s = Stream()
    text = '"put a.txt"'
    s.length(len(text)).raw(text)
    return vector("A JSON string is not a header.", s, error=header_not_object(4, "string"))


@case("header_not_object_number")
def _():
    s = Stream()
    text = "200"
    s.length(len(text)).raw(text)
    return vector("The tutorial's bare status code 200 as a header: a JSON number, not an "
                  "object.", s, error=header_not_object(4, "number"))


@case("header_not_object_null")
def _():
    s = Stream()
    text = "null"
    s.length(len(text)).raw(text)
    return vector("json.dumps(None) is null: not an object.", s,
                  error=header_not_object(4, "null"))


@case("header_not_object_bool")
def _():
    s = Stream()
    text = " true "
    s.length(len(text)).raw(text)
    return vector("A JSON bool (with surrounding spaces) is not a header.", s,
                  error=header_not_object(4, "bool"))


# Errors in the body length field.


def bad_size(description, text, reason, before=()):
    s = Stream()
    for header, body in before:
        s.frame(header, body)
    at = s.pos + 4
    s.length(len(text.encode("utf-8"))).raw(text)
    return vector(description, s, error=body_length(at, reason))


@case("body_length_negative")
def _():
    return bad_size("A negative size: refused, no body is read.",
                    '{"op":"put","size":-1}', invalid("size", "-1"))


@case("body_length_float")
def _():
    return bad_size("A fractional size (1.5) is not a byte count.",
                    '{"filesize":1.5}', invalid("filesize", "1.5"))


@case("body_length_string")
def _():
    return bad_size("A size given as a string (\"10\") is refused, not converted; the value "
                    "is quoted in the error.", '{"filename":"a","len":"10"}',
                    invalid("len", '"10"'), before=[({"op": "list"}, b"")])


@case("body_length_null")
def _():
    return bad_size("\"size\": null is not the same as no size field.",
                    '{"size":null}', invalid("size", "null"))


@case("body_length_huge_float")
def _():
    return bad_size("1e30 is a float to JSON parsers: invalid (the value as serde_json "
                    "prints it).", '{"data_size":1e30}', invalid("data_size", "1e+30"))


@case("body_length_two_to_the_64")
def _():
    return bad_size("2^64 does not fit a u64: it parses as a float and is refused.",
                    '{"size":18446744073709551616}',
                    invalid("size", "1.8446744073709552e+19"))


@case("body_length_bool")
def _():
    return bad_size("\"size\": true is invalid.", '{"size":true}', invalid("size", "true"))


@case("body_length_invalid_second_field")
def _():
    return bad_size("Every accepted field must be valid, even when an earlier one is: \"len\" "
                    "is an array here.", '{"size":2,"len":[2]}', invalid("len", "[2]"))


@case("body_length_conflict")
def _():
    return bad_size("\"size\" and \"filesize\" disagree: refused. The names come in the order "
                    "of size_fields, not of the header.",
                    '{"filesize":6,"filename":"a","size":5}', conflict("size", "filesize"),
                    before=[({"op": "echo", "size": 2}, b"ok")])


# Truncated streams.


@case("truncated_in_length_prefix")
def _():
    s = Stream()
    s.raw(struct.pack("<I", 13)[:2])
    return vector("The stream ends after 2 of the 4 prefix bytes.", s,
                  error=truncated(2, 0, "length", 2))


@case("truncated_in_prefix_after_frames")
def _():
    s = Stream()
    s.frame({"op": "echo", "size": 3}, b"abc")
    s.frame({"op": "list"})
    at = s.pos
    s.raw(struct.pack("<I", 13)[:3])
    return vector("Two good frames, then 3 bytes of a third prefix.", s,
                  error=truncated(s.pos, at, "length", 1))


@case("truncated_in_header")
def _():
    s = Stream()
    text = '{"op":"put","name":"a.txt","size":5}'
    sent = 20
    s.length(len(text)).raw(text[:sent])
    return vector("The stream ends inside the header: the missing count is the rest of the "
                  "header.", s, error=truncated(4 + sent, 0, "header", len(text) - sent))


@case("truncated_in_body")
def _():
    s = Stream()
    s.frame({"op": "list"})
    at = s.pos
    declared = 100
    text = compact({"op": "put", "name": "a.txt", "size": declared})
    s.length(len(text))
    s.header(text, {"op": "put", "name": "a.txt", "size": declared}, declared)
    got = b"only 30 bytes of the body....."
    assert len(got) == 30
    s.body(got)
    return vector("The header declares 100 body bytes but the stream ends after 30: the body "
                  "bytes that came are reported, then the truncation.", s,
                  error=truncated(s.pos, at, "body", declared - len(got)))


@case("truncated_right_after_header")
def _():
    s = Stream()
    text = compact({"size": 4})
    s.length(len(text)).header(text, {"size": 4}, 4)
    return vector("The stream ends just after a header that declares a body.", s,
                  error=truncated(s.pos, 0, "body", 4))


# Datagrams.


@case("datagram_one_frame")
def _():
    s = Stream()
    s.frame({"op": "echo", "size": 5}, b"HELLO")
    return vector("A datagram holding exactly one frame (the tutorial's uppercase echo).", s,
                  mode="datagram")


@case("datagram_without_body")
def _():
    s = Stream()
    s.frame({"op": "chat", "text": "hi"})
    return vector("A datagram holding one frame without a body.", s, mode="datagram")


@case("datagram_trailing_bytes")
def _():
    s = Stream()
    s.frame({"op": "echo", "size": 2}, b"hi")
    end = s.pos
    extra = Stream()
    extra.frame({"op": "list"})
    s.raw(bytes(extra.data))
    return vector("Two frames in one datagram: the bytes after the first are an error (a "
                  "datagram reports only its error, no events).", s,
                  error=datagram_trailing_bytes(end, len(extra.data)), mode="datagram",
                  events=[])


@case("datagram_truncated_body")
def _():
    s = Stream()
    text = compact({"op": "echo", "size": 10})
    s.length(len(text)).raw(text).raw(b"hel")
    return vector("A datagram cut short (as recvfrom with a small buffer does): 7 body bytes "
                  "missing.", s, error=truncated(s.pos, 0, "body", 7), mode="datagram",
                  events=[])


@case("datagram_empty")
def _():
    return vector("An empty datagram holds no frame: truncated in the length prefix.",
                  Stream(), error=truncated(0, 0, "length", 4), mode="datagram", events=[])


@case("datagram_header_not_json")
def _():
    s = Stream()
    text = '{"op":"echo",'
    s.length(len(text)).raw(text)
    return vector("A datagram whose header is not JSON reports the header error.", s,
                  error=header_not_json(4, text, len(text) - 1, "EOF while parsing a value"),
                  mode="datagram", events=[])


# --- writing -----------------------------------------------------------------------------


def main():
    written = set()
    for number, (name, build) in enumerate(CASES, start=2):
        filename = f"{number:03d}_{name}.json"
        text = json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
        (HERE / filename).write_text(text, encoding="utf-8")
        written.add(filename)
    for path in sorted(HERE.glob("*.json")):
        if re.fullmatch(r"\d{3}_.+\.json", path.name) and path.name not in written | KEEP:
            path.unlink()
    print(f"wrote {len(written)} vectors")


if __name__ == "__main__":
    main()
