-- lua-cmsgpack 0.4.0 (the `cmsgpack` module Redis 7.0 loads) for Lua 5.4: the same encodings
-- (a number is written as the smallest integer form when it is integral and fits 64 bits,
-- else as a 32-bit float when that is exact, else a double; an empty table or one whose keys
-- are exactly 1..n is an array; tables nested 16 deep are written as nil), the same stream
-- functions and error messages. Map keys are written in a canonical order (numbers ascending,
-- then strings in byte order, then booleans, then other keys by their encoded bytes) where
-- the C library follows the table's hash order. Decoding is bounded as Redis's Lua 5.1 stack
-- bounds it: at most 8,000 stack slots (results plus two per open container).
local type, select, tostring, tonumber, pairs, error =
  type, select, tostring, tonumber, pairs, error
local math_type, tointeger = math.type, math.tointeger
local string_byte, string_char, string_sub, string_pack, string_unpack, string_format =
  string.byte, string.char, string.sub, string.pack, string.unpack, string.format
local concat, sort, unpack = table.concat, table.sort, table.unpack

local MAX_NESTING = 16
local MAX_STACK = 8000 -- Lua 5.1's LUAI_MAXCSTACK, the limit Redis's decoder runs into

local bytewise_lt = ("B" < "a") and ("Z" < "a") and ("\127" < "\128") and not ("a" < "B")
local function string_lt(a, b)
  if bytewise_lt then return a < b end
  local la, lb = #a, #b
  for i = 1, (la < lb and la or lb) do
    local x, y = string_byte(a, i), string_byte(b, i)
    if x ~= y then return x < y end
  end
  return la < lb
end

local function argerror(name, arg, msg)
  error("bad argument #" .. arg .. " to '" .. name .. "' (" .. msg .. ")", 0)
end

local function numbertostring(n)
  if math_type(n) == "integer" then return tostring(n) end
  return string_format("%.14g", n)
end

-- A double as Redis would hold it, written as an integer when it is integral and fits.
local function asnumber(x)
  if math_type(x) == "integer" then
    if x >= -0x20000000000000 and x <= 0x20000000000000 then return x end
    x = x + 0.0
  end
  if x == 0 then return 1 / x < 0 and x or 0 end -- keeps -0.0, which has no integer form
  return tointeger(x) or x
end

-- ===== Encoding =====

local function encode_int(n)
  if n >= 0 then
    if n <= 127 then return string_char(n) end
    if n <= 0xFF then return string_char(0xCC, n) end
    if n <= 0xFFFF then return string_pack(">BI2", 0xCD, n) end
    if n <= 0xFFFFFFFF then return string_pack(">BI4", 0xCE, n) end
    return string_pack(">Bi8", 0xCF, n)
  end
  if n >= -32 then return string_char(n & 0xFF) end
  if n >= -128 then return string_pack(">Bi1", 0xD0, n) end
  if n >= -32768 then return string_pack(">Bi2", 0xD1, n) end
  if n >= -2147483648 then return string_pack(">Bi4", 0xD2, n) end
  return string_pack(">Bi8", 0xD3, n)
end

local function encode_number(n)
  if math_type(n) == "integer" then return encode_int(n) end
  local i = tointeger(n)
  if i then return encode_int(i) end
  if string_unpack(">f", string_pack(">f", n)) == n then return string_pack(">Bf", 0xCA, n) end
  return string_pack(">Bd", 0xCB, n)
end

local function encode_string(s)
  local len = #s
  if len < 32 then return string_char(0xA0 | len) .. s end
  if len <= 0xFF then return string_char(0xD9, len) .. s end
  if len <= 0xFFFF then return string_pack(">BI2", 0xDA, len) .. s end
  return string_pack(">BI4", 0xDB, len) .. s
end

local function container_header(n, fix, h16, h32)
  if n <= 15 then return string_char(fix | n) end
  if n <= 65535 then return string_pack(">BI2", h16, n) end
  return string_pack(">BI4", h32, n)
end

-- True when t's keys are exactly 1..n (n >= 0), as the C library decides for Lua 5.1 numbers
-- (a key must be a positive number equal to its 32-bit integer conversion).
local function is_array(t)
  local count, max = 0, 0
  for k in pairs(t) do
    if type(k) ~= "number" or k <= 0 or k > 2147483647 or k ~= k // 1 then return false end
    if k > max then max = k end
    count = count + 1
  end
  return max == count
end

local type_rank = { number = 1, string = 2, boolean = 3 }

local encode_value

local function encode_table(t, level)
  local out = {}
  if is_array(t) then
    local len = #t
    out[1] = container_header(len, 0x90, 0xDC, 0xDD)
    for j = 1, len do out[j + 1] = encode_value(t[j], level + 1) end
    return concat(out, "", 1, len + 1)
  end
  -- Common case: string (and number) keys only, sorted directly.
  local keys, count, simple, numbers = {}, 0, true, false
  for k in pairs(t) do
    local kt = type(k)
    if kt == "number" then numbers = true elseif kt ~= "string" then simple = false; break end
    count = count + 1
    keys[count] = k
  end
  if simple then
    if numbers or not bytewise_lt then
      sort(keys, function(a, b)
        local ta, tb = type(a), type(b)
        if ta ~= tb then return ta == "number" end
        if ta == "number" then return a < b end
        return string_lt(a, b)
      end)
    else
      sort(keys)
    end
    out[1] = container_header(count, 0x80, 0xDE, 0xDF)
    local n = 1
    for i = 1, count do
      local k = keys[i]
      out[n + 1] = encode_value(k, level + 1)
      out[n + 2] = encode_value(t[k], level + 1)
      n = n + 2
    end
    return concat(out, "", 1, n)
  end
  local entries
  entries, count = {}, 0
  for k, v in pairs(t) do
    count = count + 1
    local rank = type_rank[type(k)] or 4
    local ek = encode_value(k, level + 1)
    entries[count] = { rank = rank, key = k, bytes = ek .. encode_value(v, level + 1) }
  end
  sort(entries, function(a, b)
    if a.rank ~= b.rank then return a.rank < b.rank end
    if a.rank == 1 then return a.key < b.key end
    if a.rank == 2 then return string_lt(a.key, b.key) end
    if a.rank == 3 then return a.key == false and b.key == true end
    return string_lt(a.bytes, b.bytes)
  end)
  out[1] = container_header(count, 0x80, 0xDE, 0xDF)
  for i = 1, count do out[i + 1] = entries[i].bytes end
  return concat(out, "", 1, count + 1)
end

encode_value = function(v, level)
  local vt = type(v)
  if vt == "table" and level == MAX_NESTING then return "\xC0" end
  if vt == "string" then return encode_string(v) end
  if vt == "boolean" then return v and "\xC3" or "\xC2" end
  if vt == "number" then return encode_number(v) end
  if vt == "table" then return encode_table(v, level) end
  return "\xC0"
end

local cmsgpack = {}
cmsgpack._NAME = "cmsgpack"
cmsgpack._VERSION = "lua-cmsgpack 0.4.0"
cmsgpack._COPYRIGHT = "Copyright (C) 2012, Salvatore Sanfilippo"
cmsgpack._DESCRIPTION = "MessagePack C implementation for Lua"

function cmsgpack.pack(...)
  local nargs = select("#", ...)
  if nargs == 0 then argerror("pack", 0, "MessagePack pack needs input.") end
  local out = {}
  for i = 1, nargs do out[i] = encode_value((select(i, ...)), 0) end
  return concat(out, "", 1, nargs)
end

-- ===== Decoding =====
-- State: s = input, pos = 1-based next byte, used = Lua 5.1 stack slots Redis would hold.

local MISSING, BADFMT = "Missing bytes in input.", "Bad data format in input."

local function need(st, n)
  if st.pos + n - 1 > #st.s then error(MISSING, 0) end
end

local decode_value

local function push_check(st, msg)
  if st.used + 1 > MAX_STACK then error("stack overflow (" .. msg .. ")", 0) end
end

local function decode_array(st, len)
  local t = {}
  st.used = st.used + 1
  push_check(st, "in function mp_decode_to_lua_array")
  for index = 1, len do
    st.used = st.used + 1
    local v = decode_value(st)
    t[index] = v
    st.used = st.used - 2
  end
  return t
end

local function decode_map(st, len)
  local t = {}
  st.used = st.used + 1
  for _ = 1, len do
    local k = decode_value(st)
    local v = decode_value(st)
    if k == nil then error("table index is nil", 0) end
    if k ~= k then error("table index is NaN", 0) end
    t[k] = v
    st.used = st.used - 2
  end
  return t
end

local function decode_raw(st, header, len)
  need(st, header + len)
  local p = st.pos
  st.pos = p + header + len
  return string_sub(st.s, p + header, p + header + len - 1)
end

local function read(st, fmt, size)
  need(st, 1 + size)
  local v = string_unpack(fmt, st.s, st.pos + 1)
  st.pos = st.pos + 1 + size
  return v
end

local function scalar(st, v)
  st.used = st.used + 1
  return v
end

decode_value = function(st)
  need(st, 1)
  push_check(st, "too many return values at once; use unpack_one or unpack_limit instead.")
  local s, p = st.s, st.pos
  local c = string_byte(s, p)
  if c <= 0x7F then st.pos = p + 1; return scalar(st, c) end
  if c >= 0xE0 then st.pos = p + 1; return scalar(st, c - 256) end
  if c >= 0xA0 and c <= 0xBF then return scalar(st, decode_raw(st, 1, c & 0x1F)) end
  if c >= 0x90 and c <= 0x9F then st.pos = p + 1; return decode_array(st, c & 0x0F) end
  if c >= 0x80 and c <= 0x8F then st.pos = p + 1; return decode_map(st, c & 0x0F) end
  if c == 0xC0 then st.pos = p + 1; return scalar(st, nil) end
  if c == 0xC2 then st.pos = p + 1; return scalar(st, false) end
  if c == 0xC3 then st.pos = p + 1; return scalar(st, true) end
  if c == 0xCC then return scalar(st, read(st, ">I1", 1)) end
  if c == 0xCD then return scalar(st, read(st, ">I2", 2)) end
  if c == 0xCE then return scalar(st, read(st, ">I4", 4)) end
  if c == 0xCF then
    local v = read(st, ">i8", 8)
    if v < 0 then v = (v >> 32) * 4294967296.0 + (v & 0xFFFFFFFF) end
    return scalar(st, asnumber(v))
  end
  if c == 0xD0 then return scalar(st, read(st, ">i1", 1)) end
  if c == 0xD1 then return scalar(st, read(st, ">i2", 2)) end
  if c == 0xD2 then return scalar(st, read(st, ">i4", 4)) end
  if c == 0xD3 then return scalar(st, asnumber(read(st, ">i8", 8))) end
  if c == 0xCA then return scalar(st, asnumber(read(st, ">f", 4))) end
  if c == 0xCB then return scalar(st, asnumber(read(st, ">d", 8))) end
  if c == 0xD9 then need(st, 2); return scalar(st, decode_raw(st, 2, string_byte(s, p + 1))) end
  if c == 0xDA then local len = read(st, ">I2", 2); st.pos = p; return scalar(st, decode_raw(st, 3, len)) end
  if c == 0xDB then local len = read(st, ">I4", 4); return scalar(st, decode_raw(st, 0, len)) end
  if c == 0xDC then return decode_array(st, read(st, ">I2", 2)) end
  if c == 0xDD then return decode_array(st, read(st, ">I4", 4)) end
  if c == 0xDE then return decode_map(st, read(st, ">I2", 2)) end
  if c == 0xDF then return decode_map(st, read(st, ">I4", 4)) end
  error(BADFMT, 0)
end

local function checkinteger(name, arg, value, present)
  local n = value
  if type(n) ~= "number" then
    n = type(n) == "string" and tonumber(n) or nil
    if n == nil then argerror(name, arg, "number expected, got " .. (present and type(value) or "no value")) end
  end
  if math_type(n) == "float" then
    if n ~= n or n >= 2^63 or n < -2^63 then return math.mininteger end
    n = tointeger(n < 0 and math.ceil(n) or math.floor(n))
  end
  return n
end

-- Decodes up to limit values from s starting at 0-based offset; limit 0 with offset 0 decodes
-- them all and returns no offset, as the C library does.
local function unpack_full(name, s, limit, offset)
  if type(s) == "number" then s = numbertostring(s)
  elseif type(s) ~= "string" then argerror(name, 1, "string expected, got " .. type(s)) end
  local len = #s
  if offset < 0 or limit < 0 then
    error(string_format("Invalid request to unpack with offset of %d and limit of %d.", offset, len), 0)
  elseif offset > len then
    error(string_format("Start offset %d greater than input length %d.", offset, len), 0)
  end
  local decode_all = limit == 0 and offset == 0
  if decode_all then limit = 2147483647 end
  local st = { s = s, pos = offset + 1, used = 1 }
  local results, count = {}, 0
  while st.pos <= len and count < limit do
    count = count + 1
    results[count] = decode_value(st)
  end
  if decode_all then return unpack(results, 1, count) end
  local next_offset = st.pos > len and -1 or st.pos - 1
  return next_offset, unpack(results, 1, count)
end

function cmsgpack.unpack(...)
  if select("#", ...) == 0 then argerror("unpack", 1, "string expected, got no value") end
  return unpack_full("unpack", (...), 0, 0)
end

function cmsgpack.unpack_one(...)
  local nargs = select("#", ...)
  if nargs == 0 then argerror("unpack_one", 1, "string expected, got no value") end
  local s, offset = ...
  if offset == nil then offset = 0 else offset = checkinteger("unpack_one", 2, offset, true) end
  return unpack_full("unpack_one", s, 1, offset)
end

function cmsgpack.unpack_limit(...)
  local nargs = select("#", ...)
  if nargs == 0 then argerror("unpack_limit", 1, "string expected, got no value") end
  local s, limit, offset = ...
  limit = checkinteger("unpack_limit", 2, limit, nargs >= 2)
  if offset == nil then offset = 0 else offset = checkinteger("unpack_limit", 3, offset, true) end
  return unpack_full("unpack_limit", s, limit, offset)
end

return cmsgpack
