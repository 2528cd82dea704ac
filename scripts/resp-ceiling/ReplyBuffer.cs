namespace RaftKV.RespCeiling;

/// <summary>A growable byte buffer for one connection's replies.</summary>
internal sealed class ReplyBuffer
{
    private byte[] _bytes = new byte[16 * 1024];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _bytes.AsSpan(0, Length);

    public ReadOnlyMemory<byte> WrittenMemory => _bytes.AsMemory(0, Length);

    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (Length + bytes.Length > _bytes.Length)
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, Length + bytes.Length));
        bytes.CopyTo(_bytes.AsSpan(Length));
        Length += bytes.Length;
    }

    /// <summary>Drops the first <paramref name="count"/> bytes (sent).</summary>
    public void Consume(int count)
    {
        _bytes.AsSpan(count, Length - count).CopyTo(_bytes);
        Length -= count;
    }

    public void Clear() => Length = 0;
}
