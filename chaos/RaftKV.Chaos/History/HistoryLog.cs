using System.Text.Json;
using System.Text.Json.Serialization;

namespace RaftKV.Chaos.History;

/// <summary>
/// The run's history: appended to by clients and the nemesis from many threads, written as JSON lines as it grows
/// (so a crashed run still leaves a history), and read back for checking.
/// </summary>
internal sealed class HistoryLog : IDisposable
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly Lock _lock = new();
    private readonly List<Op> _ops = [];
    private readonly StreamWriter? _writer;
    private readonly Func<long> _clock;

    /// <param name="path">The JSON-lines file, or null to keep the history in memory only.</param>
    /// <param name="clock">Monotonic nanoseconds since the run began.</param>
    public HistoryLog(string? path, Func<long> clock)
    {
        _clock = clock;
        if (path is not null)
            _writer = new StreamWriter(path, append: false) { AutoFlush = false };
    }

    public int Count
    {
        get
        {
            lock (_lock)
                return _ops.Count;
        }
    }

    /// <summary>The clock the history stamps ops with: monotonic nanoseconds since the run began.</summary>
    public long Now => _clock();

    /// <summary>Stamps the op with the next index and the current time (under the lock, so times never go back).</summary>
    public Op Append(Op op)
    {
        lock (_lock)
        {
            var stamped = op with { Index = _ops.Count, Time = _clock() };
            _ops.Add(stamped);
            _writer?.WriteLine(JsonSerializer.Serialize(stamped, Json));
            return stamped;
        }
    }

    public IReadOnlyList<Op> Snapshot()
    {
        lock (_lock)
        {
            _writer?.Flush();
            return _ops.ToArray();
        }
    }

    public static IReadOnlyList<Op> Load(string path) =>
        File.ReadLines(path)
            .Where(l => l.Length > 0)
            .Select(l => JsonSerializer.Deserialize<Op>(l, Json) ?? throw new InvalidDataException("null op"))
            .ToArray();

    /// <summary>Pairs each client invocation with the next op of the same process; nemesis events are skipped.</summary>
    public static IReadOnlyList<OpPair> Pair(IEnumerable<Op> ops)
    {
        var pending = new Dictionary<int, int>();
        var pairs = new List<OpPair>();
        foreach (var op in ops)
        {
            if (op.IsNemesis)
                continue;
            if (op.Type == OpType.Invoke)
            {
                if (pending.ContainsKey(op.Process))
                    throw new InvalidDataException($"process {op.Process} invoked op {op.Index} while another was pending");
                pending[op.Process] = pairs.Count;
                pairs.Add(new OpPair(op, null));
            }
            else if (pending.Remove(op.Process, out var at))
            {
                pairs[at] = pairs[at] with { Completion = op };
            }
            else
            {
                throw new InvalidDataException($"op {op.Index}: completion without invocation for process {op.Process}");
            }
        }
        return pairs;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _writer?.Flush();
            _writer?.Dispose();
        }
    }
}
