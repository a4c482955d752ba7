-- Seam frames in Wireshark: a 4-byte length prefix (little-endian by default), a JSON
-- header of that many bytes, and a body whose length a header field gives ("size",
-- "filesize", "data_size" or "len", at the header's top level).
--
-- Install: copy this file into Wireshark's personal Lua plugins folder (Help > About
-- Wireshark > Folders > Personal Lua Plugins; on Linux ~/.local/lib/wireshark/plugins/),
-- or load it for one run: tshark -X lua_script:seam.lua -r capture.pcap -Y seam
--
-- Seam traffic is recognised on any TCP port by a heuristic (a plausible header length
-- followed by "{"); "Decode As... > TCP port > SEAM" forces it on a port. A frame split
-- across segments is reassembled (dissect_tcp_pdus), so enable TCP's "Allow subdissector
-- to reassemble TCP streams" (the default).

local seam = Proto("seam", "Seam framing (length-prefixed JSON header and body)")

local f_header_len = ProtoField.uint32("seam.header_len", "Header length", base.DEC)
local f_header_json = ProtoField.string("seam.header_json", "Header JSON")
local f_body_len = ProtoField.uint64("seam.body_len", "Body length", base.DEC)
local f_body = ProtoField.bytes("seam.body", "Body")
seam.fields = { f_header_len, f_header_json, f_body_len, f_body }

seam.prefs.big_endian = Pref.bool("Big-endian length prefix", false,
  "Read the 4-byte header length as big-endian (network order)")
seam.prefs.max_header = Pref.uint("Largest header", 65536,
  "Header lengths above this are not Seam (and stop the heuristic)")
seam.prefs.size_fields = Pref.string("Size fields", "size,filesize,data_size,len",
  "Header fields (comma-separated, top level) that give the body length")

local PREFIX_LEN = 4

local function header_len(tvb, offset)
  local range = tvb(offset, PREFIX_LEN)
  if seam.prefs.big_endian then
    return range:uint()
  end
  return range:le_uint()
end

local function is_size_field(name)
  for field in string.gmatch(seam.prefs.size_fields, "[^,%s]+") do
    if field == name then
      return true
    end
  end
  return false
end

-- The body length a header's text declares: the first top-level size field holding a
-- non-negative integer; 0 when there is none. (Only the top level counts, as in Seam.)
local function body_len_of(text)
  local depth, i, n = 0, 1, #text
  while i <= n do
    local c = text:sub(i, i)
    if c == '"' then
      -- a string: skip it, honouring escapes; at depth 1 it may be a key
      local j = i + 1
      while j <= n do
        local d = text:sub(j, j)
        if d == "\\" then
          j = j + 2
        elseif d == '"' then
          break
        else
          j = j + 1
        end
      end
      local name = text:sub(i + 1, j - 1)
      i = j + 1
      if depth == 1 then
        local value = text:match("^%s*:%s*(%d+)%s*[,}]", i)
        if value and is_size_field(name) then
          return tonumber(value)
        end
      end
    else
      if c == "{" or c == "[" then
        depth = depth + 1
      elseif c == "}" or c == "]" then
        depth = depth - 1
      end
      i = i + 1
    end
  end
  return 0
end

-- dissect_tcp_pdus asks how long the frame at `offset` is; 0 means "one more segment,
-- please" (the header, which holds the body length, is not all here yet).
local function frame_len(tvb, pinfo, offset)
  local hlen = header_len(tvb, offset)
  if tvb:len() - offset < PREFIX_LEN + hlen then
    return 0
  end
  local text = tvb(offset + PREFIX_LEN, hlen):string(ENC_UTF_8)
  return PREFIX_LEN + hlen + body_len_of(text)
end

local function dissect_frame(tvb, pinfo, tree)
  local hlen = header_len(tvb, 0)
  local header = tvb(PREFIX_LEN, hlen)
  local text = header:string(ENC_UTF_8)
  local blen = body_len_of(text)
  pinfo.cols.protocol = "SEAM"
  local frame = tree:add(seam, tvb(), "Seam frame, header " .. hlen .. " bytes, body " .. blen .. " bytes")
  frame:add(f_header_len, tvb(0, PREFIX_LEN), hlen)
  frame:add(f_header_json, header, text)
  frame:add(f_body_len, header, UInt64(blen))
  if blen > 0 then
    frame:add(f_body, tvb(PREFIX_LEN + hlen, blen))
  end
  pinfo.cols.info:append(" " .. text)
  return tvb:len()
end

function seam.dissector(tvb, pinfo, tree)
  pinfo.cols.info:clear()
  dissect_tcp_pdus(tvb, tree, PREFIX_LEN, frame_len, dissect_frame)
  return tvb:len()
end

-- The heuristic: a header length from 2 to the limit, then "{" (optionally after
-- whitespace). Once it matches, the whole conversation is Seam.
local function heuristic(tvb, pinfo, tree)
  if tvb:len() < PREFIX_LEN + 1 then
    return false
  end
  local hlen = header_len(tvb, 0)
  if hlen < 2 or hlen > seam.prefs.max_header then
    return false
  end
  local first = tvb(PREFIX_LEN, 1):uint()
  if first ~= 0x7b then
    return false
  end
  pinfo.conversation = seam
  seam.dissector(tvb, pinfo, tree)
  return true
end

seam:register_heuristic("tcp", heuristic)
DissectorTable.get("tcp.port"):add_for_decode_as(seam)
