using System.Diagnostics;
using RaftKV.Differential.Tests.Infrastructure;

namespace RaftKV.Differential.Tests;

/// <summary>
/// Sends the same commands to redis-server and to RaftKV (pipelined in batches, each side in order) and
/// finds the first reply that differs; shrinks a failing sequence to a short one that still fails.
/// </summary>
internal sealed class DifferentialRunner(Servers servers)
{
    private const int BatchSize = 200;

    /// <summary>The index of the first disagreeing reply and both replies, or null when all agree.</summary>
    public Mismatch? FindMismatch(IReadOnlyList<byte[][]> commands)
    {
        for (var start = 0; start < commands.Count; start += BatchSize)
        {
            var batch = commands.Skip(start).Take(BatchSize).ToList();
            var expected = servers.Redis.ExecuteMany(batch);
            var actual = servers.RaftKv.ExecuteMany(batch);
            for (var i = 0; i < batch.Count; i++)
            {
                if (!ReplyComparison.Agree(batch[i], expected[i], actual[i]))
                {
                    return new Mismatch(start + i, expected[i], actual[i]);
                }
            }
        }

        return null;
    }

    /// <summary>Empties both servers.</summary>
    /// <summary>Empties both servers and puts back the encoding thresholds the generator's CONFIG SETs change.</summary>
    public void Reset()
    {
        string[] defaults = ["CONFIG", "SET", "hash-max-listpack-entries", "512", "hash-max-listpack-value", "64",
            "zset-max-listpack-entries", "128", "zset-max-listpack-value", "64", "set-max-intset-entries", "512"];
        foreach (var server in new[] { servers.Redis, servers.RaftKv })
        {
            server.Execute("FLUSHALL");
            server.Execute("FUNCTION", "FLUSH");
            server.Execute(defaults);
        }
    }

    /// <summary>
    /// Delta debugging over the failing prefix: removes chunks of commands while the sequence still fails
    /// (replayed on emptied servers), within <paramref name="budget"/>. Returns the shortest failing sequence found.
    /// </summary>
    public List<byte[][]> Shrink(List<byte[][]> failing, TimeSpan budget)
    {
        var watch = Stopwatch.StartNew();
        var current = failing;
        var chunks = 2;
        while (current.Count > 1 && watch.Elapsed < budget)
        {
            var size = (int)Math.Ceiling(current.Count / (double)chunks);
            var reduced = false;
            for (var start = 0; start < current.Count && watch.Elapsed < budget; start += size)
            {
                var candidate = current.Take(start).Concat(current.Skip(start + size)).ToList();
                Reset();
                if (candidate.Count > 0 && FindMismatch(candidate) is { } mismatch)
                {
                    current = candidate.Take(mismatch.Index + 1).ToList();
                    chunks = Math.Max(chunks - 1, 2);
                    reduced = true;
                    break;
                }
            }

            if (!reduced)
            {
                if (size == 1)
                {
                    break;
                }

                chunks = Math.Min(current.Count, chunks * 2);
            }
        }

        return current;
    }

    public static string Describe(IEnumerable<byte[][]> commands) =>
        string.Join("\n", commands.Select(c => string.Join(" ", c.Select(a => RespValue.Quote(a)))));
}
