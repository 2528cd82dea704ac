-- Lua 5.1 globals that Redis 7.0's scripting environment exposes and Lua 5.4 lacks, defined
-- with 5.1's behaviour. Loaded before the libraries. `gcinfo` is left out on purpose: it
-- reports the allocator's state, which differs between replicas.
local math, string, table = math, string, table
local select, type, error, load, tostring, pairs = select, type, error, load, tostring, pairs

unpack = table.unpack

-- Lua 5.1's loadstring compiles source text only here: precompiled chunks are refused, as
-- Redis refuses them, and the chunk sees the same globals as the script.
function loadstring(source, chunkname)
  if type(source) ~= "string" and type(source) ~= "number" then
    error("bad argument #1 to 'loadstring' (string expected, got " .. type(source) .. ")", 0)
  end
  source = tostring(source)
  return load(source, chunkname or source, "t")
end

string.gfind = string.gmatch

function table.getn(...)
  local t = ...
  if type(t) ~= "table" then
    error("bad argument #1 to 'getn' (table expected, got " .. (select("#", ...) == 0 and "no value" or type(t)) .. ")", 0)
  end
  return #t
end

function table.setn()
  error("'setn' is obsolete", 0)
end

function table.maxn(t)
  if type(t) ~= "table" then
    error("bad argument #1 to 'maxn' (table expected, got " .. type(t) .. ")", 0)
  end
  local max = 0
  for k in pairs(t) do
    if type(k) == "number" and k > max then max = k end
  end
  return max
end

-- Calls f(k, v) for each pair until f returns a non-nil value. Lua 5.4's pairs order differs
-- between processes for string keys, so the keys are visited in a canonical order instead:
-- grouped by type name, numbers and strings ascending, false before true.
function table.foreach(t, f)
  if type(t) ~= "table" then
    error("bad argument #1 to 'foreach' (table expected, got " .. type(t) .. ")", 0)
  end
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "number" or ta == "string" then return a < b end
    if ta == "boolean" then return a == false and b == true end
    return false
  end)
  for i = 1, #keys do
    local r = f(keys[i], t[keys[i]])
    if r ~= nil then return r end
  end
end

function table.foreachi(t, f)
  if type(t) ~= "table" then
    error("bad argument #1 to 'foreachi' (table expected, got " .. type(t) .. ")", 0)
  end
  for i = 1, #t do
    local r = f(i, t[i])
    if r ~= nil then return r end
  end
end

math.mod = math.fmod
function math.pow(x, y) return x ^ y end
function math.ldexp(m, e) return m * 2.0 ^ e end
function math.frexp(x)
  if x == 0 or x ~= x or x == math.huge or x == -math.huge then return x, 0 end
  local e = 0
  local m = math.abs(x)
  while m >= 1.0 do m = m / 2.0; e = e + 1 end
  while m < 0.5 do m = m * 2.0; e = e - 1 end
  if x < 0 then m = -m end
  return m, e
end
function math.cosh(x) return (math.exp(x) + math.exp(-x)) / 2 end
function math.sinh(x) return (math.exp(x) - math.exp(-x)) / 2 end
function math.tanh(x)
  if x > 20 then return 1.0 elseif x < -20 then return -1.0 end
  local a, b = math.exp(x), math.exp(-x)
  return (a - b) / (a + b)
end
function math.log10(x) return math.log(x, 10) end
function math.atan2(y, x) return math.atan(y, x) end
