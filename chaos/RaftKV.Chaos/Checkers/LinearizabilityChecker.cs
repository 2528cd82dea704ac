using System.Diagnostics;
using RaftKV.Chaos.History;

namespace RaftKV.Chaos.Checkers;

/// <summary>
/// Linearizability of a read/write register, checked per key with the Wing-Gong-Lowe search as Porcupine does it:
/// walk the call/return events in time order, linearize a pending call whenever the model accepts it, backtrack at
/// a return whose op was not linearized yet, and memoize (linearized set, state) pairs already explored.
/// Failed ops did not happen and are dropped; unknown (info) writes may take effect at any time after their call
/// (their return is at the end of time); reads without a value constrain nothing and are dropped.
/// The register starts nil; written values are unique positive numbers. A key whose search exceeds the time
/// budget makes the result Unknown, never a hang.
/// </summary>
internal sealed class LinearizabilityChecker(TimeSpan budgetPerKey) : IChecker
{
    private const long Nil = 0;

    public string Name => "linearizable-register";

    public CheckResult Check(IReadOnlyList<OpPair> ops)
    {
        var anomalies = new List<string>();
        var unknowns = new List<string>();
        var keys = 0;
        var checkedOps = 0;
        foreach (var group in ops.GroupBy(o => o.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            keys++;
            var relevant = group.Where(o => !o.IsFail && (o.F == "write" || o.IsOk)).ToList();
            checkedOps += relevant.Count;
            var finalRead = group.Any(o => o.F == "read" && o.IsOk && o.Invoke.Final == true);
            if (!finalRead && group.Any(o => o.F == "read" && o.Invoke.Final == true))
                unknowns.Add($"key {group.Key}: no final read succeeded");

            var written = relevant.Where(o => o.F == "write").Select(o => o.Argument ?? Nil).ToHashSet();
            foreach (var read in relevant.Where(o => o.F == "read" && (o.Result ?? Nil) != Nil && !written.Contains(o.Result ?? Nil)))
                anomalies.Add($"key {group.Key}: read a value never written (or only written by a failed write): {read}");
            if (anomalies.Count > 0)
                continue;

            var outcome = Search(relevant, budgetPerKey, out var detail);
            if (outcome == Verdict.Invalid)
                anomalies.Add($"key {group.Key}: not linearizable; {detail}");
            else if (outcome == Verdict.Unknown)
                unknowns.Add($"key {group.Key}: search gave up after {budgetPerKey.TotalSeconds} s ({relevant.Count} ops)");
        }
        return CheckResult.From(Name, $"{keys} keys, {checkedOps} ops linearizable", anomalies, unknowns);
    }

    private sealed class Entry
    {
        public bool IsCall;
        public int Id;
        public long Time;
        public OpPair Op = null!;
        public Entry? Match;
        public Entry? Prev;
        public Entry? Next;
    }

    /// <summary>Runs the search over one key's ops; <paramref name="detail"/> explains a failure.</summary>
    internal static Verdict Search(IReadOnlyList<OpPair> ops, TimeSpan budget, out string detail)
    {
        detail = "";
        var head = BuildList(ops);
        var n = ops.Count;
        var linearized = new ulong[(n + 63) / 64];
        var cache = new HashSet<(ulong[] Bits, long State)>(new CacheComparer());
        var calls = new Stack<(Entry Entry, long State)>();
        var state = Nil;
        var entry = head.Next;
        var clock = Stopwatch.StartNew();
        long steps = 0;
        var best = -1;
        OpPair? stuckAt = null;

        while (head.Next is not null)
        {
            if ((++steps & 0x3FF) == 0 && clock.Elapsed > budget)
                return Verdict.Unknown;
            if (entry!.IsCall)
            {
                if (Step(state, entry.Op, out var next))
                {
                    var bits = (ulong[])linearized.Clone();
                    bits[entry.Id >> 6] |= 1UL << (entry.Id & 63);
                    if (cache.Add((bits, next)))
                    {
                        calls.Push((entry, state));
                        state = next;
                        linearized = bits;
                        Lift(entry);
                        entry = head.Next;
                        continue;
                    }
                }
                entry = entry.Next;
            }
            else
            {
                if (calls.Count > best)
                {
                    best = calls.Count;
                    stuckAt = entry.Op;
                }
                if (calls.Count == 0)
                {
                    detail = $"linearized at most {best} of {n} ops; no order lets this op complete in time: {stuckAt}";
                    return Verdict.Invalid;
                }
                var (top, previous) = calls.Pop();
                state = previous;
                linearized = (ulong[])linearized.Clone();
                linearized[top.Id >> 6] &= ~(1UL << (top.Id & 63));
                Unlift(top);
                entry = top.Next;
            }
        }
        return Verdict.Valid;
    }

    private static bool Step(long state, OpPair op, out long next)
    {
        if (op.F == "write")
        {
            next = op.Argument ?? Nil;
            return true;
        }
        next = state;
        return (op.Result ?? Nil) == state;
    }

    private static Entry BuildList(IReadOnlyList<OpPair> ops)
    {
        var events = new List<Entry>(ops.Count * 2);
        for (var i = 0; i < ops.Count; i++)
        {
            var call = new Entry { IsCall = true, Id = i, Time = ops[i].Start, Op = ops[i] };
            var ret = new Entry { IsCall = false, Id = i, Time = ops[i].End, Op = ops[i] };
            call.Match = ret;
            events.Add(call);
            events.Add(ret);
        }
        // Calls sort before returns at equal times: ops that touch in time count as concurrent (the lenient reading).
        events.Sort((a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : a.IsCall == b.IsCall ? a.Id.CompareTo(b.Id) : a.IsCall ? -1 : 1);
        var head = new Entry();
        var last = head;
        foreach (var e in events)
        {
            last.Next = e;
            e.Prev = last;
            last = e;
        }
        return head;
    }

    private static void Lift(Entry call)
    {
        call.Prev!.Next = call.Next;
        call.Next!.Prev = call.Prev;
        var ret = call.Match!;
        ret.Prev!.Next = ret.Next;
        if (ret.Next is not null)
            ret.Next.Prev = ret.Prev;
    }

    private static void Unlift(Entry call)
    {
        var ret = call.Match!;
        ret.Prev!.Next = ret;
        if (ret.Next is not null)
            ret.Next.Prev = ret;
        call.Prev!.Next = call;
        call.Next!.Prev = call;
    }

    private sealed class CacheComparer : IEqualityComparer<(ulong[] Bits, long State)>
    {
        public bool Equals((ulong[] Bits, long State) x, (ulong[] Bits, long State) y) =>
            x.State == y.State && x.Bits.AsSpan().SequenceEqual(y.Bits);

        public int GetHashCode((ulong[] Bits, long State) obj)
        {
            var hash = new HashCode();
            hash.Add(obj.State);
            foreach (var word in obj.Bits)
                hash.Add(word);
            return hash.ToHashCode();
        }
    }
}
