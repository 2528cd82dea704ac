using System.Buffers;
using System.Text;
using RaftKV.StateMachine.Acl;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Snapshots;

/// <summary>
/// The ACL users' section of a snapshot (version 5, the last section; <see cref="SnapshotLayout"/>):
/// <code>
/// bootstrapped:u8 | lastGeneration:i64 | userCount:i32
/// | userCount * (name:string | generation:i64 | rules:string)
/// </code>
/// Users in ordinal name order; each user's rules are its ACL LIST description (flags, #password hashes, key and
/// channel patterns, command rules, selectors), which rebuild it exactly. No password is ever stored in clear.
/// </summary>
internal static class AclSnapshot
{
    private const int MaxUsers = 1 << 20;

    public static void Write(CanonicalWriter writer, AclUsers users)
    {
        writer.WriteByte(users.Bootstrapped ? (byte)1 : (byte)0);
        writer.WriteInt64(users.LastGeneration);
        writer.WriteInt32(users.Ordered.Count);
        foreach (var user in users.Ordered)
        {
            writer.WriteString(Encoding.Latin1.GetBytes(user.Name));
            writer.WriteInt64(user.Generation);
            writer.WriteString(Encoding.Latin1.GetBytes(user.Describe()));
        }
    }

    public static byte[] Encode(AclUsers users)
    {
        var writer = new ArrayWriter();
        Write(writer, users);
        return writer.ToArray();
    }

    /// <summary>Reads the section into <paramref name="table"/>, refusing anything the writer would not produce.</summary>
    public static void Read(SnapshotInput reader, AclTable table)
    {
        var bootstrapped = reader.ReadByte() switch
        {
            0 => false,
            1 => true,
            var other => throw Corrupted($"the ACL bootstrap marker is {other}"),
        };
        var lastGeneration = reader.ReadInt64();
        var count = reader.ReadCount("ACL user count", MaxUsers);
        var users = new List<AclUser>(count);
        string? previous = null;
        for (var i = 0; i < count; i++)
        {
            var offset = reader.Consumed;
            var name = Encoding.Latin1.GetString(reader.ReadString(1 << 20));
            var generation = reader.ReadInt64();
            var rules = Encoding.Latin1.GetString(reader.ReadString(1 << 26));
            if ((previous is not null && string.CompareOrdinal(previous, name) >= 0) || generation < 0 || generation > lastGeneration
                || AclTable.Recreate(name, generation, rules) is not { } user)
            {
                throw Corrupted($"ACL user at byte {offset} is out of order, repeated or has rules that do not apply");
            }

            users.Add(user);
            previous = name;
        }

        if (!users.Exists(static u => u.Name == AclTable.DefaultUserName))
        {
            throw Corrupted("the ACL users lack the default user");
        }

        table.Load(users, bootstrapped, lastGeneration);
    }

    private static SnapshotFormatException Corrupted(string detail) => new("The snapshot is corrupted: " + detail + ".");

    private sealed class ArrayWriter : CanonicalWriter
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(256);

        public override void WriteBytes(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
    }
}
