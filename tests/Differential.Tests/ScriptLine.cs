using System.Globalization;
using System.Text;

namespace RaftKV.Differential.Tests;

/// <summary>Splits a script command line as the state-machine scripts do (redis-cli quoting).</summary>
internal static class ScriptLine
{
    public static byte[][] Split(string line)
    {
        var arguments = new List<byte[]>();
        var i = 0;
        while (true)
        {
            while (i < line.Length && line[i] == ' ')
            {
                i++;
            }

            if (i == line.Length)
            {
                return [.. arguments];
            }

            var current = new List<byte>();
            if (line[i] == '"')
            {
                for (i++; line[i] != '"'; i++)
                {
                    if (line[i] != '\\')
                    {
                        current.AddRange(Encoding.UTF8.GetBytes(line[i].ToString()));
                        continue;
                    }

                    i++;
                    switch (line[i])
                    {
                        case 'n': current.Add((byte)'\n'); break;
                        case 'r': current.Add((byte)'\r'); break;
                        case 't': current.Add((byte)'\t'); break;
                        case 'x':
                            current.Add(byte.Parse(line.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                            i += 2;
                            break;
                        default: current.Add((byte)line[i]); break;
                    }
                }

                i++;
            }
            else if (line[i] == '\'')
            {
                var end = line.IndexOf('\'', i + 1);
                current.AddRange(Encoding.UTF8.GetBytes(line[(i + 1)..end]));
                i = end + 1;
            }
            else
            {
                var end = line.IndexOf(' ', i);
                end = end < 0 ? line.Length : end;
                current.AddRange(Encoding.UTF8.GetBytes(line[i..end]));
                i = end;
            }

            arguments.Add([.. current]);
        }
    }
}
