using System.Buffers;
using System.Globalization;
using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Snapshots;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Tests.Support;

/// <summary>
/// Runs a data-driven script against a store the way the node does: Validate first (errors never reach
/// the log), then writes (by the command table's flags) go through a LogEntryCodec round trip and Apply,
/// reads through Read at the current script time. With <c>logForm</c>, writes are first rewritten by
/// <see cref="KeyValueStore.ToLogForm"/> as the leader does (relative expiry times made absolute).
/// <code>
/// # comment
/// @time 1000              entry timestamp and read clock from now on (Unix ms)
/// @list key a b           put a list (also @set key m..., @hash key f v ..., @zset key score member ...)
/// @snapshot               replace the store by itself written to and read back from a snapshot
/// > SET k "a b"           a command; the next line is its expected reply (see <see cref="ReplyText"/>)
/// OK
/// </code>
/// </summary>
internal sealed class ScriptRunner(bool logForm = false)
{
    private long _time;
    private ulong _seed;

    public KeyValueStore Store { get; private set; } = new();

    public Reply Execute(byte[][] request)
    {
        if (!CommandTable.TryGet(request[0], out var spec))
        {
            throw new InvalidOperationException("Unknown command in script: " + Encoding.UTF8.GetString(request[0]));
        }

        var arguments = request[1..];
        if (spec.Id != CommandId.Function && KeyValueStore.Validate(spec.Id, arguments) is { } error)
        {
            return error;
        }

        // FUNCTION LOAD, DELETE, FLUSH and RESTORE are FUNCTION entries, as the node proposes them.
        var functionWrite = spec.Id == CommandId.Function && KeyValueStore.IsFunctionWrite(arguments);
        if (spec.Id == CommandId.Function && KeyValueStore.ValidateFunction(arguments) is { } functionError)
        {
            return functionError;
        }

        if (!spec.IsWrite && !functionWrite)
        {
            return Store.Read(spec.Id, arguments, Math.Max(_time, Store.Now));
        }

        var command = new LogCommand(spec.Id, _time, _seed++, arguments);
        var encoded = LogEntryCodec.Encode(logForm ? KeyValueStore.ToLogForm(command) : command);
        return Store.Apply(LogEntryCodec.Decode(new ReadOnlySequence<byte>(encoded)));
    }

    /// <summary>Runs the script and returns one message per mismatch (empty when all replies match).</summary>
    public List<string> Run(string name, string[] lines)
    {
        var failures = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.StartsWith('@'))
            {
                RunDirective(ScriptArguments.Split(line[1..]));
                continue;
            }

            if (!line.StartsWith("> ", StringComparison.Ordinal) || i + 1 >= lines.Length)
            {
                throw new FormatException($"{name}:{i + 1}: expected '> command' followed by a reply line.");
            }

            var actual = ReplyText.Render(Execute(ScriptArguments.Split(line[2..])));
            var expected = lines[++i].Trim();
            if (actual != expected)
            {
                failures.Add($"{name}:{i + 1}: {line}\n    expected: {expected}\n    actual:   {actual}");
            }
        }

        return failures;
    }

    private void RunDirective(byte[][] words)
    {
        var directive = Encoding.UTF8.GetString(words[0]);
        var rest = words[1..];
        switch (directive)
        {
            case "time":
                _time = long.Parse(Encoding.UTF8.GetString(rest[0]), CultureInfo.InvariantCulture);
                break;
            case "snapshot":
                using (var stream = new MemoryStream())
                {
                    SnapshotWriter.Write(Store, stream, 1, 1);
                    stream.Position = 0;
                    Store = SnapshotReader.Read(stream).Store;
                }

                break;
            case "list":
                var list = new ListValue();
                foreach (var item in rest[1..])
                {
                    list.PushBack(item);
                }

                Store.Keys.Put(rest[0], list, KeyEntry.NoExpiry);
                break;
            case "set":
                var set = SetValue.CreateFor(rest[1]);
                foreach (var member in rest[1..])
                {
                    set.Add(member);
                }

                Store.Keys.Put(rest[0], set, KeyEntry.NoExpiry);
                break;
            case "hash":
                var hash = new HashValue();
                for (var j = 1; j + 1 < rest.Length; j += 2)
                {
                    hash.ConvertIfAnyLong([rest[j], rest[j + 1]]);
                    hash.Set(rest[j], rest[j + 1]);
                }

                Store.Keys.Put(rest[0], hash, KeyEntry.NoExpiry);
                break;
            case "zset":
                var zset = new SortedSetValue();
                for (var j = 1; j + 1 < rest.Length; j += 2)
                {
                    zset.Set(rest[j + 1], double.Parse(Encoding.UTF8.GetString(rest[j]), CultureInfo.InvariantCulture));
                }

                Store.Keys.Put(rest[0], zset, KeyEntry.NoExpiry);
                break;
            default:
                throw new FormatException("Unknown script directive @" + directive);
        }
    }
}
