namespace RaftKV.StateMachine.Rdb;

/// <summary>
/// The CRC-64 Redis appends to DUMP payloads and RDB files: the Jones polynomial (0xad93d23594c935a9), reflected
/// input and output, initial value 0, no final XOR ("123456789" gives 0xe9c6d914c4b8d9ca). Not the ECMA-182 CRC of
/// System.IO.Hashing, which uses another polynomial.
/// </summary>
public static class Crc64
{
    private const ulong ReflectedPolynomial = 0x95AC9329AC4BC9B5UL;

    private static readonly ulong[] Table = BuildTable();

    public static ulong Compute(ReadOnlySpan<byte> data)
    {
        ulong crc = 0;
        foreach (var b in data)
        {
            crc = Table[(byte)(crc ^ b)] ^ (crc >> 8);
        }

        return crc;
    }

    private static ulong[] BuildTable()
    {
        var table = new ulong[256];
        for (var i = 0; i < 256; i++)
        {
            var crc = (ulong)i;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ ReflectedPolynomial : crc >> 1;
            }

            table[i] = crc;
        }

        return table;
    }
}
