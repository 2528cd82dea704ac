using System.Text;
using System.Text.RegularExpressions;
using KeraLua;

namespace RaftKV.StateMachine.Tests.Scripting;

/// <summary>
/// The canonical one-line form of the RESP2 reply Redis 7.0 makes of a Lua value (the form
/// record-snippets.py writes for redis-server's replies): "text" for a bulk string (bytes outside
/// printable ASCII, '"' and '\' as \xHH), :n for an integer (a number truncated toward zero, as
/// Redis's (long long) cast does), nil, +status, !error, [a, b] for a table read as an array up
/// to its first nil. Booleans: true is :1, false is nil; functions and other types are nil.
/// </summary>
internal static partial class RedisReplyForm
{
    public static string Of(Lua lua, int index)
    {
        index = lua.AbsIndex(index);
        switch (lua.Type(index))
        {
            case LuaType.String:
                return Bulk(lua.ToBuffer(index));
            case LuaType.Number:
                return ":" + (lua.IsInteger(index) ? lua.ToInteger(index) : Truncate(lua.ToNumber(index)));
            case LuaType.Boolean:
                return lua.ToBoolean(index) ? ":1" : "nil";
            case LuaType.Table:
                return Table(lua, index);
            default:
                return "nil";
        }
    }

    /// <summary>An error message as Redis shows it, without the chunk position Lua puts in front.</summary>
    public static string Error(string message) => "!" + ChunkPosition().Replace(message, "", 1);

    private static string Table(Lua lua, int index)
    {
        if (lua.GetField(index, "err") == LuaType.String)
        {
            var error = Encoding.Latin1.GetString(lua.ToBuffer(-1));
            lua.Pop(1);
            return "!" + error;
        }

        lua.Pop(1);
        if (lua.GetField(index, "ok") == LuaType.String)
        {
            var status = Encoding.Latin1.GetString(lua.ToBuffer(-1));
            lua.Pop(1);
            return "+" + status;
        }

        lua.Pop(1);
        var items = new List<string>();
        for (long i = 1; lua.RawGetInteger(index, i) != LuaType.Nil; i++)
        {
            items.Add(Of(lua, -1));
            lua.Pop(1);
        }

        lua.Pop(1);
        return "[" + string.Join(", ", items) + "]";
    }

    // C's (long long) conversion on x86-64: out-of-range values and NaN give long.MinValue
    // (.NET's own cast saturates instead).
    private static long Truncate(double d) =>
        double.IsNaN(d) || d >= 9223372036854775808.0 || d < -9223372036854775808.0 ? long.MinValue : (long)Math.Truncate(d);

    private static string Bulk(byte[] bytes)
    {
        var text = new StringBuilder(bytes.Length + 2).Append('"');
        foreach (var b in bytes)
        {
            if (b is 0x22 or 0x5C or < 0x20 or > 0x7E)
                text.Append("\\x").Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            else
                text.Append((char)b);
        }

        return text.Append('"').ToString();
    }

    [GeneratedRegex(@"^user_script:\d+: ")]
    private static partial Regex ChunkPosition();
}
