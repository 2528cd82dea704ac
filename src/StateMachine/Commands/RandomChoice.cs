using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// The shared parts of SPOP, SRANDMEMBER, HRANDFIELD and ZRANDMEMBER: Redis 7.0's count parsing, and
/// choosing positions among a collection's members in canonical order with a seeded generator, so that
/// a write (SPOP) removes the same members on every replica.
/// </summary>
internal static class RandomChoice
{
    /// <summary>
    /// Replies larger than this many elements are refused (Redis would try to build them and run out of
    /// memory; a replica must not).
    /// </summary>
    public const long MaxReplyElements = 1 << 24;

    /// <summary>
    /// Parses SRANDMEMBER/HRANDFIELD/ZRANDMEMBER's <c>count [WITH...]</c> (args[1..]) as Redis 7.0 does.
    /// <paramref name="withWord"/> is WITHVALUES or WITHSCORES, or empty when the command has none.
    /// </summary>
    public static bool TryParseCount(byte[][] args, ReadOnlySpan<byte> withWord, out long count, out bool with, out Reply? error)
    {
        count = 0;
        with = false;
        error = null;
        if (!RedisIntegers.TryParse(args[1], out count))
        {
            error = Reply.Error(ErrorTexts.NotInteger);
            return false;
        }

        if (count == long.MinValue)
        {
            error = Reply.Error(ErrorTexts.OutOfRangeLong);
            return false;
        }

        if (args.Length > 3 || (args.Length == 3 && (withWord.IsEmpty || !Keyword.Is(args[2], withWord))))
        {
            error = Reply.Error(ErrorTexts.Syntax);
            return false;
        }

        with = args.Length == 3;
        if (with && (count < -long.MaxValue / 2 || count > long.MaxValue / 2))
        {
            error = Reply.Error(ErrorTexts.OutOfRange);
            return false;
        }

        if (Math.Abs(count) > MaxReplyElements && count < 0)
        {
            error = Reply.Error(ErrorTexts.OutOfRange);
            return false;
        }

        return true;
    }

    /// <summary>
    /// <paramref name="count"/> distinct positions in [0, <paramref name="size"/>), in random order: the first
    /// <paramref name="count"/> steps of a Fisher-Yates shuffle of 0..size-1, with only the positions it moved kept (a
    /// dictionary), so a few members of a large collection cost the few, not an array of all its positions (4 MB per call
    /// on a 1M-member set). The positions drawn are those the whole array gave.
    /// </summary>
    public static int[] Distinct(int size, int count, DeterministicRandom random)
    {
        var moved = new Dictionary<int, int>(Math.Min(count, size) * 2);
        var positions = new int[count];
        for (var i = 0; i < count; i++)
        {
            var j = i + random.Next(size - i);
            var atJ = moved.TryGetValue(j, out var a) ? a : j;
            var atI = moved.TryGetValue(i, out var b) ? b : i;
            positions[i] = atJ;
            moved[j] = atI;
        }

        return positions;
    }

    /// <summary><paramref name="count"/> positions in [0, <paramref name="size"/>), repetitions allowed.</summary>
    public static int[] WithRepetition(int size, long count, DeterministicRandom random)
    {
        var positions = new int[count];
        for (var i = 0; i < positions.Length; i++)
        {
            positions[i] = random.Next(size);
        }

        return positions;
    }
}
