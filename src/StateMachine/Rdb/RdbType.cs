namespace RaftKV.StateMachine.Rdb;

/// <summary>Redis's RDB object type tags (rdb.h), as they open a DUMP payload.</summary>
internal enum RdbType : byte
{
    String = 0,
    List = 1,
    Set = 2,
    Zset = 3,
    Hash = 4,
    Zset2 = 5,
    HashZipmap = 9,
    ListZiplist = 10,
    SetIntset = 11,
    ZsetZiplist = 12,
    HashZiplist = 13,
    ListQuicklist = 14,
    StreamListpacks = 15,
    HashListpack = 16,
    ZsetListpack = 17,
    ListQuicklist2 = 18,
    StreamListpacks2 = 19,
}
