using System.Buffers;
using System.Buffers.Binary;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Log;

namespace RaftKV.StateMachine.Transactions;

/// <summary>
/// EXEC's log entry (<see cref="CommandId.Transaction"/>): the WATCH conditions and the queued commands, applied on
/// every replica together or not at all. Arguments: a 4-byte little-endian watch count N; N pairs of (key, 9 bytes:
/// revision as i64 little-endian and 1 when the key was live at WATCH, else 0); then each queued command as a whole
/// encoded entry (<see cref="LogEntryCodec"/>, in the form <see cref="KeyValueStore.ToLogForm"/> gives it at the
/// entry's time), in the order the client queued them.
/// </summary>
public sealed class TransactionEntry
{
    private const int ConditionLength = sizeof(long) + 1;

    private TransactionEntry(IReadOnlyList<WatchedKey> watches, IReadOnlyList<LogCommand> commands)
    {
        Watches = watches;
        Commands = commands;
    }

    public IReadOnlyList<WatchedKey> Watches { get; }

    public IReadOnlyList<LogCommand> Commands { get; }

    /// <summary>The entry for <paramref name="commands"/> under <paramref name="watches"/>, at <paramref name="timestampMs"/>.</summary>
    public static LogCommand Encode(long timestampMs, ulong seed, IReadOnlyList<WatchedKey> watches, IReadOnlyList<LogCommand> commands)
    {
        ArgumentNullException.ThrowIfNull(watches);
        ArgumentNullException.ThrowIfNull(commands);
        var args = new byte[1 + 2 * watches.Count + commands.Count][];
        args[0] = new byte[sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(args[0], watches.Count);
        for (var i = 0; i < watches.Count; i++)
        {
            var condition = new byte[ConditionLength];
            BinaryPrimitives.WriteInt64LittleEndian(condition, watches[i].Revision);
            condition[sizeof(long)] = watches[i].WasLive ? (byte)1 : (byte)0;
            args[1 + 2 * i] = watches[i].Key;
            args[2 + 2 * i] = condition;
        }

        for (var i = 0; i < commands.Count; i++)
        {
            args[1 + 2 * watches.Count + i] = LogEntryCodec.Encode(commands[i]);
        }

        return new LogCommand(CommandId.Transaction, timestampMs, seed, args);
    }

    /// <summary>Reads a Transaction entry; false (with the reason) when its arguments are malformed.</summary>
    public static bool TryDecode(LogCommand entry, out TransactionEntry? transaction, out string? error)
    {
        ArgumentNullException.ThrowIfNull(entry);
        transaction = null;
        error = null;
        var args = entry.Arguments;
        if (args.Length == 0 || args[0].Length != sizeof(int))
        {
            error = "ERR malformed transaction entry";
            return false;
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(args[0]);
        if (count < 0 || count > (args.Length - 1) / 2)
        {
            error = "ERR malformed transaction entry";
            return false;
        }

        var watches = new WatchedKey[count];
        for (var i = 0; i < count; i++)
        {
            var condition = args[2 + 2 * i];
            if (condition.Length != ConditionLength || condition[sizeof(long)] > 1)
            {
                error = "ERR malformed transaction entry";
                return false;
            }

            watches[i] = new WatchedKey(args[1 + 2 * i], BinaryPrimitives.ReadInt64LittleEndian(condition), condition[sizeof(long)] == 1);
        }

        var commands = new LogCommand[args.Length - 1 - 2 * count];
        try
        {
            for (var i = 0; i < commands.Length; i++)
            {
                commands[i] = LogEntryCodec.Decode(new ReadOnlySequence<byte>(args[1 + 2 * count + i]));
            }
        }
        catch (LogEntryFormatException)
        {
            error = "ERR log entry could not be decoded";
            return false;
        }

        transaction = new TransactionEntry(watches, commands);
        return true;
    }
}
