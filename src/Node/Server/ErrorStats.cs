using System.Globalization;
using System.Text;

namespace RaftKV.Node.Server;

/// <summary>
/// INFO errorstats: error replies counted by their code, the first word of the error when a space ends it within the
/// first 32 bytes of <c>-CODE ...</c>, else <c>ERR</c> (Redis's afterErrorReply). Codes come from clients too (a
/// script's <c>redis.error_reply</c>), so the table is bounded as Redis 7.2 bounds it (7.0 did not): past
/// <see cref="MaxCodes"/> codes it is replaced by the single <c>ERRORSTATS_DISABLED</c>, count 1, and counts no code
/// until CONFIG RESETSTAT. Local to this node; thread-safe.
/// </summary>
internal sealed class ErrorStats
{
    /// <summary>Redis's ERROR_STATS_NUMBER.</summary>
    public const int MaxCodes = 128;

    public const string Disabled = "ERRORSTATS_DISABLED";

    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, long> _byCode = new(StringComparer.Ordinal);
    private bool _disabled;

    /// <summary>Counts one error reply whose text (without the leading '-') is <paramref name="message"/>.</summary>
    public void Count(string message) => CountCode(Protocol.Replies.ErrorReply.CodeOf(message), 1);

    /// <summary>Counts <paramref name="times"/> error replies under <paramref name="code"/> (<see cref="Protocol.Replies.ErrorReply.CodeOf"/>).</summary>
    public void CountCode(string code, long times)
    {
        lock (_lock)
        {
            if (_byCode.TryGetValue(code, out var count))
            {
                _byCode[code] = count + times;
            }
            else if (!_disabled && _byCode.Count >= MaxCodes)
            {
                _byCode.Clear();
                _byCode[Disabled] = 1;
                _disabled = true;
            }
            else if (!_disabled)
            {
                _byCode[code] = times;
            }
        }
    }

    /// <summary>CONFIG RESETSTAT: no codes, and counting again.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _byCode.Clear();
            _disabled = false;
        }
    }

    /// <summary>The <c>errorstat_CODE:count=N</c> lines in byte order of the codes, '#', ':', CR and LF written as '_' (Redis's getSafeInfoString).</summary>
    public void AppendTo(StringBuilder text)
    {
        lock (_lock)
        {
            foreach (var (code, count) in _byCode)
            {
                text.Append("errorstat_");
                foreach (var c in code)
                    text.Append(c is '#' or ':' or '\r' or '\n' ? '_' : c);
                text.Append(CultureInfo.InvariantCulture, $":count={count}\r\n");
            }
        }
    }
}
