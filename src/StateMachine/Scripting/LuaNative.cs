using System.Runtime.InteropServices;

namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// The two Lua C API calls KeraLua does not expose as raw pointers: reading the hook function set by the debug library
/// and setting it again with another count, which Lua allows at any point (even from a signal handler).
/// </summary>
internal static partial class LuaNative
{
    public const int MaskCount = 1 << 3;

    private const string Library = "lua54";

    [LibraryImport(Library, EntryPoint = "lua_gethook")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    public static partial IntPtr GetHook(IntPtr state);

    [LibraryImport(Library, EntryPoint = "lua_sethook")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    public static partial void SetHook(IntPtr state, IntPtr hook, int mask, int count);
}
