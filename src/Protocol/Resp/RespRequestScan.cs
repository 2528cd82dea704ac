namespace RaftKV.Protocol.Resp;

/// <summary>
/// How far <see cref="RespRequestReader"/> has followed a multibulk request that has not arrived whole, so the next read
/// goes on from there instead of walking the frame again from its first byte. A request of 400,000 arguments sent in
/// 1 KB pieces was walked once per piece: the node spent a core for as long as the client took to send it (2.65 CPU-s
/// where redis-server spends 0.14). One per connection; the buffer passed on the next call must start where the frame
/// starts, as it does when the caller advances a pipe to the buffer's start after a read that found no whole request.
/// </summary>
public sealed class RespRequestScan
{
    /// <summary>Arguments the frame declares; 0 while no frame is being followed.</summary>
    internal long Count { get; private set; }

    /// <summary>Arguments already walked (header and payload whole in the buffer).</summary>
    internal long Walked { get; private set; }

    /// <summary>Bytes from the frame's start to the first argument not yet walked.</summary>
    internal long Offset { get; private set; }

    /// <summary>Bytes the framing pass has stepped over, over every call (how tests see that a frame is walked once).</summary>
    internal long Stepped { get; set; }

    internal void Save(long count, long walked, long offset)
    {
        (Count, Walked, Offset) = (count, walked, offset);
    }

    internal void Reset()
    {
        (Count, Walked, Offset) = (0, 0, 0);
    }
}
