using System.Buffers;
using Microsoft.AspNetCore.Connections;

namespace RaftKV.RespCeiling;

/// <summary>
/// Kestrel's socket transport and pipes, as RaftKV's node serves RESP, with nothing of RaftKV above them: read what
/// arrived, answer every whole request in it, flush once.
/// </summary>
internal sealed class KestrelHandler(KeyValues values) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var replies = new ReplyBuffer();
        var copy = new byte[16 * 1024];
        while (true)
        {
            var result = await input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            ReadOnlySpan<byte> bytes;
            if (buffer.IsSingleSegment)
            {
                bytes = buffer.FirstSpan;
            }
            else
            {
                if (copy.Length < buffer.Length)
                    copy = new byte[buffer.Length];
                buffer.CopyTo(copy);
                bytes = copy.AsSpan(0, (int)buffer.Length);
            }

            var consumed = Resp.Process(bytes, values, replies);
            input.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
            if (replies.Length > 0)
            {
                output.Write(replies.Written);
                replies.Clear();
                await output.FlushAsync().ConfigureAwait(false);
            }

            if (result.IsCompleted)
                break;
        }
    }
}
