using System.Runtime.InteropServices;

namespace RaftKV.RespCeiling;

/// <summary>
/// The whole "database": byte-string keys to byte-string values, looked up by span, under one lock (the socket modes
/// serve connections from several threads). GET and SET only: what redis-benchmark's -t get,set sends.
/// </summary>
internal sealed class KeyValues
{
    private readonly Dictionary<byte[], byte[]> _values = new(ByteComparer.Instance);
    private readonly Dictionary<byte[], byte[]>.AlternateLookup<ReadOnlySpan<byte>> _byspan;
    private readonly Lock _lock = new();

    public KeyValues() => _byspan = _values.GetAlternateLookup<ReadOnlySpan<byte>>();

    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        lock (_lock)
            return _byspan.TryGetValue(key, out var value) ? value : null;
    }

    public void Set(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        lock (_lock)
            CollectionsMarshal.GetValueRefOrAddDefault(_byspan, key, out _) = value.ToArray();
    }

    private sealed class ByteComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
