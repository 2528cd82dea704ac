-- LuaBitOp's `bit` module (the one Redis 7.0 loads) for Lua 5.4: 32-bit operations whose
-- results are signed 32-bit integers. An argument is reduced to 32 bits the way LuaBitOp
-- reduces a double (add 2^52+2^51 and keep the low word), so fractions round half to even
-- and large values wrap exactly as they do in Redis. Errors are worded as Lua 5.1 words them.
local math_type, tonumber, type, select = math.type, tonumber, type, select
local string_pack, string_unpack, string_rep = string.pack, string.unpack, string.rep

local function typeerror(arg, name, value, present)
  local got = present and type(value) or "no value"
  error("bad argument #" .. arg .. " to '" .. name .. "' (number expected, got " .. got .. ")", 0)
end

-- Returns the argument as an unsigned 32-bit value in 0 .. 2^32-1.
local function barg(name, arg, value, present)
  local n = value
  if type(n) ~= "number" then
    n = type(n) == "string" and tonumber(n) or nil
    if n == nil then typeerror(arg, name, value, present) end
  end
  if math_type(n) == "integer" and n >= -0x7FFFFFFFFFFFF and n <= 0x7FFFFFFFFFFFF then
    return n & 0xFFFFFFFF
  end
  local low = string_unpack("<I4", string_pack("<d", n + 6755399441055744.0))
  return low
end

-- Converts an unsigned 32-bit value to the signed result LuaBitOp returns.
local function bret(b)
  b = b & 0xFFFFFFFF
  if b >= 0x80000000 then return b - 0x100000000 end
  return b
end

local bit = {}

function bit.tobit(...) return bret(barg("tobit", 1, (...), select("#", ...) >= 1)) end
function bit.bnot(...) return bret(~barg("bnot", 1, (...), select("#", ...) >= 1)) end

local function fold(name, op)
  return function(...)
    local count = select("#", ...)
    local b = barg(name, 1, (...), count >= 1)
    for i = 2, count do
      b = op(b, barg(name, i, (select(i, ...)), true))
    end
    return bret(b)
  end
end
bit.band = fold("band", function(a, b) return a & b end)
bit.bor = fold("bor", function(a, b) return a | b end)
bit.bxor = fold("bxor", function(a, b) return a ~ b end)

local function shift(name, op)
  return function(...)
    local count = select("#", ...)
    local b = barg(name, 1, (...), count >= 1)
    local n = barg(name, 2, (select(2, ...)), count >= 2) & 31
    return bret(op(b, n))
  end
end
bit.lshift = shift("lshift", function(b, n) return b << n end)
bit.rshift = shift("rshift", function(b, n) return b >> n end)
bit.arshift = shift("arshift", function(b, n)
  if b >= 0x80000000 then b = b - 0x100000000 end
  return b // (1 << n)
end)
bit.rol = shift("rol", function(b, n) return (b << n) | (b >> (32 - n)) end)
bit.ror = shift("ror", function(b, n) return (b << (32 - n)) | (b >> n) end)

function bit.bswap(...)
  local b = barg("bswap", 1, (...), select("#", ...) >= 1)
  return bret(((b >> 24) & 0xFF) | ((b >> 8) & 0xFF00) | ((b & 0xFF00) << 8) | ((b & 0xFF) << 24))
end

local lower, upper = "0123456789abcdef", "0123456789ABCDEF"
function bit.tohex(...)
  local count = select("#", ...)
  local b = barg("tohex", 1, (...), count >= 1)
  local n = 8
  if count >= 2 then n = bret(barg("tohex", 2, (select(2, ...)), true)) end
  local digits = lower
  if n < 0 then n = -n; digits = upper end
  if n > 8 then n = 8 end
  local out = {}
  for i = n, 1, -1 do
    local d = (b & 15) + 1
    out[i] = digits:sub(d, d)
    b = b >> 4
  end
  return table.concat(out, "", 1, n)
end

return bit
