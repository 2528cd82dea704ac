namespace RaftKV.Node.Server;

/// <summary>
/// The CRC-64 Redis puts in DUMP payloads ("Jones" polynomial, reflected, initial value 0, no final xor).
/// Computed bit by bit: payloads checked here are small (FUNCTION DUMP/RESTORE).
/// </summary>
internal static class Crc64
{
    private const ulong ReflectedPolynomial = 0x95AC9329AC4BC9B5UL;

    public static ulong Compute(ReadOnlySpan<byte> data)
    {
        ulong crc = 0;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ ReflectedPolynomial : crc >> 1;
        }

        return crc;
    }
}
