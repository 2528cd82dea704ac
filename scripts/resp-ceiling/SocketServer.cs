using System.Net;
using System.Net.Sockets;

namespace RaftKV.RespCeiling;

/// <summary>
/// .NET's sockets without pipes: one async receive loop per connection that answers what it read and sends the
/// replies at once (the socket engine's threads and the thread pool run it, as for any .NET socket code).
/// </summary>
internal static class SocketServer
{
    public static async Task RunAsync(int port, KeyValues values)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(512);
        while (true)
        {
            var socket = await listener.AcceptAsync().ConfigureAwait(false);
            socket.NoDelay = true;
            _ = ServeAsync(socket, values);
        }
    }

    private static async Task ServeAsync(Socket socket, KeyValues values)
    {
        var input = new byte[64 * 1024];
        var held = 0;
        var replies = new ReplyBuffer();
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(input.AsMemory(held), SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                    return;
                held += read;
                var consumed = Resp.Process(input.AsSpan(0, held), values, replies);
                input.AsSpan(consumed, held - consumed).CopyTo(input);
                held -= consumed;
                if (held == input.Length)
                    Array.Resize(ref input, input.Length * 2);
                if (replies.Length > 0)
                {
                    await socket.SendAsync(replies.WrittenMemory, SocketFlags.None).ConfigureAwait(false);
                    replies.Clear();
                }
            }
        }
        catch (SocketException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }
}
