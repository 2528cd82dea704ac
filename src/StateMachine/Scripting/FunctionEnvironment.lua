-- Redis 7.0 functions on top of the script environment (ScriptEnvironment.lua): FUNCTION LOAD runs a library's code
-- with only the library API (redis.register_function, redis.log, the log levels and the version), FCALL calls a
-- registered function with its keys and arguments as parameters. As in Redis (function_lua.c), every library's code
-- shares one protected globals table whose lookups go to the library API while a library loads and to the script
-- globals while a function runs, so a function defined at load time sees the full API when it is called; assigning a
-- global is refused in both. Runs once per Lua state with the script environment's internals; returns the table the
-- engine drives it by.
local internals = ...
local env, protect, handler, hook, STEP = internals.env, internals.protect, internals.handler, internals.hook, internals.step
local error_table, reset, dbg = internals.error_table, internals.reset, internals.debug
local rawerror, rawtype, rawsetmetatable, rawxpcall, rawpcall, rawget_, rawtostring =
    internals.error, internals.type, internals.setmetatable, internals.xpcall, internals.pcall, internals.rawget, internals.tostring
local rawload, take_pending = internals.load, internals.take_pending

local function missing(_, name)
  rawerror("Script attempted to access nonexistent global variable '" .. rawtostring(name) .. "'", 2)
end

-- The registrations of the library being loaded, or nil outside FUNCTION LOAD.
local loading

local function raise(message)
  rawerror(error_table(message), 0)
end

local flag_names = { ['no-writes'] = 1, ['allow-oom'] = 2, ['allow-stale'] = 4, ['no-cluster'] = 8, ['allow-cross-slot-keys'] = 16 }

local function valid_name(name)
  return #name > 0 and not name:find('[^%w_]')
end

local function register(name, callback, flags, description)
  if not valid_name(name) then
    raise('Library names can only contain letters, numbers, or underscores(_) and must be at least one character long')
  end
  if loading.names[name] then
    raise('Function already exists in the library')
  end
  loading.names[name] = true
  loading[#loading + 1] = { name = name, callback = callback, flags = flags, description = description }
end

local function read_flags(t)
  local flags, i = 0, 1
  while true do
    local flag = rawget_(t, i)
    if flag == nil then
      return flags
    end
    local kind = rawtype(flag)
    local bit = (kind == 'string' or kind == 'number') and flag_names[string.lower(rawtostring(flag))] or nil
    if bit == nil then
      raise('unknown flag given')
    end
    if flags & bit == 0 then
      flags = flags + bit
    end
    i = i + 1
  end
end

local function register_named(args)
  if rawtype(args) ~= 'table' then
    raise('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).')
  end
  local name, callback, flags, description
  for key, value in pairs(args) do
    if rawtype(key) ~= 'string' and rawtype(key) ~= 'number' then
      raise('named argument key given to redis.register_function is not a string')
    end
    local lower = string.lower(rawtostring(key))
    if lower == 'function_name' then
      if rawtype(value) ~= 'string' and rawtype(value) ~= 'number' then
        raise('function_name argument given to redis.register_function must be a string')
      end
      name = rawtostring(value)
    elseif lower == 'description' then
      if rawtype(value) ~= 'string' and rawtype(value) ~= 'number' then
        raise('description argument given to redis.register_function must be a string')
      end
      description = rawtostring(value)
    elseif lower == 'callback' then
      if rawtype(value) ~= 'function' then
        raise('callback argument given to redis.register_function must be a function')
      end
      callback = value
    elseif lower == 'flags' then
      if rawtype(value) ~= 'table' then
        raise('flags argument to redis.register_function must be a table representing function flags')
      end
      flags = read_flags(value)
    else
      raise('unknown argument given to redis.register_function')
    end
  end
  if name == nil then
    raise('redis.register_function must get a function name argument')
  end
  if callback == nil then
    raise('redis.register_function must get a callback argument')
  end
  register(name, callback, flags or 0, description)
end

local function register_function(...)
  if loading == nil then
    raise('redis.register_function can only be called on FUNCTION LOAD command')
  end
  local count = select('#', ...)
  if count < 1 or count > 2 then
    raise('wrong number of arguments to redis.register_function')
  end
  if count == 1 then
    return register_named((...))
  end
  local name, callback = ...
  if rawtype(name) ~= 'string' and rawtype(name) ~= 'number' then
    raise('first argument to redis.register_function must be a string')
  end
  if rawtype(callback) ~= 'function' then
    raise('second argument to redis.register_function must be a function')
  end
  register(rawtostring(name), callback, 0, nil)
end

-- The library API: what a library's code sees while it loads (Redis's LIBRARY_API).
local scripts_redis = env.redis
local library_redis = {
  register_function = register_function,
  log = scripts_redis.log,
  LOG_DEBUG = scripts_redis.LOG_DEBUG,
  LOG_VERBOSE = scripts_redis.LOG_VERBOSE,
  LOG_NOTICE = scripts_redis.LOG_NOTICE,
  LOG_WARNING = scripts_redis.LOG_WARNING,
  REDIS_VERSION = scripts_redis.REDIS_VERSION,
  REDIS_VERSION_NUM = scripts_redis.REDIS_VERSION_NUM,
}
rawsetmetatable(library_redis, { __index = missing })
local library_api = { redis = protect(library_redis) }
rawsetmetatable(library_api, { __index = missing })

-- The globals every library's code shares: lookups go to the library API or to the script globals.
local globals_meta = { __index = library_api, __newindex = function() rawerror('Attempt to modify a readonly table', 2) end, __metatable = false }
local globals = rawsetmetatable({}, globals_meta)

local functions = {}

-- Lua 5.4 words a runtime error on a named value "attempt to call a nil value (field 'f')"; Redis's Lua 5.1 (and
-- scripts matching on it) "attempt to call field 'f' (a nil value)".
local function lua51_wording(message)
  return (string.gsub(message, "attempt to (%a+) a (%a+) value %((%a+) '([^']*)'%)", "attempt to %1 %3 '%4' (a %2 value)"))
end

-- Loads a library's code: true and its registrations (name, callback, flags, description), or false and the message
-- Redis gives. A spent budget shows as the timeout Redis reports for a slow load.
function functions.load(body)
  local chunk, message = rawload(body, '@user_function', 't', globals)
  if chunk == nil then
    return false, 'Error compiling function: ' .. rawtostring(message)
  end
  reset()
  loading = { names = {} }
  globals_meta.__index = library_api
  dbg.sethook(hook, '', STEP)
  local ok, err = rawpcall(chunk)
  dbg.sethook()
  globals_meta.__index = env
  local registered = loading
  loading = nil
  reset()
  if not ok then
    if rawtype(err) == 'table' and rawtype(rawget_(err, 'err')) == 'string' then
      err = rawget_(err, 'err')
    else
      err = 'ERR ' .. rawtostring(err)
    end
    return false, 'Error registering functions: ' .. err
  end
  registered.names = nil
  return true, registered
end

-- Calls a registered function with its keys and arguments under the budget hook: true and the result, or false and
-- the error table.
function functions.call(f, keys, argv)
  reset()
  globals_meta.__index = env
  dbg.sethook(hook, '', STEP)
  local ok, result = rawxpcall(f, handler, keys, argv)
  -- A redis.call error whose function returned before the hook could raise it (return redis.call(...)) is the call's.
  local pending = take_pending()
  if ok and pending ~= nil then
    ok, result = false, pending
  end
  dbg.sethook()
  reset()
  if not ok and rawtype(result) == 'table' and rawtype(rawget_(result, 'err')) == 'string' then
    result.err = lua51_wording(rawget_(result, 'err'))
  end
  return ok, result
end

return functions
