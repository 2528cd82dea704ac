using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// Fencing tokens and lease safety of RAFTKV.LOCK.* beyond the replies in Scripts/locks.txt: tokens from log
/// indexes, within a batch and across snapshots; reclaiming expired locks; a new leader's lease extension.
/// </summary>
public sealed class LockTests
{
    [Fact]
    public void Acquire_TokenIsTheEntryIndex_WhenItExceedsTheLastToken()
    {
        var store = new KeyValueStore();
        Assert.Equal(10, Token(store.Apply(Acquire(1000, "a", "x"), 10)));
        Assert.Equal(25, Token(store.Apply(Acquire(1000, "b", "x"), 25)));
        Assert.Equal(25, store.Locks.LastToken);
    }

    [Fact]
    public void Acquire_SeveralInOneBatchEntry_GetStrictlyIncreasingTokens()
    {
        var store = new KeyValueStore();
        // One Raft entry at index 40 holding three acquires, then the next entry at 41: index 41 is taken already.
        Assert.Equal(40, Token(store.Apply(Acquire(1000, "a", "x"), 40)));
        Assert.Equal(41, Token(store.Apply(Acquire(1000, "b", "x"), 40)));
        Assert.Equal(42, Token(store.Apply(Acquire(1000, "c", "x"), 40)));
        Assert.Equal(43, Token(store.Apply(Acquire(1000, "d", "x"), 41)));
        Assert.Equal(44, Token(store.Apply(Acquire(1000, "e", "x"))));
        Assert.Equal(90, Token(store.Apply(Acquire(1000, "f", "x"), 90)));
    }

    [Fact]
    public void Acquire_FailedOrRepeated_UsesNoToken()
    {
        var store = new KeyValueStore();
        Assert.Equal(5, Token(store.Apply(Acquire(1000, "a", "x"), 5)));
        Assert.Equal(5, Token(store.Apply(Acquire(1000, "a", "x"), 6)));
        Assert.IsType<ErrorReply>(store.Apply(Acquire(1000, "a", "y"), 7));
        Assert.Equal(5, store.Locks.LastToken);
        Assert.Equal(8, Token(store.Apply(Acquire(1000, "b", "y"), 8)));
    }

    [Fact]
    public void Acquire_AfterExpiry_BySameOwner_IsANewGrantWithANewToken()
    {
        var store = new KeyValueStore();
        Assert.Equal(3, Token(store.Apply(Acquire(1000, "a", "x", ttl: 100), 3)));
        Assert.Equal(4, Token(store.Apply(Acquire(1100, "a", "x", ttl: 100), 4)));
    }

    [Fact]
    public void Tokens_NeverGoBackAfterSnapshotRestore_EvenWithNoLockLeft()
    {
        var store = new KeyValueStore();
        Assert.Equal(50, Token(store.Apply(Acquire(1000, "a", "x"), 50)));
        store.Apply(Command(CommandId.RaftkvLockRelease, 1000, "a", "x"), 51);
        Assert.Equal(0, store.Locks.Count);

        var restored = Restore(Snapshot(store)).Store;
        Assert.Equal(50, restored.Locks.LastToken);
        Assert.Equal(store.Digest(), restored.Digest());
        // A replay from an older index (or none) still continues after the last token.
        Assert.Equal(51, Token(restored.Apply(Acquire(1000, "a", "y"), 20)));
        Assert.Equal(52, Token(restored.Apply(Acquire(1000, "b", "y"))));
    }

    [Fact]
    public void WrongOwner_ChangesNothing()
    {
        var store = new KeyValueStore();
        store.Apply(Acquire(1000, "a", "x"), 1);
        store.Apply(Acquire(1000, "old", "x", ttl: 10), 2);
        store.Apply(Command(CommandId.NoOp, 2000));
        var before = Snapshot(store);
        // At 2000 "old" has expired: a refused command must not reclaim it either.
        Assert.IsType<ErrorReply>(store.Apply(Acquire(2000, "a", "y"), 3));
        Assert.IsType<ErrorReply>(store.Apply(Command(CommandId.RaftkvLockRelease, 2000, "a", "y"), 4));
        Assert.IsType<ErrorReply>(store.Apply(Command(CommandId.RaftkvLockRefresh, 2000, "a", "y", "5000"), 5));
        Assert.IsType<ErrorReply>(store.Apply(Acquire(2000, "b", "x", ttl: 0), 6));
        Assert.Equal(before, Snapshot(store));
    }

    [Fact]
    public void Acquire_ReclaimsABoundedNumberOfExpiredLocks_EarliestFirst()
    {
        var store = new KeyValueStore();
        for (var i = 0; i < 20; i++)
        {
            store.Apply(Acquire(1000, "lock" + i, "x", ttl: 1000 + (19 - i)));
        }

        store.Apply(Acquire(5000, "fresh", "x"));
        // The 16 with the earliest lease ends (lock19 .. lock4) are gone; lock3 .. lock0 wait for the next grant.
        Assert.Equal(["fresh", "lock0", "lock1", "lock2", "lock3"], store.Locks.InOrder().Select(l => System.Text.Encoding.UTF8.GetString(l.Name)));
        Assert.Equal("(nil)", ReplyText.Render(store.Read(CommandId.RaftkvLockOwner, [B("lock0")], 5000)));
    }

    [Fact]
    public void Release_OfAnExpiredLock_RemovesItAndRepliesZero()
    {
        var store = new KeyValueStore();
        store.Apply(Acquire(1000, "a", "x", ttl: 10));
        Assert.Equal("(integer) 0", ReplyText.Render(store.Apply(Command(CommandId.RaftkvLockRelease, 1010, "a", "x"))));
        Assert.Equal(0, store.Locks.Count);
    }

    [Fact]
    public void Owner_AsARead_UsesTheLaterOfTheReadClockAndTheStoreClock()
    {
        var store = new KeyValueStore();
        store.Apply(Acquire(1000, "a", "x", ttl: 1000), 7);
        Assert.Equal("[\"x\", (integer) 7, (integer) 1000]", ReplyText.Render(store.Read(CommandId.RaftkvLockOwner, [B("a")], 500)));
        Assert.Equal("[\"x\", (integer) 7, (integer) 400]", ReplyText.Render(store.Read(CommandId.RaftkvLockOwner, [B("a")], 1600)));
        Assert.Equal("(nil)", ReplyText.Render(store.Read(CommandId.RaftkvLockOwner, [B("a")], 2000)));
        Assert.Equal(1, store.Locks.Count);
        Assert.StartsWith("(error) ERR 'raftkv.lock.acquire' is a write command", ReplyText.Render(store.Read(CommandId.RaftkvLockAcquire, [B("a"), B("x"), B("1")], 1000)));
    }

    [Fact]
    public void LeaseExtend_NewLeaderClockAhead_DoesNotFreeAHeldLockEarly()
    {
        var store = new KeyValueStore();
        store.Apply(Acquire(1000, "a", "x", ttl: 1000));
        store.Apply(Command(CommandId.NoOp, 1500));
        // The new leader's clock reads 5000: without the extension "a" (lease end 2000) would be free at once.
        Assert.Equal("(integer) 1", ReplyText.Render(store.Apply(Command(CommandId.LockLeaseExtend, 5000))));
        Assert.Equal("[\"x\", (integer) 1, (integer) 1000]", ReplyText.Render(store.Read(CommandId.RaftkvLockOwner, [B("a")], 5000)));
        Assert.IsType<ErrorReply>(store.Apply(Acquire(5500, "a", "y")));
        Assert.Equal(2, Token(store.Apply(Acquire(6000, "a", "y"))));
    }

    [Fact]
    public void LeaseExtend_ExtendsHeldLocksByTheirTtl_OnlyLater_AndLeavesExpiredOnesFree()
    {
        var store = new KeyValueStore();
        store.Apply(Acquire(1000, "short", "x", ttl: 100));
        store.Apply(Acquire(1000, "held", "x", ttl: 1000));
        // A re-acquire with a shorter ttl keeps the longer lease but remembers the shorter ttl.
        store.Apply(Acquire(1000, "long", "x", ttl: 60_000));
        store.Apply(Acquire(1000, "long", "x", ttl: 100));
        store.Apply(Command(CommandId.NoOp, 1500));
        // A new leader whose clock is behind: the store's clock stays 1500, "held" still gets a whole ttl.
        Assert.Equal("(integer) 1", ReplyText.Render(store.Apply(Command(CommandId.LockLeaseExtend, 900))));
        Assert.Equal(1500, store.Now);
        Assert.Equal(2500, store.Locks.Find(B("held"))!.ExpireAtMs);
        Assert.Equal(61_000, store.Locks.Find(B("long"))!.ExpireAtMs);
        Assert.Equal(1100, store.Locks.Find(B("short"))!.ExpireAtMs);
        Assert.Equal("(nil)", ReplyText.Render(store.Read(CommandId.RaftkvLockOwner, [B("short")], 1500)));
    }

    [Fact]
    public void LeaseExtend_IsInternal_AndTakesNoArguments()
    {
        var store = new KeyValueStore();
        Assert.Equal("(integer) 0", ReplyText.Render(store.Apply(Command(CommandId.LockLeaseExtend, 1000))));
        Assert.StartsWith("(error) ERR wrong number of arguments", ReplyText.Render(store.Apply(Command(CommandId.LockLeaseExtend, 1000, "x"))));
        Assert.StartsWith("(error) ERR 'lockleaseextend' is a write command", ReplyText.Render(store.Read(CommandId.LockLeaseExtend, [], 1000)));
        Assert.False(CommandTable.TryGet(CommandId.LockLeaseExtend, out _));
    }

    [Fact]
    public void Apply_NegativeIndex_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeyValueStore().Apply(Acquire(1, "a", "x"), -1));
    }

    private static LogCommand Acquire(long time, string name, string owner, long ttl = 10_000) =>
        Command(CommandId.RaftkvLockAcquire, time, name, owner, ttl.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static LogCommand Command(CommandId command, long time, params string[] arguments) =>
        new(command, time, 0, [.. arguments.Select(B)]);

    private static long Token(Reply reply) => Assert.IsType<IntegerReply>(reply).Value;
}
