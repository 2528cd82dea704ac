using System.Runtime.CompilerServices;

namespace RaftKV.Node.Server;

/// <summary>
/// Where a connection's work runs. By default a socket's completion is handed from the thread that polls the sockets
/// (epoll) to the thread pool, Kestrel hands what it read to the thread pool again, and a reply waits for Kestrel's
/// I/O queue to send it: three thread hops per request, each a wake-up that costs more than a GET itself on a small VM.
/// With inline I/O the polling thread reads, runs a short command and sends its reply, as Redis's event loop does
/// (GET -c 50 -P 1 +27%, SET -c 50 -P 16 +4%, SET -P 1 unchanged: two clusters measured side by side, README "Performance").
/// <para>
/// What may run long never runs there, or one slow command would stall every connection that thread polls, the Raft
/// traffic among them: a RESP command outside Redis's <c>@fast</c> category (KEYS, SORT, EVAL, RAFTKV.BACKUP ...) and
/// every HTTP request (gRPC, snapshot transfer, diagnostics) first move to the thread pool (<see cref="LeaveIoThread"/>).
/// </para>
/// <para>
/// .NET reads the switch (<see cref="SocketsSwitch"/>) once, from the environment, when the process first polls a socket:
/// <see cref="Enable"/> runs first thing in the node's process, and leaves an operator's own setting alone
/// (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0</c> turns it off). A node hosted inside another process (the tests)
/// keeps that process's scheduling.
/// </para>
/// </summary>
public static class InlineIo
{
    /// <summary>The runtime's switch: socket completions run on the polling thread.</summary>
    public const string SocketsSwitch = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Turns inline I/O on for this process unless the environment already says; before any socket is used.</summary>
    public static void Enable()
    {
        if (Environment.GetEnvironmentVariable(SocketsSwitch) is null)
            Environment.SetEnvironmentVariable(SocketsSwitch, "1");
    }

    /// <summary>Whether socket completions run inline in this process (Kestrel then runs its connections inline too).</summary>
    // Read on first use, not in a type initializer: that could run before Enable sets the switch.
    public static bool Enabled => s_enabled ??= Environment.GetEnvironmentVariable(SocketsSwitch) == "1";

    private static bool? s_enabled;

    /// <summary>
    /// True on a thread that is not the thread pool's (the socket polling threads when <see cref="Enabled"/>): work that
    /// may run long awaits <see cref="LeaveIoThread"/> first.
    /// </summary>
    public static bool OnIoThread => Enabled && !Thread.CurrentThread.IsThreadPoolThread;

    /// <summary>Continues on the thread pool (no synchronization context or scheduler is set on these threads).</summary>
    public static YieldAwaitable LeaveIoThread() => Task.Yield();
}
