using System.Runtime.InteropServices;

namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// The Lua C API calls KeraLua does not expose as raw pointers: reading the hook function set by the debug library
/// and setting it again with another count, which Lua allows at any point (even from a signal handler); and what a C
/// hook needs to suspend a script's coroutine (lua_isyieldable, lua_yieldk: from a count hook, lua_yieldk returns to
/// the hook instead of unwinding, so no .NET frame is crossed; the VM yields once the hook has returned).
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

    [LibraryImport(Library, EntryPoint = "lua_isyieldable")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    public static partial int IsYieldable(IntPtr state);

    [LibraryImport(Library, EntryPoint = "lua_yieldk")]
    [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    public static partial int YieldK(IntPtr state, int results, IntPtr context, IntPtr continuation);

    /// <summary>A C hook (lua_Hook): called by Lua with the running thread and its lua_Debug record.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void Hook(IntPtr state, IntPtr debug);
}
