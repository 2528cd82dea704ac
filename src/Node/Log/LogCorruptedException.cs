namespace RaftKV.Node.Log;

/// <summary>
/// The log on disk is damaged in a way a crash cannot explain (a bad record followed by valid ones, a gap between
/// segments, a bad term file): the node must not start, since it could serve or replicate wrong data.
/// </summary>
internal sealed class LogCorruptedException(string message) : IOException(message);
