using KeraLua;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// The canonical order in which scripts iterate a table (pairs/next, RESP3 map and set replies): numbers numerically,
/// then strings bytewise, then false and true; never Lua's hash order, which depends on a per-process seed. Keys of
/// other types (tables, functions, threads, userdata) have no order that is the same in every process: a table holding
/// one cannot be iterated.
/// </summary>
internal static class CanonicalKeys
{
    /// <summary>
    /// Native function: for the table at index 1, pushes an array of its keys in canonical order; otherwise nil and a
    /// message. Uses only lua_next from nil and raw pushes, which cannot raise.
    /// </summary>
    public static int Push(Lua lua)
    {
        if (lua.Type(1) != LuaType.Table)
        {
            lua.PushNil();
            lua.PushString("table expected");
            return 2;
        }

        var keys = new List<Key>();
        lua.PushNil();
        while (lua.Next(1))
        {
            if (!TryRead(lua, -2, out var key))
            {
                var kind = lua.TypeName(lua.Type(-2));
                lua.SetTop(1);
                lua.PushNil();
                lua.PushString("cannot iterate a table keyed by a " + kind + " value: its order would differ between replicas");
                return 2;
            }

            keys.Add(key);
            lua.Pop(1);
        }

        keys.Sort(Compare);
        lua.CreateTable(keys.Count, 0);
        for (var i = 0; i < keys.Count; i++)
        {
            keys[i].PushTo(lua);
            lua.RawSetInteger(-2, i + 1);
        }

        return 1;
    }

    /// <summary>Reads the key at <paramref name="index"/> without converting it (never lua_tolstring on a number).</summary>
    public static bool TryRead(Lua lua, int index, out Key key)
    {
        switch (lua.Type(index))
        {
            case LuaType.Number:
                key = lua.IsInteger(index)
                    ? new Key(0, lua.ToInteger(index), 0, null)
                    : new Key(1, 0, lua.ToNumber(index), null);
                return true;
            case LuaType.String:
                key = new Key(2, 0, 0, lua.ToBuffer(index, false));
                return true;
            case LuaType.Boolean:
                key = new Key(3, lua.ToBoolean(index) ? 1 : 0, 0, null);
                return true;
            default:
                key = default;
                return false;
        }
    }

    public static int Compare(Key x, Key y)
    {
        var xNumber = x.Kind <= 1;
        var yNumber = y.Kind <= 1;
        if (xNumber && yNumber)
        {
            if (x.Kind == 0 && y.Kind == 0)
            {
                return x.Integer.CompareTo(y.Integer);
            }

            var a = x.Kind == 0 ? x.Integer : x.Float;
            var b = y.Kind == 0 ? y.Integer : y.Float;
            var order = a.CompareTo(b);
            return order != 0 ? order : x.Kind.CompareTo(y.Kind);
        }

        var rank = Rank(x).CompareTo(Rank(y));
        if (rank != 0)
        {
            return rank;
        }

        return x.Kind == 2 ? ByteStringComparer.Instance.Compare(x.Text, y.Text) : x.Integer.CompareTo(y.Integer);
    }

    private static int Rank(Key key) => key.Kind <= 1 ? 0 : key.Kind - 1;

    /// <summary>A table key: Kind 0 integer, 1 float, 2 string, 3 boolean (Integer 0 or 1).</summary>
    internal readonly record struct Key(int Kind, long Integer, double Float, byte[]? Text)
    {
        public void PushTo(Lua lua)
        {
            switch (Kind)
            {
                case 0:
                    lua.PushInteger(Integer);
                    break;
                case 1:
                    lua.PushNumber(Float);
                    break;
                case 2:
                    lua.PushBuffer(Text!);
                    break;
                default:
                    lua.PushBoolean(Integer != 0);
                    break;
            }
        }
    }
}
