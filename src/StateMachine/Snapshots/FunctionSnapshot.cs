using System.Buffers;
using System.Text;
using RaftKV.StateMachine.Commands;
using RaftKV.StateMachine.Functions;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Snapshots;

/// <summary>
/// The function libraries' section of a snapshot (version 4, after the lock section; <see cref="SnapshotLayout"/>):
/// <code>
/// libraryCount:i32 | libraryCount * (name:string | code:string | functionCount:i32
///                    | functionCount * (name:string | hasDescription:u8 | description:string if 1 | flags:i32))
/// </code>
/// Libraries and their functions in ordinal name order. The registrations are stored beside the code so that a reader
/// needs no script engine: a replica compiles a library again from its code when a function of it is first called.
/// </summary>
internal static class FunctionSnapshot
{
    /// <summary>More libraries than any real deployment loads; a larger count is damage.</summary>
    private const int MaxLibraries = 1 << 20;

    public static void Write(CanonicalWriter writer, FunctionSet libraries)
    {
        writer.WriteInt32(libraries.LibraryCount);
        foreach (var library in libraries.Libraries)
        {
            writer.WriteString(Encoding.ASCII.GetBytes(library.Name));
            writer.WriteString(library.Code);
            writer.WriteInt32(library.Functions.Count);
            foreach (var function in library.Functions)
            {
                writer.WriteString(Encoding.ASCII.GetBytes(function.Name));
                writer.WriteByte(function.Description is null ? (byte)0 : (byte)1);
                if (function.Description is not null)
                {
                    writer.WriteString(function.Description);
                }

                writer.WriteInt32((int)function.Flags);
            }
        }
    }

    /// <summary>The section's bytes (taken at a snapshot's start, as the lock section).</summary>
    public static byte[] Encode(FunctionSet libraries)
    {
        var writer = new ArrayWriter();
        Write(writer, libraries);
        return writer.ToArray();
    }

    /// <summary>Reads the section into <paramref name="libraries"/>, refusing anything the writer would not produce.</summary>
    public static void Read(SnapshotInput reader, FunctionSet libraries)
    {
        var count = reader.ReadCount("function library count", MaxLibraries);
        string? previous = null;
        for (var i = 0; i < count; i++)
        {
            var offset = reader.Consumed;
            var name = reader.ReadString(256);
            var code = reader.ReadString(StringCommands.MaxStringLength);
            var functions = new List<FunctionInfo>();
            string? previousFunction = null;
            for (var n = reader.ReadCount("function count", int.MaxValue); n > 0; n--)
            {
                var functionName = reader.ReadString(StringCommands.MaxStringLength);
                var description = reader.ReadByte() switch
                {
                    0 => null,
                    1 => reader.ReadString(StringCommands.MaxStringLength),
                    _ => throw Corrupted(offset, "has a bad description marker"),
                };
                var flags = (FunctionFlags)reader.ReadInt32();
                var text = Encoding.ASCII.GetString(functionName);
                if (!LibraryMetadata.IsValidName(functionName) || (flags & ~FunctionFlagNames.Known) != 0
                    || (previousFunction is not null && string.CompareOrdinal(previousFunction, text) >= 0)
                    || libraries.FindFunction(text) is not null)
                {
                    throw Corrupted(offset, "has a function with a bad name, unknown flags, out of order or repeated");
                }

                functions.Add(new FunctionInfo(text, description, flags));
                previousFunction = text;
            }

            var libraryName = Encoding.ASCII.GetString(name);
            if (!LibraryMetadata.IsValidName(name) || functions.Count == 0
                || (previous is not null && string.CompareOrdinal(previous, libraryName) >= 0))
            {
                throw Corrupted(offset, "has a bad name, no functions, or is out of order or repeated");
            }

            libraries.Link(new FunctionLibrary(libraryName, code, functions));
            previous = libraryName;
        }
    }

    private static SnapshotFormatException Corrupted(long offset, string detail) =>
        new($"The snapshot is corrupted: the function library at byte {offset} {detail}.");

    private sealed class ArrayWriter : CanonicalWriter
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(256);

        public override void WriteBytes(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
    }
}
