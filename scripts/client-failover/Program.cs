// Measures how long StackExchange.Redis takes to write again after the leader is killed (SIGKILL by this program, so
// the clock starts at the kill itself). Used by scripts/client-failover.sh; prints one line "<ms> <outcome>".
//   dotnet ClientFailover.dll <host:port,host:port,...> <leader-pid>
// A ConnectionMultiplexer with default options given every node.
using System.Diagnostics;
using StackExchange.Redis;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: ClientFailover <host:port,...> <leader-pid>");
    return 2;
}

var configuration = args[0];
ConnectionMultiplexer redis;
try
{
    redis = await ConnectionMultiplexer.ConnectAsync(configuration);
}
catch (RedisException e)
{
    Console.WriteLine($"n/a: could not connect ({e.Message.Split('\n')[0]}); leader not killed");
    return 1;
}

using var connection = redis;
var db = redis.GetDatabase();
var clock = Stopwatch.StartNew();
// CLIENT_FAILOVER_TRACE=1: what the client saw, on stderr, in ms since it connected.
var trace = Environment.GetEnvironmentVariable("CLIENT_FAILOVER_TRACE") == "1";
if (trace)
{
    redis.ConfigurationChangedBroadcast += (_, e) => Console.Error.WriteLine($"{clock.ElapsedMilliseconds} broadcast from {e.EndPoint}");
    redis.ConfigurationChanged += (_, e) => Console.Error.WriteLine($"{clock.ElapsedMilliseconds} configuration changed {e.EndPoint}");
    redis.ConnectionFailed += (_, e) => Console.Error.WriteLine($"{clock.ElapsedMilliseconds} connection failed {e.EndPoint} {e.ConnectionType}");
    redis.ConnectionRestored += (_, e) => Console.Error.WriteLine($"{clock.ElapsedMilliseconds} connection restored {e.EndPoint} {e.ConnectionType}");
    foreach (var endpoint in redis.GetEndPoints())
        Console.Error.WriteLine($"{endpoint}: {(redis.GetServer(endpoint).IsReplica ? "replica" : "primary")} protocol {redis.GetServer(endpoint).Protocol}");
}

// Writes before the kill, so the client is in its steady state (every connection up, the primary known).
var warm = Stopwatch.StartNew();
var warmWrites = 0;
while (warm.Elapsed < TimeSpan.FromSeconds(2))
{
    try
    {
        await db.StringSetAsync("client-failover", warmWrites);
        warmWrites++;
    }
    catch (RedisException e)
    {
        Console.Error.WriteLine($"write before the kill failed: {e.Message}");
        await Task.Delay(100);
    }
}

if (warmWrites == 0)
{
    Console.WriteLine("n/a: no write succeeded before the kill (leader not killed)");
    return 1;
}

var limit = TimeSpan.FromSeconds(90);
// CLIENT_FAILOVER_EVERY_MS=n: after the kill, a write is started every n ms without waiting for the previous one (an
// application under load), instead of one after another; the figure is the first of them to succeed. One after
// another, a write queued for the dead leader waits out the client's own timeout (5 s) before the next is tried.
if (int.TryParse(Environment.GetEnvironmentVariable("CLIENT_FAILOVER_EVERY_MS"), out var everyMs) && everyMs > 0)
    return await ConcurrentAsync(db, args[1], everyMs, limit);

Process.GetProcessById(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture)).Kill();
var sinceKill = Stopwatch.StartNew();
Console.Error.WriteLine($"{clock.ElapsedMilliseconds} killed the leader");
var failures = 0;
while (sinceKill.Elapsed < limit)
{
    try
    {
        await db.StringSetAsync("client-failover", $"after-kill-{failures}");
        Console.WriteLine($"{sinceKill.ElapsedMilliseconds} ok after {failures} failed writes");
        return 0;
    }
    catch (Exception e) when (e is RedisException or TimeoutException)
    {
        if (failures++ == 0 || trace)
            Console.Error.WriteLine($"{clock.ElapsedMilliseconds} failure after the kill: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        await Task.Delay(10);
    }
}

Console.WriteLine($"{sinceKill.ElapsedMilliseconds} no successful write within {limit.TotalSeconds:F0} s ({failures} failed writes)");
return 1;

static async Task<int> ConcurrentAsync(IDatabase db, string pid, int everyMs, TimeSpan limit)
{
    Process.GetProcessById(int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture)).Kill();
    var sinceKill = Stopwatch.StartNew();
    var first = new TaskCompletionSource<long>();
    var started = 0;
    var failed = 0;
    while (!first.Task.IsCompleted && sinceKill.Elapsed < limit)
    {
        var n = started++;
        _ = db.StringSetAsync("client-failover", $"after-kill-{n}").ContinueWith(
            t =>
            {
                if (t.IsCompletedSuccessfully)
                    first.TrySetResult(sinceKill.ElapsedMilliseconds);
                else
                    Interlocked.Increment(ref failed);
            },
            TaskScheduler.Default);
        await Task.WhenAny(first.Task, Task.Delay(everyMs));
    }

    if (!first.Task.IsCompleted)
    {
        Console.WriteLine($"{sinceKill.ElapsedMilliseconds} no successful write within {limit.TotalSeconds:F0} s");
        return 1;
    }

    Console.WriteLine($"{await first.Task} ok (a write started every {everyMs} ms; {started} started, {Volatile.Read(ref failed)} failed by then)");
    return 0;
}
