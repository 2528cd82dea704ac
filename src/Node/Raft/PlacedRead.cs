using RaftKV.Protocol.Replies;
using RaftKV.StateMachine;

namespace RaftKV.Node.Raft;

/// <summary>
/// A read that runs on the leader at a place in a group-commit entry: before the command at <see cref="Before"/>
/// (the entry's command count: after its last). <see cref="Read"/> must not change the store.
/// </summary>
internal readonly record struct PlacedRead(int Before, Func<KeyValueStore, Reply> Read);
