namespace RaftKV.StateMachine.Configuration;

/// <summary>
/// notify-keyspace-events: Redis's event class letters (notify.c) as flags, and back to the normal form Redis reports
/// (A for all the type classes together, then K, E and m), as redis-server 7.0.15 reports it in CONFIG GET.
/// </summary>
public static class KeyspaceEvents
{
    public const int Keyspace = 1 << 0;
    public const int Keyevent = 1 << 1;
    public const int Generic = 1 << 2;
    public const int String = 1 << 3;
    public const int List = 1 << 4;
    public const int Set = 1 << 5;
    public const int Hash = 1 << 6;
    public const int Zset = 1 << 7;
    public const int Expired = 1 << 8;
    public const int Evicted = 1 << 9;
    public const int Stream = 1 << 10;
    public const int KeyMiss = 1 << 11;
    public const int Module = 1 << 13;
    public const int New = 1 << 14;

    /// <summary>The classes 'A' stands for (not key-miss nor new, as in Redis).</summary>
    public const int All = Generic | String | List | Set | Hash | Zset | Expired | Evicted | Stream | Module;

    private static readonly (char Letter, int Flag)[] TypeClasses =
    [
        ('g', Generic), ('$', String), ('l', List), ('s', Set), ('h', Hash), ('z', Zset),
        ('x', Expired), ('e', Evicted), ('t', Stream), ('d', Module), ('n', New),
    ];

    public static bool TryParse(string classes, out int flags)
    {
        ArgumentNullException.ThrowIfNull(classes);
        flags = 0;
        foreach (var letter in classes)
        {
            var flag = letter switch
            {
                'A' => All,
                'K' => Keyspace,
                'E' => Keyevent,
                'm' => KeyMiss,
                _ => Array.Find(TypeClasses, c => c.Letter == letter).Flag,
            };
            if (flag == 0)
            {
                flags = 0;
                return false;
            }

            flags |= flag;
        }

        return true;
    }

    /// <summary>
    /// The form kept in the replicated configuration: <see cref="Format"/>, with 'n' added where Format drops it (next to
    /// A, as Redis's string does), so that the classes in effect are exactly those set.
    /// </summary>
    public static string StorageForm(int flags)
    {
        var text = Format(flags);
        return (flags & All) == All && (flags & New) != 0 ? text.Insert(1, "n") : text;
    }

    /// <summary>Redis's normal form (keyspaceEventsFlagsToString), as CONFIG GET reports it.</summary>
    public static string Format(int flags)
    {
        var text = new System.Text.StringBuilder();
        if ((flags & All) == All)
        {
            text.Append('A');
        }
        else
        {
            foreach (var (letter, flag) in TypeClasses)
            {
                if ((flags & flag) != 0)
                {
                    text.Append(letter);
                }
            }
        }

        if ((flags & Keyspace) != 0)
        {
            text.Append('K');
        }

        if ((flags & Keyevent) != 0)
        {
            text.Append('E');
        }

        if ((flags & KeyMiss) != 0)
        {
            text.Append('m');
        }

        return text.ToString();
    }
}
