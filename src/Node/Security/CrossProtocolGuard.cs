using System.Text;

namespace RaftKV.Node.Security;

/// <summary>
/// Cross-protocol scripting: a web page can make a browser send an HTTP request to a RESP port, and a server that
/// skipped the lines it did not understand would run the body. As Redis 7 does, a command named <c>POST</c> or
/// <c>Host:</c> (an HTTP request line, or the header every HTTP/1.1 request has) is not a command but an attack: the
/// session closes the connection at once, runs nothing after it and sends none of the replies still unsent. The warning
/// is logged at most once a minute, so that a flood of such requests cannot flood the log.
/// </summary>
internal sealed partial class CrossProtocolGuard(TimeProvider clock, ILogger<CrossProtocolGuard> logger)
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(60);
    private long _lastLoggedTicks = long.MinValue;

    /// <summary>Whether a command name is one of the HTTP words Redis closes on (ASCII, case-insensitive).</summary>
    public static bool IsHttpCommand(ReadOnlySpan<byte> name) =>
        Ascii.EqualsIgnoreCase(name, "post"u8) || Ascii.EqualsIgnoreCase(name, "host:"u8);

    /// <summary>Called when a connection is closed for it; logs the warning unless one was logged in the last minute.</summary>
    public void Detected(string client)
    {
        var now = clock.GetUtcNow().UtcTicks;
        var last = Interlocked.Read(ref _lastLoggedTicks);
        if (last != long.MinValue && Math.Abs(now - last) <= LogInterval.Ticks)
            return;
        if (Interlocked.CompareExchange(ref _lastLoggedTicks, now, last) == last)
            LogAttack(client);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted. (client {Client})")]
    private partial void LogAttack(string client);
}
