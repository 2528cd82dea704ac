using System.Text;
using RaftKV.Protocol.Resp;

namespace RaftKV.StateMachine.Functions;

/// <summary>
/// The first line of a library's code, <c>#!&lt;engine&gt; name=&lt;library&gt;</c>, split as Redis's
/// functionExtractLibMetaData splits it (sdssplitargs: blanks separate, quotes group), with Redis's errors. The body the
/// engine compiles starts at that line's line feed, so line numbers in errors stay the user's.
/// </summary>
internal sealed record LibraryMetadata(string Engine, byte[] Name, byte[] Body)
{
    /// <summary>Parses <paramref name="code"/>'s shebang: the metadata, or null and Redis's error (without "ERR ").</summary>
    public static LibraryMetadata? TryParse(byte[] code, out string? error)
    {
        error = null;
        if (code.Length < 2 || code[0] != '#' || code[1] != '!')
        {
            error = "Missing library metadata";
            return null;
        }

        // Redis looks for the line feed with strchr: a NUL byte before it ends the search.
        var end = code.AsSpan().IndexOfAny((byte)'\n', (byte)0);
        if (end < 0 || code[end] == 0)
        {
            error = "Invalid library metadata";
            return null;
        }

        var parts = InlineArgumentSplitter.Split(code.AsSpan(0, end));
        if (parts is null || parts.Count == 0)
        {
            error = "Invalid library metadata";
            return null;
        }

        byte[]? name = null;
        foreach (var part in parts.Skip(1))
        {
            if (part.Length >= 5 && Ascii.EqualsIgnoreCase(part.AsSpan(0, 5), "name="u8))
            {
                if (name is not null)
                {
                    error = "Invalid metadata value, name argument was given multiple times";
                    return null;
                }

                name = part[5..];
                continue;
            }

            error = "Invalid metadata value given: " + Text(part);
            return null;
        }

        if (name is null)
        {
            error = "Library name was not given";
            return null;
        }

        return new LibraryMetadata(Text(parts[0].AsSpan(Math.Min(2, parts[0].Length))), name, code[end..]);
    }

    /// <summary>Redis's functionsVerifyName: one or more ASCII letters, digits or underscores.</summary>
    public static bool IsValidName(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit((char)c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    // Redis formats these with %s of a C string: the text up to a NUL byte.
    private static string Text(ReadOnlySpan<byte> bytes)
    {
        var nul = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul < 0 ? bytes : bytes[..nul]);
    }
}
