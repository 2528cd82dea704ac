using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace RaftKV.Differential.Tests.Infrastructure;

/// <summary>A minimal RESP2 client over a raw socket: pipelined requests, replies read in order.</summary>
internal sealed class RespConnection : IDisposable
{
    private readonly TcpClient _client;
    private readonly BufferedStream _stream;

    private RespConnection(TcpClient client)
    {
        _client = client;
        _stream = new BufferedStream(client.GetStream(), 1 << 16);
    }

    public static RespConnection Connect(int port)
    {
        var client = new TcpClient { NoDelay = true, ReceiveTimeout = 30_000, SendTimeout = 30_000 };
        client.Connect("127.0.0.1", port);
        return new RespConnection(client);
    }

    public RespValue Execute(params string[] command) => ExecuteMany([[.. command.Select(Encoding.UTF8.GetBytes)]])[0];

    /// <summary>Sends every command, then reads one reply per command, in order.</summary>
    public List<RespValue> ExecuteMany(IReadOnlyList<byte[][]> commands)
    {
        foreach (var command in commands)
        {
            Write($"*{command.Length}\r\n");
            foreach (var argument in command)
            {
                Write($"${argument.Length}\r\n");
                _stream.Write(argument);
                Write("\r\n");
            }
        }

        _stream.Flush();
        return [.. commands.Select(_ => Read())];
    }

    public void Dispose()
    {
        _stream.Dispose();
        _client.Dispose();
    }

    private void Write(string text) => _stream.Write(Encoding.ASCII.GetBytes(text));

    private RespValue Read()
    {
        var line = ReadLine();
        var type = line[0];
        var rest = line[1..];
        switch (type)
        {
            case '+':
            case '-':
                return new RespValue { Type = type, Text = rest };
            case ':':
                return new RespValue { Type = type, Integer = long.Parse(rest, CultureInfo.InvariantCulture) };
            case '$':
                {
                    var length = int.Parse(rest, CultureInfo.InvariantCulture);
                    if (length < 0)
                    {
                        return new RespValue { Type = '$' };
                    }

                    var data = new byte[length + 2];
                    _stream.ReadExactly(data);
                    return new RespValue { Type = '$', Bulk = data[..length] };
                }

            case '*':
                {
                    var count = int.Parse(rest, CultureInfo.InvariantCulture);
                    if (count < 0)
                    {
                        return new RespValue { Type = '*' };
                    }

                    var items = new List<RespValue>(count);
                    for (var i = 0; i < count; i++)
                    {
                        items.Add(Read());
                    }

                    return new RespValue { Type = '*', Items = items };
                }

            default:
                throw new InvalidDataException("Unexpected RESP2 reply type: " + line);
        }
    }

    private string ReadLine()
    {
        var bytes = new List<byte>();
        while (true)
        {
            var b = _stream.ReadByte();
            if (b < 0)
            {
                throw new IOException("Connection closed.");
            }

            if (b == '\n' && bytes.Count > 0 && bytes[^1] == '\r')
            {
                bytes.RemoveAt(bytes.Count - 1);
                return Encoding.UTF8.GetString([.. bytes]);
            }

            bytes.Add((byte)b);
        }
    }
}
