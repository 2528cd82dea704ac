using System.Text;
using KeraLua;
using RaftKV.StateMachine.Scripting;

namespace RaftKV.StateMachine.Tests.Scripting;

/// <summary>
/// A bare Lua 5.4 state with the base, string, table, math and utf8 libraries and
/// <see cref="ScriptLibraries.All"/> loaded as globals, as a script engine would prepare it.
/// </summary>
internal sealed class LuaLibraryState : IDisposable
{
    private readonly Lua _lua = new(openLibs: true);

    public LuaLibraryState()
    {
        // KeraLua opens libraries only all at once; the ones a script engine leaves out are removed.
        foreach (var name in new[] { "io", "os", "package", "debug", "coroutine", "require", "dofile", "loadfile" })
        {
            _lua.PushNil();
            _lua.SetGlobal(name);
        }

        foreach (var (name, source) in ScriptLibraries.All)
        {
            var status = _lua.LoadString(source, "@" + name);
            if (status == LuaStatus.OK)
                status = _lua.PCall(0, 1, 0);
            if (status != LuaStatus.OK)
                throw new InvalidOperationException($"Library {name} failed to load: {_lua.ToString(-1)}");
            if (name == ScriptLibraries.Compat51)
                _lua.Pop(1);
            else
                _lua.SetGlobal(name);
        }
    }

    /// <summary>Runs <paramref name="snippet"/> as chunk "@user_script" and returns its first result in <see cref="RedisReplyForm"/>.</summary>
    public string Eval(string snippet)
    {
        var top = _lua.GetTop();
        try
        {
            var status = _lua.LoadString(snippet, "@user_script");
            if (status == LuaStatus.OK)
                status = _lua.PCall(0, 1, 0);
            return status == LuaStatus.OK ? RedisReplyForm.Of(_lua, -1) : RedisReplyForm.Error(ErrorText(-1));
        }
        finally
        {
            _lua.SetTop(top);
        }
    }

    /// <summary>Runs <paramref name="snippet"/> and returns its first result, which must be a string, as bytes.</summary>
    public byte[] EvalBytes(string snippet)
    {
        var top = _lua.GetTop();
        try
        {
            var status = _lua.LoadString(snippet, "@user_script");
            if (status == LuaStatus.OK)
                status = _lua.PCall(0, 1, 0);
            if (status != LuaStatus.OK)
                throw new InvalidOperationException(ErrorText(-1));
            Assert.Equal(LuaType.String, _lua.Type(-1));
            return _lua.ToBuffer(-1);
        }
        finally
        {
            _lua.SetTop(top);
        }
    }

    private string ErrorText(int index) =>
        _lua.Type(index) == LuaType.String ? Encoding.Latin1.GetString(_lua.ToBuffer(index)) : "(error object of type " + _lua.Type(index) + ")";

    public void Dispose() => _lua.Dispose();
}
