using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Server;

/// <summary>
/// MODULE as Redis 7.0 answers it with no module loaded: LIST is empty, HELP lists the subcommands. RaftKV loads no
/// modules: a module is native code run outside the log, which every replica could not be trusted to run alike, and
/// LOAD would let a client run a file of its choosing. LOAD, LOADEX and UNLOAD are refused as Redis 7.0 refuses them
/// by default (enable-module-command no).
/// </summary>
internal static class ModuleCommand
{
    // Redis 7.0's answer while enable-module-command is "no" (its default), which is RaftKV's only setting.
    private const string NotAllowed = "ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";

    public static Reply Execute(byte[][] args)
    {
        if (Subcommands.Check("MODULE", args, out var sub) is { } invalid)
            return invalid;
        return sub switch
        {
            "HELP" => Subcommands.Help("MODULE",
                "LIST",
                "    Return a list of loaded modules.",
                "LOAD <path> [<arg> ...]",
                "    Load a module library from <path>, passing to it any optional arguments.",
                "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
                "    Load a module library from <path>, while passing it module configurations and optional arguments.",
                "UNLOAD <name>",
                "    Unload a module."),
            "LIST" => Reply.EmptyArray,
            _ => Reply.Error(NotAllowed),
        };
    }
}
