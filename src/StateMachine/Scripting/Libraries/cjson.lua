-- Lua CJSON 2.1.0 (the `cjson` module Redis 7.0 loads) for Lua 5.4: same configuration
-- functions, defaults, number formatting (%.14g), sparse-array rules, depth limits and error
-- messages. Differences a script can see, all for determinism or because Lua 5.4 has no
-- light userdata: objects are written with their keys sorted (numbers ascending, then strings
-- in byte order) where the C library follows the table's hash order; cjson.null is a unique
-- function value rather than a NULL light userdata; decoded numbers that are integral and fit
-- in 64 bits are Lua 5.4 integers (so tostring prints "3", as Lua 5.1 prints it).
local type, select, tostring, tonumber, pairs, error, setmetatable =
  type, select, tostring, tonumber, pairs, error, setmetatable
local math_type, tointeger, huge, floor = math.type, math.tointeger, math.huge, math.floor
local string_byte, string_char, string_find, string_sub, string_format, string_gsub, string_lower, string_match =
  string.byte, string.char, string.find, string.sub, string.format, string.gsub, string.lower, string.match
local concat, sort = table.concat, table.sort

-- String keys are ordered with `<` when it is plain byte order (the C locale, which the engine
-- runs under); otherwise with an explicit byte comparison, so the order never follows a locale.
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

local function key_lt(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta == "number" end
  if ta == "number" then return a < b end
  return string_lt(a, b)
end

local escapes = {}
for i = 0, 31 do escapes[string_char(i)] = string_format("\\u%04x", i) end
escapes["\b"], escapes["\t"], escapes["\n"], escapes["\f"], escapes["\r"] = "\\b", "\\t", "\\n", "\\f", "\\r"
escapes['"'], escapes["\\"], escapes["/"], escapes["\127"] = '\\"', "\\\\", "\\/", "\\u007f"

local unescapes = { [34] = '"', [92] = "\\", [47] = "/", [98] = "\b", [116] = "\t", [110] = "\n", [102] = "\f", [114] = "\r" }

local function argerror(name, arg, msg)
  error("bad argument #" .. arg .. " to '" .. name .. "' (" .. msg .. ")", 0)
end

local function numbertostring(n)
  if math_type(n) == "integer" then return tostring(n) end
  return string_format("%.14g", n)
end

-- A double as Redis would hold it, written as an integer when it is integral and fits.
local function asnumber(x)
  if x == 0 then return 1 / x < 0 and x or 0 end -- keeps -0.0, which has no integer form
  return tointeger(x) or x
end

local function utf8_bytes(cp)
  if cp <= 0x7F then return string_char(cp) end
  if cp <= 0x7FF then return string_char(0xC0 | (cp >> 6), 0x80 | (cp & 0x3F)) end
  if cp <= 0xFFFF then
    return string_char(0xE0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3F), 0x80 | (cp & 0x3F))
  end
  return string_char(0xF0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3F), 0x80 | ((cp >> 6) & 0x3F), 0x80 | (cp & 0x3F))
end

local function hex4(s, i)
  local h = string_match(s, "^%x%x%x%x", i)
  return h and tonumber(h, 16)
end

-- strtod's reading of s at position p: returns the number and the position after it, or nil
-- when no number starts there (hexadecimal, inf, infinity and nan included, as glibc reads them).
local function strtod(s, p)
  local sign = 1
  local c = string_byte(s, p)
  if c == 43 then p = p + 1 elseif c == 45 then sign = -1; p = p + 1 end
  local word = string_lower(string_sub(s, p, p + 7))
  if string_sub(word, 1, 3) == "inf" then
    if word == "infinity" then return sign * huge, p + 8 end
    return sign * huge, p + 3
  end
  if string_sub(word, 1, 3) == "nan" then
    local _, e = string_find(s, "^%([%w_]*%)", p + 3)
    return 0.0 / 0.0, (e or p + 2) + 1
  end
  if string_find(s, "^0[xX]", p) then
    local mantissa = string_match(s, "^%x*%.?%x*", p + 2)
    if string_find(mantissa, "%x") then
      local exponent = string_match(s, "^[pP][+-]?%d+", p + 2 + #mantissa) or ""
      local value
      if exponent == "" and not string_find(mantissa, ".", 1, true) then
        value = 0.0
        for i = 1, #mantissa do value = value * 16 + tonumber(string_sub(mantissa, i, i), 16) end
      else
        value = tonumber("0x" .. mantissa .. exponent)
      end
      return sign * value, p + 2 + #mantissa + #exponent
    end
    return sign * 0.0, p + 1
  end
  local mantissa = string_match(s, "^%d*%.?%d*", p)
  if not string_find(mantissa, "%d") then return nil end
  local exponent = string_match(s, "^[eE][+-]?%d+", p + #mantissa) or ""
  local value = tonumber(mantissa .. exponent) + 0.0
  return sign * value, p + #mantissa + #exponent
end

-- cjson's test for numbers strict JSON forbids (a leading '+', hexadecimal, leading zeros, inf, nan).
local function is_invalid_number(s, p)
  local c = string_byte(s, p)
  if c == 43 then return true end
  if c == 45 then p = p + 1; c = string_byte(s, p) end
  if c == 48 then
    local c2 = string_byte(s, p + 1)
    return c2 ~= nil and ((c2 | 0x20) == 120 or (c2 >= 48 and c2 <= 57))
  end
  if c == nil or c <= 57 then return false end
  local w = string_lower(string_sub(s, p, p + 2))
  return w == "inf" or w == "nan"
end

local T_OBJ_BEGIN, T_OBJ_END, T_ARR_BEGIN, T_ARR_END = "T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END"
local T_STRING, T_NUMBER, T_BOOLEAN, T_NULL = "T_STRING", "T_NUMBER", "T_BOOLEAN", "T_NULL"
local T_COLON, T_COMMA, T_END, T_ERROR = "T_COLON", "T_COMMA", "T_END", "T_ERROR"
local singles = { [123] = T_OBJ_BEGIN, [125] = T_OBJ_END, [91] = T_ARR_BEGIN, [93] = T_ARR_END, [44] = T_COMMA, [58] = T_COLON }
-- First characters cjson looks at further (literals and numbers); any other is an invalid token.
local unknown = { [102] = true, [105] = true, [73] = true, [110] = true, [78] = true, [116] = true, [43] = true }

local function new()
  local cjson = {}
  local null = function() end
  cjson.null = null
  cjson._NAME = "cjson"
  cjson._VERSION = "2.1.0"

  local cfg = {
    sparse_convert = false, sparse_ratio = 2, sparse_safe = 10,
    encode_max_depth = 1000, decode_max_depth = 1000,
    encode_invalid_numbers = 0, decode_invalid_numbers = true,
    keep_buffer = true, precision = 14, number_format = "%.14g", integer_limit = 100000000000000,
  }

  -- Configuration functions: an omitted or nil argument leaves the setting; each returns it.
  local function arg_init(name, count, ...)
    if select("#", ...) > count then argerror(name, count + 1, "found too many arguments") end
  end

  local function integer_option(name, value, key, min, max)
    if value ~= nil then
      local n = value
      if type(n) ~= "number" then
        n = type(n) == "string" and tonumber(n) or nil
        if n == nil then argerror(name, 1, "number expected, got " .. type(value)) end
      end
      if math_type(n) == "float" then
        if n ~= n or n >= 2^63 or n < -2^63 then n = math.mininteger else n = tointeger(n < 0 and math.ceil(n) or floor(n)) end
      end
      if not (min <= n and n <= max) then
        argerror(name, 1, "expected integer between " .. min .. " and " .. max)
      end
      cfg[key] = n
    end
    return cfg[key]
  end

  local function enum_option(name, arg, value, options)
    if type(value) == "boolean" then return value and 1 or 0 end
    if type(value) ~= "string" and type(value) ~= "number" then
      argerror(name, arg, "string expected, got " .. type(value))
    end
    local s = type(value) == "number" and numbertostring(value) or value
    for i = 1, #options do
      if options[i] == s then return i - 1 end
    end
    argerror(name, arg, "invalid option '" .. s .. "'")
  end

  local bool_options = { "off", "on" }
  local INT_MAX = 2147483647

  function cjson.encode_sparse_array(...)
    arg_init("encode_sparse_array", 3, ...)
    local convert, ratio, safe = ...
    if convert ~= nil then cfg.sparse_convert = enum_option("encode_sparse_array", 1, convert, bool_options) == 1 end
    return cfg.sparse_convert,
      integer_option("encode_sparse_array", ratio, "sparse_ratio", 0, INT_MAX),
      integer_option("encode_sparse_array", safe, "sparse_safe", 0, INT_MAX)
  end

  function cjson.encode_max_depth(...)
    arg_init("encode_max_depth", 1, ...)
    return integer_option("encode_max_depth", (...), "encode_max_depth", 1, INT_MAX)
  end

  function cjson.decode_max_depth(...)
    arg_init("decode_max_depth", 1, ...)
    return integer_option("decode_max_depth", (...), "decode_max_depth", 1, INT_MAX)
  end

  function cjson.encode_number_precision(...)
    arg_init("encode_number_precision", 1, ...)
    local p = integer_option("encode_number_precision", (...), "precision", 1, 14)
    cfg.number_format = "%." .. p .. "g"
    cfg.integer_limit = 10 ^ p // 1
    return p
  end

  function cjson.encode_keep_buffer(...)
    arg_init("encode_keep_buffer", 1, ...)
    local value = ...
    if value ~= nil then cfg.keep_buffer = enum_option("encode_keep_buffer", 1, value, bool_options) == 1 end
    return cfg.keep_buffer
  end

  local invalid_options = { "off", "on", "null" }
  function cjson.encode_invalid_numbers(...)
    arg_init("encode_invalid_numbers", 1, ...)
    local value = ...
    if value ~= nil then cfg.encode_invalid_numbers = enum_option("encode_invalid_numbers", 1, value, invalid_options) end
    local setting = cfg.encode_invalid_numbers
    if setting == 2 then return "null" end
    return setting == 1
  end

  function cjson.decode_invalid_numbers(...)
    arg_init("decode_invalid_numbers", 1, ...)
    local value = ...
    if value ~= nil then cfg.decode_invalid_numbers = enum_option("decode_invalid_numbers", 1, value, bool_options) == 1 end
    return cfg.decode_invalid_numbers
  end

  -- ===== Encoding =====

  local function encode_error(typename, reason)
    error("Cannot serialise " .. typename .. ": " .. reason, 0)
  end

  local function encode_number(n)
    if n ~= n then
      if cfg.encode_invalid_numbers == 0 then encode_error("number", "must not be NaN or Inf") end
      if cfg.encode_invalid_numbers == 1 then return "nan" end
      return "null"
    end
    if n == huge or n == -huge then
      if cfg.encode_invalid_numbers == 0 then encode_error("number", "must not be NaN or Inf") end
      if cfg.encode_invalid_numbers == 2 then return "null" end
    end
    -- %.<p>g writes an integer of at most p digits as the integer itself.
    if math_type(n) == "integer" and n < cfg.integer_limit and n > -cfg.integer_limit then return tostring(n) end
    return string_format(cfg.number_format, n)
  end

  local function encode_string(s)
    if not string_find(s, '[%c"\\/]') then return '"' .. s .. '"' end
    return '"' .. string_gsub(s, '[%c"\\/]', escapes) .. '"'
  end

  -- Returns the array length of t (>= 0) or -1 when t must be written as an object.
  local function array_length(t)
    local max, items = 0, 0
    for k in pairs(t) do
      if type(k) == "number" and k ~= 0 and k >= 1 and floor(k) == k then
        if k > max then max = k end
        items = items + 1
      else
        return -1
      end
    end
    if cfg.sparse_ratio > 0 and max > items * cfg.sparse_ratio and max > cfg.sparse_safe then
      if not cfg.sparse_convert then encode_error("table", "excessively sparse array") end
      return -1
    end
    return max
  end

  local encode_value

  local function encode_table(t, depth, out, n)
    depth = depth + 1
    if depth > cfg.encode_max_depth then
      error("Cannot serialise, excessive nesting (" .. depth .. ")", 0)
    end
    local len = array_length(t)
    if len > 0 then
      n = n + 1; out[n] = "["
      for i = 1, len do
        if i > 1 then n = n + 1; out[n] = "," end
        n = encode_value(t[i], depth, out, n)
      end
      n = n + 1; out[n] = "]"
      return n
    end
    -- With several unsupported key types the C library names the first pairs() meets; the order
    -- of pairs() differs between processes, so the type name first in byte order is named instead.
    local keys, count, badtype, numbers = {}, 0, nil, false
    for k in pairs(t) do
      local kt = type(k)
      if kt == "string" then
        count = count + 1
        keys[count] = k
      elseif kt == "number" then
        count = count + 1
        keys[count] = k
        numbers = true
      elseif badtype == nil or kt < badtype then
        badtype = kt
      end
    end
    if badtype then encode_error(badtype, "table key must be a number or string") end
    if numbers or not bytewise_lt then sort(keys, key_lt) else sort(keys) end
    n = n + 1; out[n] = "{"
    for i = 1, count do
      local k = keys[i]
      if i > 1 then n = n + 1; out[n] = "," end
      n = n + 1
      if type(k) == "number" then out[n] = '"' .. encode_number(k) .. '":'
      else out[n] = encode_string(k) .. ":" end
      n = encode_value(t[k], depth, out, n)
    end
    n = n + 1; out[n] = "}"
    return n
  end

  encode_value = function(v, depth, out, n)
    local vt = type(v)
    if vt == "string" then n = n + 1; out[n] = encode_string(v)
    elseif vt == "number" then n = n + 1; out[n] = encode_number(v)
    elseif vt == "boolean" then n = n + 1; out[n] = v and "true" or "false"
    elseif vt == "table" then n = encode_table(v, depth, out, n)
    elseif v == nil or v == null then n = n + 1; out[n] = "null"
    else encode_error(vt, "type not supported") end
    return n
  end

  function cjson.encode(...)
    if select("#", ...) ~= 1 then argerror("encode", 1, "expected 1 argument") end
    local out = {}
    local n = encode_value((...), 0, out, 0)
    return concat(out, "", 1, n)
  end

  -- ===== Decoding =====
  -- The parser state is {s = text, pos = 1-based next position, depth = nesting}. Tokens are
  -- returned as (type, value, index) with index 0-based, as the C parser counts them.

  local function string_token(st, start)
    local s = st.s
    local p = start + 1
    local q = string_find(s, '["\\]', p)
    if q and string_byte(s, q) == 34 then
      st.pos = q + 1
      return T_STRING, string_sub(s, p, q - 1), start - 1
    end
    local parts, np = {}, 0
    while true do
      local q = string_find(s, '["\\]', p)
      if q == nil then return T_ERROR, "unexpected end of string", #s end
      if q > p then np = np + 1; parts[np] = string_sub(s, p, q - 1) end
      if string_byte(s, q) == 34 then
        st.pos = q + 1
        return T_STRING, concat(parts, "", 1, np), start - 1
      end
      local e = string_byte(s, q + 1)
      if e == 117 then
        local cp, len = hex4(s, q + 2), 6
        if cp and (cp & 0xF800) == 0xD800 then
          local low = nil
          if cp & 0x400 == 0 and string_sub(s, q + 6, q + 7) == "\\u" then low = hex4(s, q + 8) end
          if low and (low & 0xFC00) == 0xDC00 then
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000
            len = 12
          else
            cp = nil
          end
        end
        if cp == nil then return T_ERROR, "invalid unicode escape code", q - 1 end
        np = np + 1; parts[np] = utf8_bytes(cp)
        p = q + len
      else
        local ch = e and unescapes[e]
        if ch == nil then return T_ERROR, "invalid escape code", q - 1 end
        np = np + 1; parts[np] = ch
        p = q + 2
      end
    end
  end

  local function number_token(st, p)
    local value, e = strtod(st.s, p)
    if value == nil then return T_ERROR, "invalid number", p - 1 end
    st.pos = e
    return T_NUMBER, asnumber(value), p - 1
  end

  local function next_token(st)
    local s = st.s
    local p = string_find(s, "[^ \t\n\r]", st.pos) or (#s + 1)
    st.pos = p
    local c = string_byte(s, p)
    if c == nil then return T_END, nil, p - 1 end
    local single = singles[c]
    if single then st.pos = p + 1; return single, nil, p - 1 end
    if c == 34 then return string_token(st, p) end
    if c == 45 or (c >= 48 and c <= 57) then
      if not cfg.decode_invalid_numbers and is_invalid_number(s, p) then return T_ERROR, "invalid number", p - 1 end
      return number_token(st, p)
    end
    if unknown[c] then
      if string_sub(s, p, p + 3) == "true" then st.pos = p + 4; return T_BOOLEAN, true, p - 1 end
      if string_sub(s, p, p + 4) == "false" then st.pos = p + 5; return T_BOOLEAN, false, p - 1 end
      if string_sub(s, p, p + 3) == "null" then st.pos = p + 4; return T_NULL, nil, p - 1 end
      if cfg.decode_invalid_numbers and is_invalid_number(s, p) then return number_token(st, p) end
    end
    return T_ERROR, "invalid token", p - 1
  end

  local function parse_error(expected, t, v, index)
    local found = t == T_ERROR and v or t
    error("Expected " .. expected .. " but found " .. found .. " at character " .. (index + 1), 0)
  end

  local function descend(st)
    st.depth = st.depth + 1
    if st.depth > cfg.decode_max_depth then
      error("Found too many nested data structures (" .. st.depth .. ") at character " .. (st.pos - 1), 0)
    end
  end

  local process_value

  local function parse_object(st)
    descend(st)
    local obj = {}
    local t, v, index = next_token(st)
    if t == T_OBJ_END then st.depth = st.depth - 1; return obj end
    while true do
      if t ~= T_STRING then parse_error("object key string", t, v, index) end
      local key = v
      t, v, index = next_token(st)
      if t ~= T_COLON then parse_error("colon", t, v, index) end
      t, v, index = next_token(st)
      obj[key] = process_value(st, t, v, index)
      t, v, index = next_token(st)
      if t == T_OBJ_END then st.depth = st.depth - 1; return obj end
      if t ~= T_COMMA then parse_error("comma or object end", t, v, index) end
      t, v, index = next_token(st)
    end
  end

  local function parse_array(st)
    descend(st)
    local arr = {}
    local t, v, index = next_token(st)
    if t == T_ARR_END then st.depth = st.depth - 1; return arr end
    local i = 1
    while true do
      arr[i] = process_value(st, t, v, index)
      t, v, index = next_token(st)
      if t == T_ARR_END then st.depth = st.depth - 1; return arr end
      if t ~= T_COMMA then parse_error("comma or array end", t, v, index) end
      t, v, index = next_token(st)
      i = i + 1
    end
  end

  process_value = function(st, t, v, index)
    if t == T_STRING or t == T_NUMBER or t == T_BOOLEAN then return v end
    if t == T_NULL then return null end
    if t == T_OBJ_BEGIN then return parse_object(st) end
    if t == T_ARR_BEGIN then return parse_array(st) end
    parse_error("value", t, v, index)
  end

  function cjson.decode(...)
    local count = select("#", ...)
    if count ~= 1 then argerror("decode", 1, "expected 1 argument") end
    local s = ...
    if type(s) == "number" then s = numbertostring(s)
    elseif type(s) ~= "string" then argerror("decode", 1, "string expected, got " .. type(s)) end
    if #s >= 2 and (string_byte(s, 1) == 0 or string_byte(s, 2) == 0) then
      error("JSON parser does not support UTF-16 or UTF-32", 0)
    end
    -- The C parser reads a NUL-terminated copy: it stops at the first NUL byte.
    local nul = string_find(s, "\0", 1, true)
    if nul then s = string_sub(s, 1, nul - 1) end
    local st = { s = s, pos = 1, depth = 0 }
    local value = process_value(st, next_token(st))
    local t, v, index = next_token(st)
    if t ~= T_END then parse_error("the end", t, v, index) end
    return value
  end

  cjson.new = new
  return cjson
end

return new()
