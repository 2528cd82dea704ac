namespace RaftKV.Protocol.Commands;

/// <summary>Redis's command flags as COMMAND INFO reports them (those Redis hides there are not kept).</summary>
[Flags]
public enum RedisCommandFlags
{
    None = 0,
    Write = 1 << 0,
    Readonly = 1 << 1,
    Denyoom = 1 << 2,
    Module = 1 << 3,
    Admin = 1 << 4,
    Pubsub = 1 << 5,
    Noscript = 1 << 6,
    Blocking = 1 << 7,
    Loading = 1 << 8,
    Stale = 1 << 9,
    SkipMonitor = 1 << 10,
    SkipSlowlog = 1 << 11,
    Asking = 1 << 12,
    Fast = 1 << 13,
    NoAuth = 1 << 14,
    NoMandatoryKeys = 1 << 15,
    NoAsyncLoading = 1 << 16,
    NoMulti = 1 << 17,
    AllowBusy = 1 << 18,
}
