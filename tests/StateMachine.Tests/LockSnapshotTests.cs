using System.Buffers.Binary;
using System.IO.Hashing;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Snapshots;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>Snapshot format version 2 (the lock table) and the digest's share of the locks.</summary>
public sealed class LockSnapshotTests
{
    // Snapshots on disk and in backups hold these bytes: changing them needs a new format version.
    // Version 1's golden bytes stay pinned by SnapshotTests.Read_Version1Golden_RestoresTheSameStore.
    // Version 6 (the string's encoding, 00, before its bytes): the key's revision (0: applied without a log index) after its expiry, and after the locks the revision
    // section (horizon 0, no tombstone), the script section (no script), the function section (no library) and the
    // cluster secret section (none: an empty string).
    private const string LockGoldenHex =
        "524B56534E415031" + "0600" + "0700000000000000" + "0300000000000000" + "E803000000000000" + "0100000000000000"
        + "00000000"
        + "010000006B" + "00" + "8813000000000000" + "0000000000000000" + "00" + "0100000076"
        + "0700000000000000" + "0100000000000000"
        + "010000004C" + "010000006F" + "0700000000000000" + "A00F000000000000" + "B80B000000000000"
        + "0000000000000000" + "00000000"
        + "00000000"
        + "00000000"
        + "00000000"
        + "00" + "0000000000000000" + "01000000" + "0700000064656661756C74" + "0000000000000000"
        + "15000000" + "6F6E206E6F70617373207E2A20262A202B40616C6C"
        + "AC2FCF1C88FBD236";

    // The same store in version 2, as nodes before version 3 wrote it: still read.
    private const string LockVersion2Hex =
        "524B56534E415031" + "0200" + "0700000000000000" + "0300000000000000" + "E803000000000000" + "0100000000000000"
        + "010000006B" + "00" + "8813000000000000" + "0100000076"
        + "0700000000000000" + "0100000000000000"
        + "010000004C" + "010000006F" + "0700000000000000" + "A00F000000000000" + "B80B000000000000"
        + "946A939E82CA1BB4";

    [Fact]
    public void Write_StoreWithALock_MatchesGoldenBytes()
    {
        var store = TinyStoreWithLock();
        Assert.Equal(LockGoldenHex, Convert.ToHexString(Snapshot(store)));
        var restored = Restore(Convert.FromHexString(LockGoldenHex)).Store;
        Assert.Equal(store.Digest(), restored.Digest());
        Assert.Equal(7, restored.Locks.LastToken);
        Assert.Equal("[\"o\", (integer) 7, (integer) 2000]", ReplyText.Render(restored.Read(CommandId.RaftkvLockOwner, [B("L")], 2000)));
    }

    [Fact]
    public void Read_Version2Golden_RestoresTheSameStore()
    {
        var store = TinyStoreWithLock();
        var restored = Restore(Convert.FromHexString(LockVersion2Hex)).Store;
        Assert.Equal(store.Digest(), restored.Digest());
        Assert.Equal(7, restored.Locks.LastToken);
        Assert.Equal(LockGoldenHex, Convert.ToHexString(Snapshot(restored)));
    }

    [Fact]
    public void Write_UsesVersion6_WithOrWithoutLocks()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1000, "k", "v");
        Assert.Equal(6, Version(Snapshot(store)));
        store.Apply(new LogCommand(CommandId.RaftkvLockAcquire, 1000, 0, [B("L"), B("o"), B("10")]), 4);
        Assert.Equal(6, Version(Snapshot(store)));
    }

    [Fact]
    public void Read_Version2_TruncatedOrAnyFlippedByte_Throws()
    {
        var bytes = Snapshot(TinyStoreWithLock());
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<SnapshotFormatException>(() => Restore(bytes[..length]));
        }

        for (var i = 0; i < bytes.Length; i++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x20;
            Assert.Throws<SnapshotFormatException>(() => Restore(damaged));
        }
    }

    [Theory]
    [InlineData(100, 8, "token")]      // token 8 above the last token 7
    [InlineData(100, 0, "token")]      // token 0
    [InlineData(123, 0x80, "ttl")]     // ttl negative
    [InlineData(8, 7, "version")]      // format version 7
    public void Read_Version2_WithAValidChecksumButBadContents_Throws(int offset, byte value, string word)
    {
        var bytes = Snapshot(TinyStoreWithLock());
        bytes[offset] = value;
        var exception = Assert.Throws<SnapshotFormatException>(() => Restore(WithChecksum(bytes)));
        Assert.Contains(word, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Version2_LocksOutOfOrder_Throws()
    {
        var store = new KeyValueStore();
        store.Apply(new LogCommand(CommandId.RaftkvLockAcquire, 1000, 0, [B("a"), B("o"), B("10")]), 1);
        store.Apply(new LogCommand(CommandId.RaftkvLockAcquire, 1000, 0, [B("b"), B("o"), B("10")]), 2);
        var bytes = Snapshot(store);
        var second = Array.LastIndexOf(bytes, (byte)'b');
        bytes[second] = (byte)'a';
        var exception = Assert.Throws<SnapshotFormatException>(() => Restore(WithChecksum(bytes)));
        Assert.Contains("out of order or repeated", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Digest_OfALockFreeStore_IsTheKeyspaceDigest_AndLocksChangeIt()
    {
        var keysOnly = new KeyValueStore();
        keysOnly.Apply(CommandId.Set, 1000, "L", "v");
        var withRead = new KeyValueStore();
        withRead.Apply(CommandId.Set, 1000, "L", "v");
        withRead.Apply(new LogCommand(CommandId.RaftkvLockRelease, 1000, 0, [B("L"), B("o")]));
        Assert.Equal(keysOnly.Digest(), withRead.Digest());

        var locked = TinyStoreWithLock();
        var digests = new List<string> { Convert.ToHexString(locked.Digest()) };
        foreach (var change in new[]
        {
            new LogCommand(CommandId.RaftkvLockRefresh, 1000, 0, [B("L"), B("o"), B("3001")]),
            new LogCommand(CommandId.RaftkvLockAcquire, 1000, 0, [B("M"), B("o"), B("3001")]),
            new LogCommand(CommandId.RaftkvLockRelease, 1000, 0, [B("M"), B("o")]),
            new LogCommand(CommandId.RaftkvLockRelease, 1000, 0, [B("L"), B("o")]),
        })
        {
            locked.Apply(change);
            digests.Add(Convert.ToHexString(locked.Digest()));
        }

        // Every lock change shows, and a released lock still leaves its token behind.
        Assert.Equal(digests.Count, digests.Distinct().Count());
        Assert.NotEqual(Convert.ToHexString(keysOnly.Digest()), digests[^1]);
    }

    [Fact]
    public void Digest_ALockAndAKeyOfTheSameName_AreUnrelated()
    {
        var store = TinyStoreWithLock();
        Assert.Equal(new byte[20], store.DigestValue(B("L")));
        var restored = Restore(Snapshot(store)).Store;
        Assert.Equal(store.Digest(), restored.Digest());
    }

    /// <summary>Key "k" (expires at 5000), lock "L" held by "o": token 7, lease end 4000, ttl 3000.</summary>
    internal static KeyValueStore TinyStoreWithLock()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1000, "k", "v", "PXAT", "5000");
        store.Apply(new LogCommand(CommandId.RaftkvLockAcquire, 1000, 0, [B("L"), B("o"), B("3000")]), 7);
        return store;
    }

    private static int Version(byte[] snapshot) => BinaryPrimitives.ReadUInt16LittleEndian(snapshot.AsSpan(8));

    private static byte[] WithChecksum(byte[] snapshot)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(snapshot.AsSpan(snapshot.Length - 8), XxHash64.HashToUInt64(snapshot.AsSpan(0, snapshot.Length - 8)));
        return snapshot;
    }
}
