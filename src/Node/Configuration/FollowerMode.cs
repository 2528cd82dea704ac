namespace RaftKV.Node.Configuration;

public enum FollowerMode
{
    /// <summary>The follower sends the command to the leader and relays the leader's reply.</summary>
    Forward,
    /// <summary>The follower answers <c>-MOVED 0 leader-host:port</c>.</summary>
    Redirect,
}
