using System.Text;
using KeraLua;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;

namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// Redis 7.0's conversions between command replies and Lua values (script_lua.c's rules), for the RESP version the
/// script chose with redis.setresp (2 by default). Reply to Lua: integer -> integer, bulk -> string, null -> false
/// (RESP2) or nil (RESP3), status -> {ok=...}, error -> {err=...}, array -> array; under RESP3 map -> {map={...}},
/// set -> {set={member=true}}, double -> {double=n}, boolean -> boolean, big number -> {big_number=s}, verbatim ->
/// {verbatim_string={format=, string=}}; under RESP2 those take their RESP2 forms. Lua to reply: string -> bulk,
/// number -> integer (truncated), boolean -> 1 or null (RESP2) or a boolean (RESP3), table -> {err}, {ok}, {double},
/// {big_number}, {verbatim_string}, {map}, {set} or an array up to its first nil, anything else -> null. Map and set
/// replies come in canonical key order (<see cref="CanonicalKeys"/>), never Lua's hash order.
/// Only non-raising Lua API calls (raw access, lua_next from nil, pushes while memory cannot be refused).
/// </summary>
internal static class LuaReplies
{
    /// <summary>Nesting deeper than this is answered "reached lua stack limit", as Redis runs out of Lua stack.</summary>
    public const int MaxDepth = 200;

    /// <summary>
    /// The field of an error table whose error errorstats already counted where a command answered it (Redis's name); a
    /// reply made of such a table is <see cref="ErrorReply.AlreadyCounted"/>.
    /// </summary>
    public const string CountedField = "ignore_error_stats_update";

    // Whether the table at index carries CountedField = true (any true value, as Redis's lua_toboolean).
    private static bool IsCounted(Lua lua, int table)
    {
        RawField(lua, table, CountedField);
        var counted = lua.ToBoolean(-1);
        lua.Pop(1);
        return counted;
    }

    /// <summary>A number as redis.call passes it: an integer in decimal, a float as <c>%.17g</c>.</summary>
    public static byte[] FormatNumber(Lua lua, int index) =>
        Encoding.ASCII.GetBytes(lua.IsInteger(index)
            ? lua.ToInteger(index).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : FormatG17(lua.ToNumber(index)));

    private static string FormatG17(double value)
    {
        if (double.IsNaN(value))
        {
            return double.IsNegative(value) ? "-nan" : "nan";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }

        var text = value.ToString("G17", System.Globalization.CultureInfo.InvariantCulture);
        var e = text.IndexOf('E', StringComparison.Ordinal);
        if (e < 0)
        {
            return text;
        }

        // C writes at least two exponent digits, lowercase: 1e+20, 1e-05.
        var mantissa = text[..e];
        var sign = text[e + 1];
        var digits = text[(e + 2)..].TrimStart('0');
        return mantissa + "e" + sign + digits.PadLeft(2, '0');
    }

    /// <summary>Pushes <paramref name="reply"/> as the Lua value redis.call returns (the caller checked the stack).</summary>
    public static void Push(Lua lua, Reply reply, int resp, int depth = 0)
    {
        if (depth > MaxDepth)
        {
            lua.PushNil();
            return;
        }

        switch (reply)
        {
            case IntegerReply integer:
                lua.PushInteger(integer.Value);
                break;
            case BulkReply bulk:
                lua.PushBuffer(bulk.Value);
                break;
            case SimpleStringReply simple:
                PushField(lua, "ok", Encoding.UTF8.GetBytes(simple.Value));
                break;
            case ErrorReply error:
                PushField(lua, "err", Encoding.UTF8.GetBytes(error.Message));
                break;
            case NullReply:
                if (resp == 2)
                {
                    lua.PushBoolean(false);
                }
                else
                {
                    lua.PushNil();
                }

                break;
            case ArrayReply array:
                PushArray(lua, array.Items, resp, depth);
                break;
            case PushReply push:
                PushArray(lua, push.Items, resp, depth);
                break;
            case SetReply set when resp == 2:
                PushArray(lua, set.Items, resp, depth);
                break;
            case SetReply set:
                lua.CreateTable(0, 1);
                lua.PushString("set");
                lua.CreateTable(0, set.Items.Count);
                foreach (var item in set.Items)
                {
                    Push(lua, item, resp, depth + 1);
                    lua.PushBoolean(true);
                    RawSetChecked(lua);
                }

                lua.RawSet(-3);
                break;
            case MapReply map when resp == 2:
                PushPairs(lua, map.Entries, map.PairsInResp2, resp, depth);
                break;
            case MapReply map:
                lua.CreateTable(0, 1);
                lua.PushString("map");
                lua.CreateTable(0, map.Entries.Count);
                foreach (var (key, value) in map.Entries)
                {
                    Push(lua, key, resp, depth + 1);
                    Push(lua, value, resp, depth + 1);
                    RawSetChecked(lua);
                }

                lua.RawSet(-3);
                break;
            case PairsReply pairs:
                PushPairs(lua, pairs.Pairs, resp == 3, resp, depth);
                break;
            case DoubleReply number when resp == 2:
                lua.PushString(number.Text ?? RedisNumber.FormatDouble(number.Value));
                break;
            case DoubleReply number:
                lua.CreateTable(0, 1);
                lua.PushString("double");
                lua.PushNumber(number.Value);
                lua.RawSet(-3);
                break;
            case BooleanReply boolean when resp == 2:
                lua.PushInteger(boolean.Value ? 1 : 0);
                break;
            case BooleanReply boolean:
                lua.PushBoolean(boolean.Value);
                break;
            case BigNumberReply big when resp == 2:
                lua.PushString(big.Digits);
                break;
            case BigNumberReply big:
                PushField(lua, "big_number", Encoding.ASCII.GetBytes(big.Digits));
                break;
            case VerbatimReply verbatim when resp == 2:
                lua.PushBuffer(verbatim.Value);
                break;
            case VerbatimReply verbatim:
                lua.CreateTable(0, 1);
                lua.PushString("verbatim_string");
                lua.CreateTable(0, 2);
                lua.PushString("format");
                lua.PushString(verbatim.Format);
                lua.RawSet(-3);
                lua.PushString("string");
                lua.PushBuffer(verbatim.Value);
                lua.RawSet(-3);
                lua.RawSet(-3);
                break;
            case AttributeReply attribute:
                Push(lua, attribute.Value, resp, depth);
                break;
            default:
                lua.PushNil();
                break;
        }
    }

    // A nil or NaN key cannot be stored (lua_rawset would raise): such entries are dropped.
    private static void RawSetChecked(Lua lua)
    {
        var type = lua.Type(-2);
        if (type == LuaType.Nil || (type == LuaType.Number && !lua.IsInteger(-2) && double.IsNaN(lua.ToNumber(-2))))
        {
            lua.Pop(2);
            return;
        }

        lua.RawSet(-3);
    }

    private static void PushField(Lua lua, string name, byte[] value)
    {
        lua.CreateTable(0, 1);
        lua.PushString(name);
        lua.PushBuffer(value);
        lua.RawSet(-3);
    }

    private static void PushArray(Lua lua, IReadOnlyList<Reply> items, int resp, int depth)
    {
        lua.CreateTable(items.Count, 0);
        for (var i = 0; i < items.Count; i++)
        {
            Push(lua, items[i], resp, depth + 1);
            lua.RawSetInteger(-2, i + 1);
        }
    }

    private static void PushPairs(Lua lua, IReadOnlyList<KeyValuePair<Reply, Reply>> pairs, bool nested, int resp, int depth)
    {
        lua.CreateTable(nested ? pairs.Count : pairs.Count * 2, 0);
        var n = 0;
        foreach (var (key, value) in pairs)
        {
            if (nested)
            {
                lua.CreateTable(2, 0);
                Push(lua, key, resp, depth + 2);
                lua.RawSetInteger(-2, 1);
                Push(lua, value, resp, depth + 2);
                lua.RawSetInteger(-2, 2);
                lua.RawSetInteger(-2, ++n);
            }
            else
            {
                Push(lua, key, resp, depth + 1);
                lua.RawSetInteger(-2, ++n);
                Push(lua, value, resp, depth + 1);
                lua.RawSetInteger(-2, ++n);
            }
        }
    }

    /// <summary>The reply for the Lua value at <paramref name="index"/> (a script's result).</summary>
    public static Reply ToReply(Lua lua, int index, int resp) => Convert(lua, index < 0 ? lua.GetTop() + index + 1 : index, resp, 0);

    private static Reply Convert(Lua lua, int index, int resp, int depth)
    {
        if (depth > MaxDepth || !lua.CheckStack(4))
        {
            return Reply.Error("ERR reached lua stack limit");
        }

        switch (lua.Type(index))
        {
            case LuaType.String:
                return Reply.Bulk(lua.ToBuffer(index, false));
            case LuaType.Boolean:
                return resp == 2
                    ? lua.ToBoolean(index) ? Reply.One : Reply.Null
                    : Reply.Boolean(lua.ToBoolean(index));
            case LuaType.Number:
                return Reply.Integer(lua.IsInteger(index) ? lua.ToInteger(index) : Truncate(lua.ToNumber(index)));
            case LuaType.Table:
                return ConvertTable(lua, index, resp, depth);
            default:
                return Reply.Null;
        }
    }

    // C's (long long) cast of a double: truncation, and x86's 0x8000000000000000 for what does not fit.
    private static long Truncate(double value) =>
        double.IsNaN(value) || value >= 9.2233720368547758E18 || value < -9.2233720368547758E18 ? long.MinValue : (long)value;

    private static Reply ConvertTable(Lua lua, int index, int resp, int depth)
    {
        if (RawField(lua, index, "err") == LuaType.String)
        {
            var message = Encoding.UTF8.GetString(lua.ToBuffer(-1, false));
            lua.Pop(1);
            return new ErrorReply(message) { AlreadyCounted = IsCounted(lua, index) };
        }

        lua.Pop(1);
        if (RawField(lua, index, "ok") == LuaType.String)
        {
            var status = Encoding.UTF8.GetString(lua.ToBuffer(-1, false)).Replace('\r', ' ').Replace('\n', ' ');
            lua.Pop(1);
            return Reply.Simple(status);
        }

        lua.Pop(1);
        if (RawField(lua, index, "double") == LuaType.Number)
        {
            var value = lua.ToNumber(-1);
            lua.Pop(1);
            return Reply.Double(value);
        }

        lua.Pop(1);
        if (RawField(lua, index, "big_number") == LuaType.String)
        {
            var digits = Encoding.UTF8.GetString(lua.ToBuffer(-1, false)).Replace('\r', ' ').Replace('\n', ' ');
            lua.Pop(1);
            return new BigNumberReply(digits);
        }

        lua.Pop(1);
        if (RawField(lua, index, "verbatim_string") == LuaType.Table)
        {
            var table = lua.GetTop();
            if (RawField(lua, table, "format") == LuaType.String && RawField(lua, table, "string") == LuaType.String)
            {
                var reply = new VerbatimReply(Encoding.ASCII.GetString(lua.ToBuffer(-2, false)), lua.ToBuffer(-1, false));
                lua.Pop(3);
                return reply;
            }

            lua.SetTop(table);
        }

        lua.Pop(1);
        if (RawField(lua, index, "map") == LuaType.Table)
        {
            var reply = ConvertEntries(lua, lua.GetTop(), resp, depth, map: true);
            lua.Pop(1);
            return reply;
        }

        lua.Pop(1);
        if (RawField(lua, index, "set") == LuaType.Table)
        {
            var reply = ConvertEntries(lua, lua.GetTop(), resp, depth, map: false);
            lua.Pop(1);
            return reply;
        }

        lua.Pop(1);
        var items = new List<Reply>();
        for (long j = 1; ; j++)
        {
            if (lua.RawGetInteger(index, j) == LuaType.Nil)
            {
                lua.Pop(1);
                break;
            }

            items.Add(Convert(lua, lua.GetTop(), resp, depth + 1));
            lua.Pop(1);
        }

        return Reply.Array([.. items]);
    }

    // The entries of a {map=...} or {set=...} table, in canonical key order.
    private static Reply ConvertEntries(Lua lua, int table, int resp, int depth, bool map)
    {
        var entries = new List<(CanonicalKeys.Key Order, Reply Key, Reply Value)>();
        var unordered = new List<(Reply Key, Reply Value)>();
        lua.PushNil();
        while (lua.Next(table))
        {
            var key = Convert(lua, lua.GetTop() - 1, resp, depth + 1);
            var value = map ? Convert(lua, lua.GetTop(), resp, depth + 1) : Reply.Null;
            if (CanonicalKeys.TryRead(lua, -2, out var order))
            {
                entries.Add((order, key, value));
            }
            else
            {
                unordered.Add((key, value));
            }

            lua.Pop(1);
        }

        entries.Sort(static (x, y) => CanonicalKeys.Compare(x.Order, y.Order));
        if (unordered.Count > 0)
        {
            // Tables and functions as keys: no canonical order exists; they convert to nested replies or nulls,
            // ordered by those.
            unordered.Sort(static (x, y) => string.CompareOrdinal(x.Key.ToString(), y.Key.ToString()));
        }

        var all = entries.Select(static e => (e.Key, e.Value)).Concat(unordered).ToList();
        return map
            ? new MapReply(all.Select(static e => new KeyValuePair<Reply, Reply>(e.Key, e.Value)).ToList())
            : new SetReply(all.Select(static e => e.Key).ToList());
    }

    private static LuaType RawField(Lua lua, int table, string name)
    {
        lua.PushString(name);
        return lua.RawGet(table < 0 ? table - 1 : table);
    }

    /// <summary>
    /// The reply for a script that raised: Redis's error table gives the message, and where it was raised
    /// (" script: f_sha, on @user_script:LINE."); anything else "ERR" and its text.
    /// </summary>
    public static Reply ScriptError(Lua lua, int index, string function)
    {
        var table = index < 0 ? lua.GetTop() + index + 1 : index;
        if (lua.Type(table) != LuaType.Table)
        {
            var text = lua.Type(table) == LuaType.String ? Encoding.UTF8.GetString(lua.ToBuffer(table, false)) : "execution failure";
            return Reply.Error("ERR Error running script " + function + ", " + text);
        }

        var message = RawField(lua, table, "err") == LuaType.String ? Encoding.UTF8.GetString(lua.ToBuffer(-1, false)) : "(null)";
        lua.Pop(1);
        var sourceType = RawField(lua, table, "source");
        var source = sourceType == LuaType.String ? Encoding.UTF8.GetString(lua.ToBuffer(-1, false)) : null;
        lua.Pop(1);
        var lineType = RawField(lua, table, "line");
        var line = lineType == LuaType.Number ? Encoding.ASCII.GetString(FormatNumber(lua, -1))
            : lineType == LuaType.String ? Encoding.UTF8.GetString(lua.ToBuffer(-1, false)) : null;
        lua.Pop(1);
        if (source is not null && line is not null)
        {
            message += " script: " + function + ", on " + source + ":" + line + ".";
        }

        return new ErrorReply(message.Replace('\r', ' ').Replace('\n', ' ')) { AlreadyCounted = IsCounted(lua, table) };
    }
}
