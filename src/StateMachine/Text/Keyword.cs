using System.Text;

namespace RaftKV.StateMachine.Text;

/// <summary>Command keywords (options such as NX, MATCH) compare ASCII case-insensitively, as Redis's strcasecmp.</summary>
internal static class Keyword
{
    public static bool Is(ReadOnlySpan<byte> argument, ReadOnlySpan<byte> word) =>
        argument.Length == word.Length && Ascii.EqualsIgnoreCase(argument, word);
}
