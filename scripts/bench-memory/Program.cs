using System.Globalization;
using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine;
using RaftKV.StateMachine.Log;

// Bytes of managed heap per key, applied through KeyValueStore.Apply like the node does.
// Usage: dotnet run -c Release -- [keys=1000000] [kind=string|hash|expiring]
//   string:   SET key:<12 digits> xxx, the shape `redis-benchmark -t set -r N` writes (issue 7's RSS target)
//   expiring: the same with PXAT, so every key is also in the expiry index
//   hash:     HSET user:<i> name <..> age <..> city <..>, a small hash of 3 fields
var keys = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var kind = args.Length > 1 ? args[1] : "string";
static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

LogCommand Command(int i)
{
    var n = i.ToString(CultureInfo.InvariantCulture);
    return kind switch
    {
        "string" => new LogCommand(CommandId.Set, 1, 0, [B("key:" + i.ToString("D12", CultureInfo.InvariantCulture)), B("xxx")]),
        "expiring" => new LogCommand(CommandId.Set, 1, 0, [B("key:" + i.ToString("D12", CultureInfo.InvariantCulture)), B("xxx"), B("PXAT"), B((4_000_000_000_000L + i).ToString(CultureInfo.InvariantCulture))]),
        "hash" => new LogCommand(CommandId.Hset, 1, 0, [B("user:" + n), B("name"), B("n" + n), B("age"), B((i % 90).ToString(CultureInfo.InvariantCulture)), B("city"), B("c" + (i % 1000).ToString(CultureInfo.InvariantCulture))]),
        _ => throw new ArgumentException($"unknown kind {kind}: string, expiring or hash"),
    };
}

var before = GC.GetTotalMemory(forceFullCollection: true);
var store = new KeyValueStore();
for (var i = 0; i < keys; i++)
{
    store.Apply(Command(i));
}

var after = GC.GetTotalMemory(forceFullCollection: true);
var gc = GC.GetGCMemoryInfo();
GC.KeepAlive(store);
Console.WriteLine($"{keys} keys ({kind}): {(after - before) / (double)keys:F1} bytes per key ({(after - before) / 1024.0 / 1024.0:F1} MiB), store holds {store.KeyCount} keys");
Console.WriteLine($"GC: heap {gc.HeapSizeBytes / 1048576.0:F1} MiB, fragmented {gc.FragmentedBytes / 1048576.0:F1} MiB, committed {gc.TotalCommittedBytes / 1048576.0:F1} MiB; process working set {Environment.WorkingSet / 1048576.0:F1} MiB");
