using System.Globalization;
using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine;
using RaftKV.StateMachine.Log;

// Bytes of managed heap per key, applied through KeyValueStore.Apply like the node does.
// Usage: dotnet run -c Release -- [keys=1000000] [kind=string|hash|expiring|set|set-scanned|bighash|bighash-scanned|zset|zset-scanned]
//   string:   SET key:<12 digits> xxx, the shape `redis-benchmark -t set -r N` writes (issue 7's RSS target)
//   expiring: the same with PXAT, so every key is also in the expiry index
//   hash:     HSET user:<i> name <..> age <..> city <..>, a small hash of 3 fields
//   set, bighash, zset: one key holding that many members m:<12 digits> (the figure is bytes per member); with
//   -scanned, after one SSCAN/HSCAN/ZSCAN call, which builds the container's scan index (ElementScanIndex)
var keys = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var kind = args.Length > 1 ? args[1] : "string";
var scanned = kind.EndsWith("-scanned", StringComparison.Ordinal);
var shape = scanned ? kind[..^"-scanned".Length] : kind;
static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

LogCommand Command(int i)
{
    var n = i.ToString(CultureInfo.InvariantCulture);
    var member = B("m:" + i.ToString("D12", CultureInfo.InvariantCulture));
    return shape switch
    {
        "string" => new LogCommand(CommandId.Set, 1, 0, [B("key:" + i.ToString("D12", CultureInfo.InvariantCulture)), B("xxx")]),
        "expiring" => new LogCommand(CommandId.Set, 1, 0, [B("key:" + i.ToString("D12", CultureInfo.InvariantCulture)), B("xxx"), B("PXAT"), B((4_000_000_000_000L + i).ToString(CultureInfo.InvariantCulture))]),
        "hash" => new LogCommand(CommandId.Hset, 1, 0, [B("user:" + n), B("name"), B("n" + n), B("age"), B((i % 90).ToString(CultureInfo.InvariantCulture)), B("city"), B("c" + (i % 1000).ToString(CultureInfo.InvariantCulture))]),
        "set" => new LogCommand(CommandId.Sadd, 1, 0, [B("big"), member]),
        "bighash" => new LogCommand(CommandId.Hset, 1, 0, [B("big"), member, B("xxx")]),
        "zset" => new LogCommand(CommandId.Zadd, 1, 0, [B("big"), B(n), member]),
        _ => throw new ArgumentException($"unknown kind {kind}: string, expiring, hash, set, bighash or zset, the last three optionally -scanned"),
    };
}

var before = GC.GetTotalMemory(forceFullCollection: true);
var store = new KeyValueStore();
for (var i = 0; i < keys; i++)
{
    store.Apply(Command(i));
}

if (scanned)
{
    var scan = shape switch { "set" => CommandId.Sscan, "bighash" => CommandId.Hscan, _ => CommandId.Zscan };
    var watch = System.Diagnostics.Stopwatch.StartNew();
    store.Read(scan, [B("big"), B("0")], 1);
    var first = watch.Elapsed.TotalMilliseconds;
    watch.Restart();
    for (var call = 0; call < 1000; call++)
    {
        store.Read(scan, [B("big"), B(((ulong)call * 18_446_744_073_709UL).ToString(CultureInfo.InvariantCulture)), B("COUNT"), B("10")], 1);
    }

    Console.WriteLine($"first scan call (builds the index) {first:F0} ms; then {watch.Elapsed.TotalMilliseconds:F1} us per call with COUNT 10");
}

var after = GC.GetTotalMemory(forceFullCollection: true);
var gc = GC.GetGCMemoryInfo();
GC.KeepAlive(store);
Console.WriteLine($"{keys} keys ({kind}): {(after - before) / (double)keys:F1} bytes per key ({(after - before) / 1024.0 / 1024.0:F1} MiB), store holds {store.KeyCount} keys");
Console.WriteLine($"GC: heap {gc.HeapSizeBytes / 1048576.0:F1} MiB, fragmented {gc.FragmentedBytes / 1048576.0:F1} MiB, committed {gc.TotalCommittedBytes / 1048576.0:F1} MiB; process working set {Environment.WorkingSet / 1048576.0:F1} MiB");
