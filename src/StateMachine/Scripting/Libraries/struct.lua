-- Roberto Ierusalimschy's `struct` library (the one Redis 7.0 loads) for Lua 5.4, with the
-- formats and layout of Redis's x86-64 build: native order little endian, short 2 bytes,
-- int 4, long and size_t 8, maximum alignment 8 ('!' without a size), integers up to 32
-- bytes of which the low 8 carry the value. Numbers are returned as Redis returns them (a
-- double), written as a Lua 5.4 integer whenever that double is integral and fits.
local math_type, tointeger, tonumber, tostring, type, select =
  math.type, math.tointeger, tonumber, tostring, type, select
local string_byte, string_char, string_find, string_sub, string_pack, string_unpack, string_format =
  string.byte, string.char, string.find, string.sub, string.pack, string.unpack, string.format
local concat = table.concat

local MAXINTSIZE, MAXALIGN = 32, 8
local LITTLE, BIG = 1, 0

local function argerror(name, arg, msg)
  error("bad argument #" .. arg .. " to '" .. name .. "' (" .. msg .. ")", 0)
end

local function typename(value, present)
  if not present then return "no value" end
  return type(value)
end

local function checknumber(name, arg, value, present)
  if type(value) == "number" then return value end
  local n = type(value) == "string" and tonumber(value) or nil
  if n == nil then argerror(name, arg, "number expected, got " .. typename(value, present)) end
  return n
end

-- A number converted to a string the way Lua 5.1 converts it (%.14g).
local function numbertostring(n)
  if math_type(n) == "integer" then return tostring(n) end
  return string_format("%.14g", n)
end

local function checkstring(name, arg, value, present)
  if type(value) == "string" then return value end
  if type(value) == "number" then return numbertostring(value) end
  argerror(name, arg, "string expected, got " .. typename(value, present))
end

-- A double as Redis would hold it, written as an integer when it is integral and fits.
local function asnumber(x)
  if math_type(x) == "integer" then x = x + 0.0 end
  if x == 0 then return 1 / x < 0 and x or 0 end -- keeps -0.0, which has no integer form
  return tointeger(x) or x
end

local function isdigit(c) return c ~= nil and c >= 48 and c <= 57 end

-- Reads a decimal size at fmt[i]; returns the size (or df when there is none) and the next index.
local function getnum(fmt, i, df)
  local c = string_byte(fmt, i)
  if not isdigit(c) then return df, i end
  local a = 0
  repeat
    if a > 214748364 or a * 10 > 2147483647 - (c - 48) then error("integral size overflow", 0) end
    a = a * 10 + (c - 48)
    i = i + 1
    c = string_byte(fmt, i)
  until not isdigit(c)
  return a, i
end

local fixed = { b = 1, B = 1, h = 2, H = 2, l = 8, L = 8, T = 8, f = 4, d = 8, x = 1 }

-- Size of option opt whose size digits (if any) start at i; returns size and next index.
local function optsize(opt, fmt, i)
  local size = fixed[opt]
  if size then return size, i end
  if opt == "c" then return getnum(fmt, i, 1) end
  if opt == "i" or opt == "I" then
    local sz
    sz, i = getnum(fmt, i, 4)
    if sz > MAXINTSIZE then
      error("integral size " .. sz .. " is larger than limit of " .. MAXINTSIZE, 0)
    end
    return sz, i
  end
  return 0, i
end

local function gettoalign(len, h, opt, size)
  if size == 0 or opt == "c" then return 0 end
  if size > h.align then size = h.align end
  return (size - (len & (size - 1))) & (size - 1)
end

-- Applies a control option; returns the next index.
local function controloptions(name, opt, fmt, i, h)
  if opt == " " then return i end
  if opt == ">" then h.endian = BIG; return i end
  if opt == "<" then h.endian = LITTLE; return i end
  if opt == "!" then
    local a
    a, i = getnum(fmt, i, MAXALIGN)
    if not (a > 0 and (a & (a - 1)) == 0) then error("alignment " .. a .. " is not a power of 2", 0) end
    h.align = a
    return i
  end
  argerror(name, 1, "invalid format option '" .. opt .. "'")
end

-- The C library's (unsigned long) conversion of a double, as two's complement in a Lua integer.
local function touint64(n)
  if math_type(n) == "integer" then return n end
  if n ~= n then return math.mininteger end
  local t
  if n < 0 then t = math.ceil(n) else t = math.floor(n) end
  if math_type(t) == "integer" then return t end
  if n > 0 and n < 18446744073709551616.0 then return tointeger(t - 18446744073709551616.0) end
  return math.mininteger
end

local function integerbytes(value, size, endian)
  local bytes = {}
  if endian == LITTLE then
    for i = 1, size do bytes[i] = value & 0xFF; value = value >> 8 end
  else
    for i = size, 1, -1 do bytes[i] = value & 0xFF; value = value >> 8 end
  end
  return string_char(table.unpack(bytes, 1, size))
end

local struct = {}

function struct.pack(...)
  local nargs = select("#", ...)
  local args = { ... }
  local fmt = checkstring("pack", 1, args[1], nargs >= 1)
  local h = { endian = LITTLE, align = 1 }
  local arg = 2
  local out, total = {}, 0
  local i, n = 1, #fmt
  while i <= n do
    local opt = string_sub(fmt, i, i)
    i = i + 1
    local size
    size, i = optsize(opt, fmt, i)
    local toalign = gettoalign(total, h, opt, size)
    total = total + toalign
    if toalign > 0 then out[#out + 1] = string.rep("\0", toalign) end
    if opt == "b" or opt == "B" or opt == "h" or opt == "H" or opt == "l" or opt == "L"
        or opt == "T" or opt == "i" or opt == "I" then
      local v = checknumber("pack", arg, args[arg], nargs >= arg)
      arg = arg + 1
      out[#out + 1] = integerbytes(touint64(v), size, h.endian)
    elseif opt == "x" then
      out[#out + 1] = "\0"
    elseif opt == "f" or opt == "d" then
      local v = checknumber("pack", arg, args[arg], nargs >= arg)
      arg = arg + 1
      out[#out + 1] = string_pack((h.endian == LITTLE and "<" or ">") .. opt, v + 0.0)
    elseif opt == "c" or opt == "s" then
      local s = checkstring("pack", arg, args[arg], nargs >= arg)
      arg = arg + 1
      if size == 0 then size = #s end
      -- The C library checks after moving to the next argument, so it names that one.
      if #s < size then argerror("pack", arg, "string too short") end
      out[#out + 1] = string_sub(s, 1, size)
      if opt == "s" then
        out[#out + 1] = "\0"
        size = size + 1
      end
    else
      i = controloptions("pack", opt, fmt, i, h)
    end
    total = total + size
  end
  return concat(out)
end

local function getinteger(data, pos, endian, issigned, size)
  local l = 0
  if endian == BIG then
    for k = 0, size - 1 do l = (l << 8) | string_byte(data, pos + k) end
  else
    for k = size - 1, 0, -1 do l = (l << 8) | string_byte(data, pos + k) end
  end
  if not issigned then
    if l >= 0 then return asnumber(l) end
    return (l >> 32) * 4294967296.0 + (l & 0xFFFFFFFF)
  end
  local mask = ~0 << ((size * 8 - 1) % 64)
  if l & mask ~= 0 then l = l | mask end
  return asnumber(l)
end

function struct.unpack(...)
  local nargs = select("#", ...)
  local fmt = checkstring("unpack", 1, (...), nargs >= 1)
  local data = checkstring("unpack", 2, (select(2, ...)), nargs >= 2)
  local pos = 1
  if nargs >= 3 and select(3, ...) ~= nil then
    local p = checknumber("unpack", 3, (select(3, ...)), true)
    if math_type(p) ~= "integer" then
      p = tointeger(p)
      if p == nil then argerror("unpack", 3, "number has no integer representation") end
    end
    pos = p
  end
  if pos == 0 then argerror("unpack", 3, "offset must be 1 or greater") end
  local ld = #data
  local h = { endian = LITTLE, align = 1 }
  pos = pos - 1 -- 0-based from here on, as the C library counts
  local results, n = {}, 0
  local i, fl = 1, #fmt
  while i <= fl do
    local opt = string_sub(fmt, i, i)
    i = i + 1
    local size
    size, i = optsize(opt, fmt, i)
    pos = pos + gettoalign(pos, h, opt, size)
    if not (size <= ld and pos >= 0 and pos <= ld - size) then argerror("unpack", 2, "data string too short") end
    if opt == "b" or opt == "B" or opt == "h" or opt == "H" or opt == "l" or opt == "L"
        or opt == "T" or opt == "i" or opt == "I" then
      n = n + 1
      results[n] = getinteger(data, pos + 1, h.endian, opt == string.lower(opt), size)
    elseif opt == "x" then
      -- padding byte: nothing to return
    elseif opt == "f" or opt == "d" then
      n = n + 1
      results[n] = asnumber(string_unpack((h.endian == LITTLE and "<" or ">") .. opt, data, pos + 1))
    elseif opt == "c" then
      if size == 0 then
        local prev = results[n]
        if n == 0 or (type(prev) ~= "number" and not (type(prev) == "string" and tonumber(prev))) then
          error("format 'c0' needs a previous size", 0)
        end
        size = touint64(tonumber(prev))
        results[n] = nil
        n = n - 1
        if not (size >= 0 and size <= ld and pos <= ld - size) then argerror("unpack", 2, "data string too short") end
      end
      n = n + 1
      results[n] = string_sub(data, pos + 1, pos + size)
    elseif opt == "s" then
      local e = string_find(data, "\0", pos + 1, true)
      if e == nil then error("unfinished string in data", 0) end
      size = e - pos
      n = n + 1
      results[n] = string_sub(data, pos + 1, e - 1)
    else
      i = controloptions("unpack", opt, fmt, i, h)
    end
    pos = pos + size
  end
  n = n + 1
  results[n] = pos + 1
  return table.unpack(results, 1, n)
end

function struct.size(...)
  local fmt = checkstring("size", 1, (...), select("#", ...) >= 1)
  local h = { endian = LITTLE, align = 1 }
  local pos = 0
  local i, n = 1, #fmt
  while i <= n do
    local opt = string_sub(fmt, i, i)
    i = i + 1
    local size
    size, i = optsize(opt, fmt, i)
    pos = pos + gettoalign(pos, h, opt, size)
    if opt == "s" then
      argerror("size", 1, "option 's' has no fixed size")
    elseif opt == "c" and size == 0 then
      argerror("size", 1, "option 'c0' has no fixed size")
    end
    if not string_find(opt, "^%w$") then i = controloptions("size", opt, fmt, i, h) end
    pos = pos + size
  end
  return pos
end

return struct
