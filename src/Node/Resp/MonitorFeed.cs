using System.Globalization;
using System.Text;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Resp;

/// <summary>
/// The clients in MONITOR mode on this node, and the line each of them gets for every command this node runs, as
/// Redis 7.0 writes it: <c>+1339518083.107412 [0 127.0.0.1:60866] "set" "k" "v"</c> (arguments quoted as Redis's
/// sdscatrepr quotes them). A node reports the commands its own clients send (a relayed command also shows on the
/// leader, from the follower's forwarding connection). Admin commands are not shown, AUTH and HELLO's password are
/// redacted, as in Redis.
/// </summary>
internal sealed class MonitorFeed
{
    private readonly Lock _lock = new();
    private ClientSession[] _monitors = [];

    public bool IsEmpty => Volatile.Read(ref _monitors).Length == 0;

    public void Add(ClientSession session)
    {
        lock (_lock)
        {
            if (!_monitors.Contains(session))
                _monitors = [.. _monitors, session];
        }
    }

    public void Remove(ClientSession session)
    {
        lock (_lock)
            _monitors = [.. _monitors.Where(s => s != session)];
    }

    /// <summary>Sends <paramref name="arguments"/> (the whole request) to every monitor; never blocks.</summary>
    public void Feed(ClientSession source, byte[][] arguments, bool redact) => Feed(source, source.Address, arguments, redact);

    /// <summary>
    /// Sends a command a script ran (<c>[0 lua] "set" "k" "v"</c>, as Redis shows them after the EVAL line). Every node
    /// shows the scripts it applies.
    /// </summary>
    public void FeedScriptCall(byte[][] arguments) => Feed(null, "lua", arguments, redact: false);

    private void Feed(ClientSession? source, string address, byte[][] arguments, bool redact)
    {
        var monitors = Volatile.Read(ref _monitors);
        if (monitors.Length == 0)
            return;
        var now = DateTimeOffset.UtcNow;
        var micros = now.ToUnixTimeMilliseconds() * 1000 + (now.Ticks % TimeSpan.TicksPerMillisecond / 10);
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"{micros / 1_000_000}.{micros % 1_000_000:D6} [0 {address}]");
        for (var i = 0; i < arguments.Length; i++)
        {
            line.Append(' ');
            if (redact && i > 0)
                line.Append("\"(redacted)\"");
            else
                AppendQuoted(line, arguments[i]);
        }

        var reply = Reply.Simple(line.ToString());
        foreach (var monitor in monitors)
        {
            if (monitor != source)
                monitor.Push(reply);
        }
    }

    /// <summary>Redis's sdscatrepr: printable ASCII as is, quote and backslash escaped, control bytes as \n \r \t \a \b or \xHH.</summary>
    private static void AppendQuoted(StringBuilder line, byte[] argument)
    {
        line.Append('"');
        foreach (var b in argument)
        {
            switch (b)
            {
                case (byte)'\\': line.Append("\\\\"); break;
                case (byte)'"': line.Append("\\\""); break;
                case (byte)'\n': line.Append("\\n"); break;
                case (byte)'\r': line.Append("\\r"); break;
                case (byte)'\t': line.Append("\\t"); break;
                case 7: line.Append("\\a"); break;
                case 8: line.Append("\\b"); break;
                case >= 0x20 and < 0x7F: line.Append((char)b); break;
                default: line.Append(CultureInfo.InvariantCulture, $"\\x{b:x2}"); break;
            }
        }

        line.Append('"');
    }
}
