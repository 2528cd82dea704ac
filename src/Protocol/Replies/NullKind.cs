namespace RaftKV.Protocol.Replies;

public enum NullKind
{
    Bulk,
    Array,
}
