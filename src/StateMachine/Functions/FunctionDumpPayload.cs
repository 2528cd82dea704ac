using System.Buffers;
using System.Buffers.Binary;
using RaftKV.StateMachine.Rdb;

namespace RaftKV.StateMachine.Functions;

/// <summary>
/// FUNCTION DUMP's payload in Redis 7.0's format: for each library RDB_OPCODE_FUNCTION2 (245) and its code as an RDB
/// string (uncompressed, which every 7.0 loads), then the RDB version (10, 2 bytes little-endian) and the CRC-64 of
/// everything before it (8 bytes little-endian). Libraries in ordinal name order, so equal states dump equal bytes.
/// </summary>
internal static class FunctionDumpPayload
{
    public const byte Function2Opcode = 245;

    public static byte[] Create(FunctionSet libraries)
    {
        var output = new ArrayBufferWriter<byte>();
        foreach (var library in libraries.Libraries)
        {
            output.GetSpan(1)[0] = Function2Opcode;
            output.Advance(1);
            RdbEncoding.WriteLength(output, (ulong)library.Code.Length);
            output.Write(library.Code);
        }

        BinaryPrimitives.WriteUInt16LittleEndian(output.GetSpan(2), DumpPayload.RdbVersion);
        output.Advance(2);
        BinaryPrimitives.WriteUInt64LittleEndian(output.GetSpan(8), Crc64.Compute(output.WrittenSpan));
        output.Advance(8);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>The libraries' codes of a payload, or null and Redis's error (without "ERR ").</summary>
    public static List<byte[]>? TryRead(byte[] payload, out string? error)
    {
        if (!DumpPayload.HasValidFooter(payload))
        {
            error = "DUMP payload version or checksum are wrong";
            return null;
        }

        var codes = new List<byte[]>();
        error = DumpPayloadReader.TryReadLibraries(payload.AsSpan(0, payload.Length - 10), codes);
        return error is null ? codes : null;
    }
}
