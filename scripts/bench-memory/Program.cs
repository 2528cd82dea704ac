using System.Globalization;
using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine;
using RaftKV.StateMachine.Log;

// Bytes of managed heap per key for N small hashes (3 fields, as "HSET user:<i> name <..> age <..> city <..>"),
// applied through KeyValueStore.Apply like the node does. Usage: dotnet run -c Release -- [keys]
var keys = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

var before = GC.GetTotalMemory(forceFullCollection: true);
var store = new KeyValueStore();
for (var i = 0; i < keys; i++)
{
    var n = i.ToString(CultureInfo.InvariantCulture);
    store.Apply(new LogCommand(CommandId.Hset, 1, 0, [B("user:" + n), B("name"), B("n" + n), B("age"), B((i % 90).ToString(CultureInfo.InvariantCulture)), B("city"), B("c" + (i % 1000).ToString(CultureInfo.InvariantCulture))]));
}

var after = GC.GetTotalMemory(forceFullCollection: true);
GC.KeepAlive(store);
Console.WriteLine($"{keys} hashes of 3 fields: {(after - before) / (double)keys:F1} bytes per key ({(after - before) / 1024.0 / 1024.0:F1} MiB), store holds {store.KeyCount} keys");
