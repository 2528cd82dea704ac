using System.Text;

namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// Redis 7.0's script shebang (<c>#!lua flags=no-writes,allow-oom</c>): a script with one leaves compatibility mode and
/// declares its flags; the line is not compiled but its line feed is kept, so line numbers stay the user's.
/// </summary>
internal static class ScriptShebang
{
    private static readonly string[] KnownFlags = ["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"];

    /// <summary>The flags of a script that has a shebang (null: compatibility mode).</summary>
    internal sealed record Flags(bool NoWrites, bool AllowOom = false);

    public static bool TryParse(byte[] body, out Flags? flags, out byte[] code, out string? error)
    {
        flags = null;
        code = body;
        error = null;
        if (body.Length < 2 || body[0] != '#' || body[1] != '!')
        {
            return true;
        }

        var end = Array.IndexOf(body, (byte)'\n');
        if (end < 0)
        {
            error = "Invalid script shebang";
            return false;
        }

        var parts = Encoding.UTF8.GetString(body, 0, end).Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            error = "Invalid engine in script shebang";
            return false;
        }

        if (parts[0] != "#!lua")
        {
            error = "Unexpected engine in script shebang: " + parts[0];
            return false;
        }

        var noWrites = false;
        var allowOom = false;
        foreach (var part in parts.Skip(1))
        {
            if (!part.StartsWith("flags=", StringComparison.Ordinal))
            {
                error = "Unknown lua shebang option: " + part;
                return false;
            }

            foreach (var flag in part[6..].Split(','))
            {
                if (flag.Length == 0)
                {
                    continue;
                }

                if (!KnownFlags.Contains(flag, StringComparer.Ordinal))
                {
                    error = "Unexpected flag in script shebang: " + flag;
                    return false;
                }

                noWrites |= flag == "no-writes";
                allowOom |= flag == "allow-oom";
            }
        }

        flags = new Flags(noWrites, allowOom);
        code = body[end..];
        return true;
    }
}
