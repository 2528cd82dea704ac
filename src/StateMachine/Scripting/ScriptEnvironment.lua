-- RaftKV's script environment: Redis 7.0's (redis.*, KEYS/ARGV, protected globals, read-only library tables),
-- made deterministic so that every replica running a script at apply gets the same replies and writes:
--   * pairs/next iterate in a canonical key order (numbers numerically, then strings bytewise, then false, true),
--     never in hash order, which depends on a per-process string hash seed;
--   * math.random draws from a generator seeded from the log entry at every run (math.randomseed reseeds it);
--   * tostring of tables, functions and threads gives ids numbered in order of first use within the run, never
--     addresses; string.format refuses %p; collectgarbage('count') answers 0;
--   * metatables with __gc or __mode are refused (the collector's timing would become visible);
--   * load/loadstring accept text only and give loaded chunks the script's protected environment;
--   * an instruction budget, counted by a hook every STEP instructions, stops a script: once spent, every hook call
--     raises again (every instruction), so pcall cannot swallow it.
-- Runs once per Lua state, with the native functions as its argument; returns the table the engine drives it by.
-- The native functions never raise errors (a Lua error inside a .NET frame is fatal): they return a marker, and the
-- Lua wrappers here raise.
local native = ...
local G = _G
local dbg = debug
local rawpcall, rawxpcall, rawerror, rawtype, rawsetmetatable, rawgetmetatable =
    pcall, xpcall, error, type, setmetatable, getmetatable
local rawnext, rawget_, rawset_, rawload, rawtostring, rawselect, rawtonumber =
    next, rawget, rawset, load, tostring, select, tonumber
local tpack, tunpack = table.pack, table.unpack
local sformat, sfind, ssub, sgsub = string.format, string.find, string.sub, string.gsub
local cocreate, coresume = coroutine.create, coroutine.resume
local floor = math.floor
local rawcollect = collectgarbage

local STEP = native.step

-- What Redis 7.0 does not offer (or RaftKV cannot offer deterministically).
for _, name in ipairs({ 'io', 'os', 'package', 'require', 'dofile', 'loadfile', 'print', 'utf8', 'warn', 'debug' }) do
  G[name] = nil
end

local function readonly_error()
  rawerror('Attempt to modify a readonly table', 2)
end

-- Read-only tables are empty proxies over the real ones (Lua 5.4 has no read-only flag, Redis's Lua 5.1 has).
local proxied = {}
local function protect(t)
  local proxy = {}
  local meta = { __index = t, __newindex = readonly_error }
  local metaproxy = {}
  rawsetmetatable(metaproxy, { __index = meta, __newindex = readonly_error, __metatable = false })
  meta.__metatable = metaproxy
  rawsetmetatable(proxy, meta)
  proxied[proxy] = t
  proxied[metaproxy] = meta
  return proxy
end

-- Deterministic ids for tostring(), numbered in order of first use within one run.
local ids, next_id = {}, 0
local function identity(v)
  local id = ids[v]
  if id == nil then
    next_id = next_id + 1
    id = next_id
    ids[v] = id
  end
  return id
end

local function safe_tostring(v)
  local kind = rawtype(v)
  if kind == 'table' or kind == 'function' or kind == 'thread' or kind == 'userdata' then
    local meta = rawgetmetatable(v)
    if kind == 'table' and rawtype(meta) == 'table' and not proxied[v] and rawget_(meta, '__tostring') ~= nil then
      return rawtostring(v)
    end
    if kind == 'table' and rawtype(meta) == 'table' and rawtype(rawget_(meta, '__name')) == 'string' then
      kind = rawget_(meta, '__name')
    end
    return sformat('%s: 0x%08x', kind, identity(v))
  end
  return rawtostring(v)
end

-- Canonical iteration order: native.keys returns the table's keys sorted (numbers, strings bytewise, booleans),
-- or nil and a message when a key has no canonical order (a table, function, thread or userdata key).
local orders = {}
local function order_of(t)
  local keys, message = native.keys(t)
  if keys == nil then
    rawerror(message, 3)
  end
  local positions = {}
  for i = 1, #keys do
    positions[keys[i]] = i
  end
  local order = { keys = keys, positions = positions }
  orders[t] = order
  return order
end

local function sorted_next(t, key)
  if rawtype(t) ~= 'table' then
    rawerror("bad argument #1 to 'next' (table expected, got " .. (t == nil and 'no value' or rawtype(t)) .. ')', 2)
  end
  t = proxied[t] or t
  local order = orders[t]
  local i
  if key == nil or order == nil then
    order = key == nil and order_of(t) or order or order_of(t)
  end
  if key == nil then
    i = 0
  else
    i = order.positions[key]
    if i == nil then
      order = order_of(t)
      i = order.positions[key]
      if i == nil then
        rawerror("invalid key to 'next'", 2)
      end
    end
  end
  local keys = order.keys
  while true do
    i = i + 1
    local k = keys[i]
    if k == nil then
      return nil
    end
    local v = rawget_(t, k)
    if v ~= nil then
      return k, v
    end
  end
end

local function sorted_pairs(t)
  if rawtype(t) ~= 'table' then
    rawerror("bad argument #1 to 'for iterator' (table expected, got " .. (t == nil and 'nil' or rawtype(t)) .. ')', 2)
  end
  return sorted_next, t, nil
end

-- The generator behind math.random: native.random() gives a float in [0, 1) from the run's generator.
local function random(...)
  local count = rawselect('#', ...)
  local r = native.random()
  if count == 0 then
    return r
  end
  local m, n = ...
  if count == 1 then
    m = rawtonumber(m)
    if m == nil then rawerror("bad argument #1 to 'random' (number expected)", 2) end
    m = floor(m)
    if m < 1 then rawerror("bad argument #1 to 'random' (interval is empty)", 2) end
    return floor(r * m) + 1
  elseif count == 2 then
    m, n = rawtonumber(m), rawtonumber(n)
    if m == nil or n == nil then rawerror("bad argument to 'random' (number expected)", 2) end
    m, n = floor(m), floor(n)
    if m > n then rawerror("bad argument #2 to 'random' (interval is empty)", 2) end
    return floor(r * (n - m + 1)) + m
  end
  rawerror('wrong number of arguments', 2)
end

local function randomseed(seed)
  local n = rawtonumber(seed)
  if n == nil then
    rawerror("bad argument #1 to 'randomseed' (number expected, got " .. (seed == nil and 'no value' or rawtype(seed)) .. ')', 2)
  end
  native.randomseed(floor(n))
end

-- Budget: native.poll() counts STEP instructions and answers true once the budget (instructions or memory) is spent.
local hook
hook = function()
  local state = native.poll()
  if state == 3 then
    -- A redis.call failed: its error is raised here, at the next instruction of the script (see LuaEngine.Call). Not in
    -- this chunk's own frames: they are pcall, xpcall, coroutine.resume or the run itself, whose function returned
    -- before the error could be raised inside it; they take the error as that function's (take_pending).
    local running = dbg.getinfo(2, 'S')
    if running ~= nil and running.source == '=environment' then
      return
    end
    dbg.sethook(hook, '', STEP)
    rawerror(native.take_pending(), 0)
  end
  if state == 2 then
    -- Half way to the memory limit: collect now (the collector is otherwise stopped while a script runs), then poll
    -- again so that the engine sets the next threshold from what is left.
    rawcollect('collect')
    rawcollect('stop')
    state = native.poll()
  end
  if state == 1 then
    dbg.sethook(hook, '', 1)
    rawerror({ err = native.budget_error() }, 0)
  end
end

local function hooked(co)
  dbg.sethook(co, hook, '', STEP)
  return co
end

-- Redis's error table from a message: "-CODE msg" keeps CODE, anything else gets ERR (luaPushErrorBuff).
local function error_table(text)
  local code, message
  if ssub(text, 1, 1) == '-' then
    local space = sfind(text, ' ', 1, true)
    if space == nil then
      code, message = 'ERR', ssub(text, 2)
    else
      code, message = ssub(text, 2, space - 1), ssub(text, space + 1)
    end
  else
    code, message = 'ERR', text
  end
  message = sgsub(sgsub(message, '^[\r\n]+', ''), '[\r\n]+$', '')
  return { err = code .. ' ' .. message }
end

local function raise_native(message)
  rawerror(error_table(message), 0)
end

local redis = {}
redis.call = native.call
redis.pcall = native.pcall
redis.error_reply = function(...)
  local text = ...
  if rawselect('#', ...) ~= 1 or rawtype(text) ~= 'string' then
    return error_table('wrong number or type of arguments')
  end
  if ssub(text, 1, 1) ~= '-' then
    text = '-' .. text
  end
  return error_table(text)
end
redis.status_reply = function(...)
  local text = ...
  if rawselect('#', ...) ~= 1 or rawtype(text) ~= 'string' then
    return error_table('wrong number or type of arguments')
  end
  return { ok = text }
end
redis.sha1hex = function(...)
  if rawselect('#', ...) ~= 1 then
    raise_native('wrong number of arguments')
  end
  local text = ...
  if rawtype(text) == 'number' then
    text = rawtostring(text)
  end
  return native.sha1hex(text)
end
redis.log = function(...)
  local count = rawselect('#', ...)
  if count < 2 then
    raise_native('redis.log() requires two arguments or more.')
  end
  local level = rawtonumber((...))
  if level == nil then
    raise_native('First argument must be a number (log level).')
  end
  if level < 0 or level > 3 then
    raise_native('Invalid debug level.')
  end
end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.setresp = function(...)
  if rawselect('#', ...) ~= 1 then
    raise_native('redis.setresp() requires one argument.')
  end
  local version = rawtonumber((...))
  if version ~= 2 and version ~= 3 then
    raise_native('RESP version must be 2 or 3.')
  end
  native.setresp(floor(version))
end
redis.set_repl = function(...)
  if rawselect('#', ...) ~= 1 then
    raise_native('redis.set_repl() requires two arguments.')
  end
  local flags = rawtonumber((...)) or 0
  if flags < 0 or flags > 3 or floor(flags) ~= flags then
    raise_native('Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.')
  end
end
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.acl_check_cmd = function(...)
  -- Not a tail call: the error names the script's line.
  if rawselect('#', ...) == 0 then
    raise_native('Please specify at least one argument for this redis lib call')
  end
  local ok, value = native.check_command(...)
  if not ok then
    rawerror(value, 0)
  end
  return value
end
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION_NUM = native.version_num
redis.REDIS_VERSION = native.version

-- A redis.call error not raised yet when a protected function returns (it ended with return redis.call(...)) is
-- that function's error.
local function take_pending(result)
  local pending = native.take_pending()
  if pending ~= nil then
    dbg.sethook(hook, '', STEP)
    if result[1] then
      return { n = 2, false, pending }
    end
  end
  return result
end

-- Redis's pcall gives the message of a redis.call error table instead of the table (7.0 compatibility).
local function redis_pcall(f, ...)
  local result = take_pending(tpack(rawpcall(f, ...)))
  if not result[1] and rawtype(result[2]) == 'table' and rawtype(rawget_(result[2], 'err')) == 'string' then
    result[2] = rawget_(result[2], 'err')
  end
  return tunpack(result, 1, result.n)
end

local function redis_xpcall(f, message_handler, ...)
  local result = tpack(rawxpcall(f, message_handler, ...))
  local pending = native.take_pending()
  if pending ~= nil then
    dbg.sethook(hook, '', STEP)
  end
  if pending ~= nil and result[1] then
    return false, message_handler(pending)
  end
  return tunpack(result, 1, result.n)
end

local function resume(co, ...)
  local result = take_pending(tpack(coresume(co, ...)))
  return tunpack(result, 1, result.n)
end

local function checked_metatable(t, meta)
  if proxied[t] then
    rawerror('Attempt to modify a readonly table', 0)
  end
  if rawtype(meta) == 'table' and (rawget_(meta, '__gc') ~= nil or rawget_(meta, '__mode') ~= nil) then
    rawerror('metatables with __gc or __mode are not supported: their effects depend on the garbage collector', 2)
  end
  return rawsetmetatable(t, meta)
end

local function checked_rawset(t, k, v)
  if proxied[t] then
    rawerror('Attempt to modify a readonly table', 0)
  end
  return rawset_(t, k, v)
end

local function checked_rawget(t, k)
  local real = proxied[t]
  if real then
    return rawget_(real, k)
  end
  return rawget_(t, k)
end

local function checked_format(template, ...)
  if rawtype(template) == 'string' and sfind(template, '%%[-+ #0]*%d*%.?%d*p') then
    rawerror("invalid conversion '%p' to 'format'", 2)
  end
  local args = tpack(...)
  for i = 1, args.n do
    local kind = rawtype(args[i])
    if kind == 'table' or kind == 'function' or kind == 'thread' or kind == 'userdata' then
      args[i] = safe_tostring(args[i])
    end
  end
  return sformat(template, tunpack(args, 1, args.n))
end

-- A full collection is allowed (at a point every replica shares); the collector's counts and modes are not (its state
-- differs between processes).
local function collect(option)
  if option == nil or option == 'collect' or option == 'step' then
    rawcollect('collect')
    rawcollect('stop')
    native.collected()
    return 0
  elseif option == 'count' then
    return 0, 0
  elseif option == 'isrunning' then
    return true
  end
  return 0
end

local env_proxy
local function checked_load(chunk, name, _, ...)
  local env = env_proxy
  if rawselect('#', ...) > 0 then
    env = ...
  end
  if rawtype(chunk) == 'string' and ssub(chunk, 1, 1) == '\27' then
    return nil, 'attempt to load a binary chunk'
  end
  return rawload(chunk, name, 't', env)
end

local function loadstring(chunk, name)
  return checked_load(chunk, name or chunk)
end

-- The globals scripts see. Redis's Lua 5.1 names that 5.4 dropped are kept where they are trivial.
G.next = sorted_next
G.pairs = sorted_pairs
G.tostring = safe_tostring
G.pcall = redis_pcall
G.xpcall = redis_xpcall
G.setmetatable = checked_metatable
G.rawset = checked_rawset
G.rawget = checked_rawget
G.collectgarbage = collect
G.load = checked_load
G.loadstring = loadstring
G.unpack = tunpack
G.coroutine = {
  create = function(f) return hooked(cocreate(f)) end,
  wrap = function(f)
    local co = hooked(cocreate(f))
    return function(...)
      local result = take_pending(tpack(coresume(co, ...)))
      if not result[1] then
        rawerror(result[2], 0)
      end
      return tunpack(result, 2, result.n)
    end
  end,
  resume = resume,
  yield = coroutine.yield,
  status = coroutine.status,
  running = coroutine.running,
  isyieldable = coroutine.isyieldable,
  close = coroutine.close,
}
G.string.format = checked_format
G.math.random = random
G.math.randomseed = randomseed
G.redis = redis

-- Libraries provided as Lua sources (cjson, bit, struct, cmsgpack, compatibility shims): loaded here, before the
-- globals are protected, by the engine's one call site (native.libraries returns name, source pairs).
local libraries = native.libraries()
for i = 1, #libraries, 2 do
  local name, source = libraries[i], libraries[i + 1]
  local chunk, message = rawload(source, '=' .. name, 't', G)
  if chunk == nil then
    rawerror(message, 0)
  end
  local value = chunk()
  if value ~= nil then
    G[name] = value
  end
end

-- Protect: library tables become read-only proxies, the globals a read-only proxy whose missing names raise.
for _, name in ipairs({ 'string', 'table', 'math', 'redis', 'coroutine', 'cjson', 'bit', 'struct', 'cmsgpack' }) do
  if rawtype(G[name]) == 'table' then
    G[name] = protect(G[name])
  end
end
rawgetmetatable('').__index = G.string
rawgetmetatable('').__metatable = protect(rawgetmetatable(''))

env_proxy = protect(G)
G._G = env_proxy
rawsetmetatable(G, {
  __index = function(_, name)
    rawerror("Script attempted to access nonexistent global variable '" .. rawtostring(name) .. "'", 2)
  end,
})

-- The error handler: Redis's error table with the script's source and line where it was raised.
local function handler(err)
  local info
  local level = 2
  while true do
    local frame = dbg.getinfo(level, 'Sl')
    if frame == nil then
      break
    end
    if frame.source == '@user_script' or frame.source == '@user_function' then
      info = frame
      break
    end
    level = level + 1
  end
  if rawtype(err) ~= 'table' or proxied[err] then
    err = { err = 'ERR ' .. safe_tostring(err) }
  end
  if info and rawget_(err, 'line') == nil then
    rawset_(err, 'source', info.source)
    rawset_(err, 'line', info.currentline)
  end
  return err
end

local engine = {}

-- Compiles a script body in the protected environment: the function, or nil and Lua's message.
function engine.compile(body)
  return rawload(body, '@user_script', 't', env_proxy)
end

-- Runs a compiled script with its KEYS and ARGV under the budget hook: true and the result, or false and the
-- error table.
function engine.run(f, keys, argv)
  ids, next_id, orders = {}, 0, {}
  rawset_(G, 'KEYS', keys)
  rawset_(G, 'ARGV', argv)
  dbg.sethook(hook, '', STEP)
  local ok, result = rawxpcall(f, handler)
  local pending = native.take_pending()
  if ok and pending ~= nil then
    ok, result = false, pending
  end
  dbg.sethook()
  rawset_(G, 'KEYS', nil)
  rawset_(G, 'ARGV', nil)
  ids, orders = {}, {}
  return ok, result
end

-- What FUNCTION LOAD and FCALL build on (FunctionEnvironment.lua, loaded by LuaEngine.Functions.cs).
engine.internals = {
  env = env_proxy, protect = protect, handler = handler, hook = hook, step = STEP, error_table = error_table,
  reset = function() ids, next_id, orders = {}, 0, {} end, debug = dbg, error = rawerror, type = rawtype,
  setmetatable = rawsetmetatable, xpcall = rawxpcall, pcall = rawpcall, rawget = rawget_, tostring = rawtostring,
  load = rawload, take_pending = native.take_pending,
}

return engine
