using System.Runtime.CompilerServices;

namespace RaftKV.Node.Execution;

/// <summary>
/// With <c>RaftKV:InlineSocketCompletions</c> (off by default) socket completions run on .NET's socket event threads
/// (<see cref="Variable"/>) and Kestrel runs the RESP and gRPC code right after them (its inline scheduling): a GET is
/// read, run and answered on the thread that saw its bytes arrive, as in Redis's event loop, instead of two thread-pool
/// hops later. Measured at GET -c 50 -P 1 on the 2-core machine, two 3-node clusters side by side, 5 alternating runs:
/// 35.2-37.5k/s against 28.5-31.7k/s, 22-23 us of the leader's CPU per GET against 30-33; writes unchanged.
/// <para>
/// Those threads serve every socket of the process, Raft's included, so work that can take long leaves them first
/// (<see cref="Leave"/>): the log's writes and fdatasyncs and its reads from disk, snapshot installs, commands Redis
/// does not flag fast (KEYS, SORT, scripts...), gRPC calls and other HTTP requests.
/// </para>
/// </summary>
internal static class SocketThreads
{
    /// <summary>The runtime's switch, read once by .NET at the process's first socket.</summary>
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Asks the runtime for inline completions unless the environment says otherwise; true when they are asked for.
    /// Call before the first socket: the runtime reads the switch once.
    /// </summary>
    public static bool Configure(bool inline)
    {
        if (inline && Environment.GetEnvironmentVariable(Variable) is null)
            Environment.SetEnvironmentVariable(Variable, "1");
        return Environment.GetEnvironmentVariable(Variable) == "1";
    }

    /// <summary>
    /// Continues on a thread-pool thread: at once when already on one, else (a socket event thread, or the applier)
    /// through the pool's queue; also through the queue from inside a pass answering an applied batch
    /// (<see cref="Resp.ReplyFlushes"/>), whose other connections' replies wait for the pass to end.
    /// </summary>
    public static LeaveAwaitable Leave() => default;

    internal readonly struct LeaveAwaitable : ICriticalNotifyCompletion
    {
        public LeaveAwaitable GetAwaiter() => this;

        public bool IsCompleted => Thread.CurrentThread.IsThreadPoolThread && !Resp.ReplyFlushes.Active;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) =>
            ThreadPool.QueueUserWorkItem(static action => action(), continuation, preferLocal: false);

        public void UnsafeOnCompleted(Action continuation) =>
            ThreadPool.UnsafeQueueUserWorkItem(static action => action(), continuation, preferLocal: false);
    }
}
