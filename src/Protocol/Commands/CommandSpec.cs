namespace RaftKV.Protocol.Commands;

/// <summary>
/// What the command table knows of one command. <see cref="Arity"/> follows Redis: positive means exactly
/// that many arguments including the name, negative means at least -Arity. Key positions follow
/// COMMAND INFO: <see cref="FirstKey"/> and <see cref="LastKey"/> are argument indexes (name = 0),
/// LastKey -1 means the last argument, and <see cref="KeyStep"/> is the distance between keys;
/// FirstKey 0 means the command has no keys.
/// </summary>
public sealed record CommandSpec(
    string Name,
    CommandId Id,
    int Arity,
    CommandFlags Flags,
    int FirstKey = 0,
    int LastKey = 0,
    int KeyStep = 0)
{
    public bool IsWrite => (Flags & CommandFlags.Write) != 0;

    public bool IsRead => (Flags & CommandFlags.Read) != 0;

    /// <summary>The ACL categories Redis 7.0 gives the command (RaftKV's own commands: <see cref="AclCommandCatalog"/>).</summary>
    public AclCategories Categories => AclCommandCatalog.CategoriesOf(Name);

    /// <summary>True when <paramref name="argumentCount"/> (including the command name) satisfies the arity.</summary>
    public bool AcceptsArgumentCount(int argumentCount) =>
        Arity >= 0 ? argumentCount == Arity : argumentCount >= -Arity;
}
